#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A micro-kernel of `sgemm`: the mr×nr tile it computes, the vectors it computes it with, and what it needs of
/// the machine (GemmMicroKernels.swift has the kernels and their math). How the operands around it are cut
/// into blocks is a ``GemmChoice``; which kernel and blocking a product gets, the planner measures
/// (``GemmPlanner``). Every kernel gives the same bits on every product.
public struct GemmKernel: Sendable, Hashable, CustomStringConvertible {
    /// The name `CHARLSTM_SGEMM_KERNEL`, plans and `charlstm bench` use, e.g. "avx512-zmm-8x48".
    public let name: String
    /// The instruction set it is written for.
    public let isa: VectorISA
    /// Rows of C per micro-tile.
    public let mr: Int
    /// Columns of C per micro-tile.
    public let nr: Int
    /// Floats per vector it computes with (4, 8 or 16).
    public let lanes: Int
    let tile: TileKernel

    /// Vector registers the tile keeps busy: mr·nr/lanes accumulators, nr/lanes B vectors and a broadcast.
    public var registers: Int { mr * nr / lanes + nr / lanes + 1 }

    public var description: String { name }
    public static func == (a: GemmKernel, b: GemmKernel) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    private init<R: TileRow>(_ name: String, _ isa: VectorISA, mr: Int, row: R.Type, lanes: Int) {
        self.name = name
        self.isa = isa
        self.mr = mr
        nr = R.width
        self.lanes = lanes
        tile = MicroTile<R>.run
    }

    /// Every kernel, whatever this machine is; each is correct everywhere (see GemmMicroKernels.swift).
    public static let all: [GemmKernel] = [
        GemmKernel("avx2-6x16", .avx2, mr: 6, row: Row2<SIMD8<Float>>.self, lanes: 8),
        GemmKernel("avx2-4x24", .avx2, mr: 4, row: Row3<SIMD8<Float>>.self, lanes: 8),
        GemmKernel("avx512-ymm-8x24", .avx512Split, mr: 8, row: Row3<SIMD8<Float>>.self, lanes: 8),
        GemmKernel("avx512-ymm-12x16", .avx512Split, mr: 12, row: Row2<SIMD8<Float>>.self, lanes: 8),
        GemmKernel("avx512-ymm-6x32", .avx512Split, mr: 6, row: Row4<SIMD8<Float>>.self, lanes: 8),
        GemmKernel("avx512-ymm-14x16", .avx512Split, mr: 14, row: Row2<SIMD8<Float>>.self, lanes: 8),
        GemmKernel("avx512-zmm-4x48", .avx512Full, mr: 4, row: Row3<SIMD16<Float>>.self, lanes: 16),
        GemmKernel("avx512-zmm-6x32", .avx512Full, mr: 6, row: Row2<SIMD16<Float>>.self, lanes: 16),
        GemmKernel("avx512-zmm-8x48", .avx512Full, mr: 8, row: Row3<SIMD16<Float>>.self, lanes: 16),
        GemmKernel("avx512-zmm-12x32", .avx512Full, mr: 12, row: Row2<SIMD16<Float>>.self, lanes: 16),
        GemmKernel("avx512-zmm-14x32", .avx512Full, mr: 14, row: Row2<SIMD16<Float>>.self, lanes: 16),
        GemmKernel("avx512-zmm-6x64", .avx512Full, mr: 6, row: Row4<SIMD16<Float>>.self, lanes: 16),
        GemmKernel("avx512-zmm-24x16", .avx512Full, mr: 24, row: Row1<SIMD16<Float>>.self, lanes: 16),
        GemmKernel("neon-8x12", .neon, mr: 8, row: Row3<SIMD4<Float>>.self, lanes: 4),
        GemmKernel("portable-4x8", .portable, mr: 4, row: Row2<SIMD4<Float>>.self, lanes: 4),
    ]

    /// The kernel called `name`, if there is one.
    public static func named(_ name: String) -> GemmKernel? { all.first { $0.name == name } }

    /// The kernels worth timing on a processor with `isa`: those written for its instruction set family whose
    /// vectors it has at full or split width and whose tile fits its register file (x86: AVX2's 16 ymm, AVX-512's
    /// 32; a zmm kernel on AVX2 would spill). On AVX-512 that is every x86 kernel, so that measurement, not a
    /// table, decides between full and half width. Those written for `isa` itself come first (a planner out of
    /// time has timed them).
    public static func candidates(for isa: VectorISA) -> [GemmKernel] {
        let usable = all.filter { kernel in
            switch isa {
            case .avx512Full, .avx512Split: [.avx2, .avx512Split, .avx512Full].contains(kernel.isa)
            case .avx2: kernel.isa == .avx2 && kernel.registers <= 16
            case .neon: kernel.isa == .neon || kernel.isa == .portable
            case .portable: kernel.isa == .portable
            }
        }
        return usable.filter { $0.isa == isa } + usable.filter { $0.isa != isa }
    }

    /// The kernel tuned for `isa` (measured on the machines named in the README), for products no plan covers.
    public static func preferred(for isa: VectorISA) -> GemmKernel {
        let name: String
        switch isa {
        case .avx512Full: name = "avx512-zmm-12x32"
        case .avx512Split: name = "avx512-ymm-8x24"
        case .avx2: name = "avx2-6x16"
        case .neon: name = "neon-8x12"
        case .portable: name = "portable-4x8"
        }
        return named(name)!
    }

    /// The environment variable that forces one kernel on every product (for measurements).
    public static let overrideVariable = "CHARLSTM_SGEMM_KERNEL"

    /// The kernel named by `CHARLSTM_SGEMM_KERNEL`, when that names one.
    public static let forced: GemmKernel? = overrideName.flatMap(named)

    /// The kernel `sgemm` uses for products no plan covers: ``forced``, else the one preferred for this CPU's
    /// ISA (``CPUInfo/isa``).
    public static let selected: GemmKernel = forced ?? preferred(for: CPUInfo.current.isa)

    /// The value of `CHARLSTM_SGEMM_KERNEL`, if set and not empty.
    public static var overrideName: String? {
        guard let raw = getenv(overrideVariable) else { return nil }
        let name = String(cString: raw)
        return name.isEmpty ? nil : name
    }

    /// The widest tile row of any kernel (one workspace's scratch row serves them all).
    static let widestRow = all.map(\.nr).max()!
}
