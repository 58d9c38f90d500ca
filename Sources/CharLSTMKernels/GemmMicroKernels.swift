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

// The register-blocked micro-kernels of `sgemm`, one family per vector ISA, and their cache blocking.
//
// Every micro-kernel computes one mr×nr tile of C from an mr-tall sliver of packed A and an nr-wide sliver
// of packed B (layouts in GemmKernel.swift):
//
//     acc[r][0..<nr] = Σ_{p<kc} a[mr·p + r] · b[nr·p ..< nr·p + nr]                       r < mr
//     C[r, 0..<cols] = alpha · acc[r][0..<cols] + beta · C[r, 0..<cols]    r < rows  (C not read when beta == 0)
//
// The mr·nr accumulators live in vector registers for the whole p loop; each p loads the nr floats of B
// once (nr / lanes vectors) and broadcasts each of the mr values of A, one FMA per accumulator vector.
// Registers needed: mr·nr/lanes accumulators + nr/lanes B vectors + 1 broadcast, which sets the shapes:
//
//   name              ISA             vector     tile     accumulators  registers used / available
//   avx2-6x16         AVX2 + FMA      SIMD8      6×16     12            15 / 16 ymm
//   avx512-ymm-8x24   AVX-512VL       SIMD8      8×24     24            28 / 32 ymm   (Zen 4: 512-bit ops split)
//   avx512-ymm-12x16  AVX-512VL       SIMD8      12×16    24            27 / 32 ymm
//   avx512-zmm-8x48   AVX-512F        SIMD16     8×48     24            28 / 32 zmm   (Zen 5, Intel)
//   avx512-zmm-12x32  AVX-512F        SIMD16     12×32    24            27 / 32 zmm
//   avx512-zmm-14x32  AVX-512F        SIMD16     14×32    28            31 / 32 zmm
//   neon-8x12         arm64 NEON      SIMD4      8×12     24            28 / 32 q
//   portable-4x8      any             SIMD4      4×8      8             small everywhere
//
// With 2 FMA pipes of 4 cycles' latency, 8 independent accumulators keep them busy; 24 also hide the loads.
// All variants compile on every host (`-target-cpu native` maps a SIMD16 to two ymm registers on AVX2, to
// four q registers on arm64), so all are tested everywhere; only the one picked for the CPU is fast there.

/// A SIMD vector of floats the micro-kernels accumulate in (concrete SIMD4/8/16<Float> operations).
protocol KernelVector {
    static var lanes: Int { get }
    init()
    init(repeating: Float)
    init(loadingFrom p: UnsafeRawPointer, byteOffset: Int)
    func store(to p: UnsafeMutableRawPointer, byteOffset: Int)
    /// self += a · b, one fused multiply-add per lane.
    mutating func fma(_ a: Self, _ b: Self)
    /// alpha · self + beta · old.
    func scaled(_ alpha: Float, plus beta: Float, times old: Self) -> Self
    /// alpha · self.
    func scaled(_ alpha: Float) -> Self
}

extension KernelVector where Self: SIMD {
    @inline(__always) init(loadingFrom p: UnsafeRawPointer, byteOffset: Int) {
        self = p.loadUnaligned(fromByteOffset: byteOffset, as: Self.self)
    }
    @inline(__always) func store(to p: UnsafeMutableRawPointer, byteOffset: Int) {
        p.storeBytes(of: self, toByteOffset: byteOffset, as: Self.self)
    }
    @inline(__always) func scaled(_ alpha: Float, plus beta: Float, times old: Self) -> Self {
        var result = old.scaled(beta)
        result.fma(Self(repeating: alpha), self)
        return result
    }
}

// The arithmetic itself stays on the concrete types, whose operations are single vector instructions.
extension SIMD4: KernelVector where Scalar == Float {
    static var lanes: Int { 4 }
    @inline(__always) mutating func fma(_ a: Self, _ b: Self) { addProduct(a, b) }
    @inline(__always) func scaled(_ alpha: Float) -> Self { alpha * self }
}

extension SIMD8: KernelVector where Scalar == Float {
    static var lanes: Int { 8 }
    @inline(__always) mutating func fma(_ a: Self, _ b: Self) { addProduct(a, b) }
    @inline(__always) func scaled(_ alpha: Float) -> Self { alpha * self }
}

extension SIMD16: KernelVector where Scalar == Float {
    static var lanes: Int { 16 }
    @inline(__always) mutating func fma(_ a: Self, _ b: Self) { addProduct(a, b) }
    @inline(__always) func scaled(_ alpha: Float) -> Self { alpha * self }
}

/// One row of a micro-tile's accumulators: `width` floats as a few vectors.
protocol TileRow {
    static var width: Int { get }
    init()
    /// The `width` floats at p.
    init(loadingFrom p: UnsafeRawPointer)
    /// self += a · b (a broadcast to every lane).
    mutating func add(_ a: Float, times b: Self)
    /// c[0..<width] ← alpha · self + beta · c[0..<width] (c not read when beta == 0).
    func store(to c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float)
}

/// A row of two vectors.
struct Row2<V: KernelVector>: TileRow {
    var v0 = V(), v1 = V()
    static var width: Int { 2 * V.lanes }
    @inline(__always) init() {}
    @inline(__always) init(loadingFrom p: UnsafeRawPointer) {
        v0 = V(loadingFrom: p, byteOffset: 0)
        v1 = V(loadingFrom: p, byteOffset: 4 * V.lanes)
    }
    @inline(__always) mutating func add(_ a: Float, times b: Self) {
        let s = V(repeating: a)
        v0.fma(s, b.v0); v1.fma(s, b.v1)
    }
    @inline(__always) func store(to c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
        let p = UnsafeMutableRawPointer(c), n = 4 * V.lanes
        if beta == 0 {
            v0.scaled(alpha).store(to: p, byteOffset: 0)
            v1.scaled(alpha).store(to: p, byteOffset: n)
        } else {
            v0.scaled(alpha, plus: beta, times: V(loadingFrom: p, byteOffset: 0)).store(to: p, byteOffset: 0)
            v1.scaled(alpha, plus: beta, times: V(loadingFrom: p, byteOffset: n)).store(to: p, byteOffset: n)
        }
    }
}

/// A row of three vectors.
struct Row3<V: KernelVector>: TileRow {
    var v0 = V(), v1 = V(), v2 = V()
    static var width: Int { 3 * V.lanes }
    @inline(__always) init() {}
    @inline(__always) init(loadingFrom p: UnsafeRawPointer) {
        v0 = V(loadingFrom: p, byteOffset: 0)
        v1 = V(loadingFrom: p, byteOffset: 4 * V.lanes)
        v2 = V(loadingFrom: p, byteOffset: 8 * V.lanes)
    }
    @inline(__always) mutating func add(_ a: Float, times b: Self) {
        let s = V(repeating: a)
        v0.fma(s, b.v0); v1.fma(s, b.v1); v2.fma(s, b.v2)
    }
    @inline(__always) func store(to c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
        let p = UnsafeMutableRawPointer(c), n = 4 * V.lanes
        if beta == 0 {
            v0.scaled(alpha).store(to: p, byteOffset: 0)
            v1.scaled(alpha).store(to: p, byteOffset: n)
            v2.scaled(alpha).store(to: p, byteOffset: 2 * n)
        } else {
            v0.scaled(alpha, plus: beta, times: V(loadingFrom: p, byteOffset: 0)).store(to: p, byteOffset: 0)
            v1.scaled(alpha, plus: beta, times: V(loadingFrom: p, byteOffset: n)).store(to: p, byteOffset: n)
            v2.scaled(alpha, plus: beta, times: V(loadingFrom: p, byteOffset: 2 * n)).store(to: p, byteOffset: 2 * n)
        }
    }
}

/// Where a micro-tile's result goes: C at `c` (row stride ldc), of which the first `rows`×`cols` are
/// inside the matrix; `scratch` holds one row for tiles at the edge.
struct TileOutput {
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let alpha: Float, beta: Float
    let rows: Int, cols: Int
    let scratch: UnsafeMutablePointer<Float>

    /// Writes accumulator row r: whole when the tile is inside C, else through `scratch`, its valid part.
    @inline(__always)
    func write<R: TileRow>(_ acc: R, row r: Int, full: Bool) {
        if full {
            acc.store(to: c + r * ldc, alpha: alpha, beta: beta)
        } else if r < rows {
            acc.store(to: scratch, alpha: 1, beta: 0)
            let cr = c + r * ldc
            if beta == 0 {
                for j in 0..<cols { cr[j] = alpha * scratch[j] }
            } else {
                for j in 0..<cols { cr[j] = alpha * scratch[j] + beta * cr[j] }
            }
        }
    }
}

/// The signature every micro-kernel has: (kc, packed A sliver, packed B sliver, destination).
typealias MicroKernel = @Sendable (Int, UnsafePointer<Float>, UnsafePointer<Float>, TileOutput) -> Void

/// A kernel for the last, partial sliver of A: (rows, A sliver stride, kc, packed A, packed B, destination)
/// computes `rows` ≤ 4 rows of a tile whose A sliver was packed `stride` (the kernel's mr) values per p,
/// so that a few leftover rows cost a few rows' work rather than a whole tile's.
typealias EdgeKernel = @Sendable (Int, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, TileOutput) -> Void

/// Micro-kernels of 4, 6, 8, 12 and 14 rows whose rows are `R`, and the edge kernel for 1 to 4 leftover rows.
enum MicroTile<R: TileRow> {
    /// The last `rows` (1…4) rows of a tile, their A values `stride` apart per p; the same sums, in the same
    /// order, as the full tile computes for them.
    static func edge(_ rows: Int, _ stride: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                     _ out: TileOutput) {
        switch rows {
        case 1: edge1(stride, kc, a, b, out)
        case 2: edge2(stride, kc, a, b, out)
        default: edge4(stride, kc, a, b, out)
        }
    }

    @inline(never)
    private static func edge1(_ stride: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ out: TileOutput) {
        var c0 = R()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            c0.add(pa[0], times: R(loadingFrom: pb))
            pa += stride
            pb += 4 * R.width
        }
        out.write(c0, row: 0, full: false)
    }

    @inline(never)
    private static func edge2(_ stride: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ out: TileOutput) {
        var c0 = R(), c1 = R()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let bv = R(loadingFrom: pb)
            c0.add(pa[0], times: bv); c1.add(pa[1], times: bv)
            pa += stride
            pb += 4 * R.width
        }
        out.write(c0, row: 0, full: false); out.write(c1, row: 1, full: false)
    }

    @inline(never)
    private static func edge4(_ stride: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ out: TileOutput) {
        var c0 = R(), c1 = R(), c2 = R(), c3 = R()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let bv = R(loadingFrom: pb)
            c0.add(pa[0], times: bv); c1.add(pa[1], times: bv); c2.add(pa[2], times: bv); c3.add(pa[3], times: bv)
            pa += stride
            pb += 4 * R.width
        }
        let full = out.rows == 4 && out.cols == R.width
        out.write(c0, row: 0, full: full); out.write(c1, row: 1, full: full)
        out.write(c2, row: 2, full: full); out.write(c3, row: 3, full: full)
    }

    /// The 4-row tile: the 4-row edge kernel over a sliver packed 4 values per p.
    static func rows4(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: TileOutput) {
        edge4(4, kc, a, b, out)
    }

    @inline(never)
    static func rows6(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: TileOutput) {
        var c0 = R(), c1 = R(), c2 = R(), c3 = R(), c4 = R(), c5 = R()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let bv = R(loadingFrom: pb)
            c0.add(pa[0], times: bv); c1.add(pa[1], times: bv); c2.add(pa[2], times: bv)
            c3.add(pa[3], times: bv); c4.add(pa[4], times: bv); c5.add(pa[5], times: bv)
            pa += 6
            pb += 4 * R.width
        }
        let full = out.rows == 6 && out.cols == R.width
        out.write(c0, row: 0, full: full); out.write(c1, row: 1, full: full); out.write(c2, row: 2, full: full)
        out.write(c3, row: 3, full: full); out.write(c4, row: 4, full: full); out.write(c5, row: 5, full: full)
    }

    @inline(never)
    static func rows8(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: TileOutput) {
        var c0 = R(), c1 = R(), c2 = R(), c3 = R(), c4 = R(), c5 = R(), c6 = R(), c7 = R()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let bv = R(loadingFrom: pb)
            c0.add(pa[0], times: bv); c1.add(pa[1], times: bv); c2.add(pa[2], times: bv); c3.add(pa[3], times: bv)
            c4.add(pa[4], times: bv); c5.add(pa[5], times: bv); c6.add(pa[6], times: bv); c7.add(pa[7], times: bv)
            pa += 8
            pb += 4 * R.width
        }
        let full = out.rows == 8 && out.cols == R.width
        out.write(c0, row: 0, full: full); out.write(c1, row: 1, full: full)
        out.write(c2, row: 2, full: full); out.write(c3, row: 3, full: full)
        out.write(c4, row: 4, full: full); out.write(c5, row: 5, full: full)
        out.write(c6, row: 6, full: full); out.write(c7, row: 7, full: full)
    }

    @inline(never)
    static func rows12(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: TileOutput) {
        var c0 = R(), c1 = R(), c2 = R(), c3 = R(), c4 = R(), c5 = R()
        var c6 = R(), c7 = R(), c8 = R(), c9 = R(), c10 = R(), c11 = R()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let bv = R(loadingFrom: pb)
            c0.add(pa[0], times: bv); c1.add(pa[1], times: bv); c2.add(pa[2], times: bv); c3.add(pa[3], times: bv)
            c4.add(pa[4], times: bv); c5.add(pa[5], times: bv); c6.add(pa[6], times: bv); c7.add(pa[7], times: bv)
            c8.add(pa[8], times: bv); c9.add(pa[9], times: bv); c10.add(pa[10], times: bv)
            c11.add(pa[11], times: bv)
            pa += 12
            pb += 4 * R.width
        }
        let full = out.rows == 12 && out.cols == R.width
        out.write(c0, row: 0, full: full); out.write(c1, row: 1, full: full); out.write(c2, row: 2, full: full)
        out.write(c3, row: 3, full: full); out.write(c4, row: 4, full: full); out.write(c5, row: 5, full: full)
        out.write(c6, row: 6, full: full); out.write(c7, row: 7, full: full); out.write(c8, row: 8, full: full)
        out.write(c9, row: 9, full: full); out.write(c10, row: 10, full: full); out.write(c11, row: 11, full: full)
    }

    @inline(never)
    static func rows14(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: TileOutput) {
        var c0 = R(), c1 = R(), c2 = R(), c3 = R(), c4 = R(), c5 = R(), c6 = R()
        var c7 = R(), c8 = R(), c9 = R(), c10 = R(), c11 = R(), c12 = R(), c13 = R()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let bv = R(loadingFrom: pb)
            c0.add(pa[0], times: bv); c1.add(pa[1], times: bv); c2.add(pa[2], times: bv); c3.add(pa[3], times: bv)
            c4.add(pa[4], times: bv); c5.add(pa[5], times: bv); c6.add(pa[6], times: bv); c7.add(pa[7], times: bv)
            c8.add(pa[8], times: bv); c9.add(pa[9], times: bv); c10.add(pa[10], times: bv)
            c11.add(pa[11], times: bv); c12.add(pa[12], times: bv); c13.add(pa[13], times: bv)
            pa += 14
            pb += 4 * R.width
        }
        let full = out.rows == 14 && out.cols == R.width
        out.write(c0, row: 0, full: full); out.write(c1, row: 1, full: full); out.write(c2, row: 2, full: full)
        out.write(c3, row: 3, full: full); out.write(c4, row: 4, full: full); out.write(c5, row: 5, full: full)
        out.write(c6, row: 6, full: full); out.write(c7, row: 7, full: full); out.write(c8, row: 8, full: full)
        out.write(c9, row: 9, full: full); out.write(c10, row: 10, full: full); out.write(c11, row: 11, full: full)
        out.write(c12, row: 12, full: full); out.write(c13, row: 13, full: full)
    }
}

/// A micro-kernel with the cache blocking that suits it: which tile it computes and how the packed
/// operands around it are cut (see GemmKernel.swift for the loops).
public struct GemmKernel: Sendable, CustomStringConvertible {
    /// The name `CHARLSTM_SGEMM_KERNEL` and `charlstm bench` use, e.g. "avx512-zmm-8x48".
    public let name: String
    /// The instruction set it is written for.
    public let isa: VectorISA
    /// Rows of C per micro-tile.
    public let mr: Int
    /// Columns of C per micro-tile.
    public let nr: Int
    /// Depth of a packed block (an A sliver of mr×kc floats stays in L1 while the B slivers stream by).
    let kc: Int
    /// Rows of a packed A block (mc×kc floats, in L2); a multiple of mr.
    let mc: Int
    /// Columns of a packed B block (kc×nc floats, in L3); a multiple of nr.
    let nc: Int
    let run: MicroKernel
    /// For a partial last sliver of at most 4 rows (when mr > 4).
    let edge: EdgeKernel

    public var description: String { name }

    /// Every kernel, whatever this machine is; each is correct everywhere.
    public static let all: [GemmKernel] = [
        GemmKernel(name: "avx2-6x16", isa: .avx2, mr: 6, nr: 16, kc: 256, mc: 144, nc: 3072,
                   run: MicroTile<Row2<SIMD8<Float>>>.rows6, edge: MicroTile<Row2<SIMD8<Float>>>.edge),
        GemmKernel(name: "avx512-ymm-8x24", isa: .avx512Split, mr: 8, nr: 24, kc: 256, mc: 144, nc: 3072,
                   run: MicroTile<Row3<SIMD8<Float>>>.rows8, edge: MicroTile<Row3<SIMD8<Float>>>.edge),
        GemmKernel(name: "avx512-ymm-12x16", isa: .avx512Split, mr: 12, nr: 16, kc: 256, mc: 144, nc: 3072,
                   run: MicroTile<Row2<SIMD8<Float>>>.rows12, edge: MicroTile<Row2<SIMD8<Float>>>.edge),
        GemmKernel(name: "avx512-zmm-8x48", isa: .avx512Full, mr: 8, nr: 48, kc: 256, mc: 144, nc: 3072,
                   run: MicroTile<Row3<SIMD16<Float>>>.rows8, edge: MicroTile<Row3<SIMD16<Float>>>.edge),
        GemmKernel(name: "avx512-zmm-12x32", isa: .avx512Full, mr: 12, nr: 32, kc: 256, mc: 144, nc: 3072,
                   run: MicroTile<Row2<SIMD16<Float>>>.rows12, edge: MicroTile<Row2<SIMD16<Float>>>.edge),
        GemmKernel(name: "avx512-zmm-14x32", isa: .avx512Full, mr: 14, nr: 32, kc: 256, mc: 140, nc: 3072,
                   run: MicroTile<Row2<SIMD16<Float>>>.rows14, edge: MicroTile<Row2<SIMD16<Float>>>.edge),
        GemmKernel(name: "neon-8x12", isa: .neon, mr: 8, nr: 12, kc: 256, mc: 128, nc: 3072,
                   run: MicroTile<Row3<SIMD4<Float>>>.rows8, edge: MicroTile<Row3<SIMD4<Float>>>.edge),
        GemmKernel(name: "portable-4x8", isa: .portable, mr: 4, nr: 8, kc: 256, mc: 128, nc: 2048,
                   run: MicroTile<Row2<SIMD4<Float>>>.rows4, edge: MicroTile<Row2<SIMD4<Float>>>.edge),
    ]

    /// The kernel called `name`, if there is one.
    public static func named(_ name: String) -> GemmKernel? { all.first { $0.name == name } }

    /// The kernel tuned for `isa` (measured on the machines named in the README).
    public static func preferred(for isa: VectorISA) -> GemmKernel {
        let name: String
        switch isa {
        case .avx512Full: name = "avx512-zmm-8x48"
        case .avx512Split: name = "avx512-ymm-8x24"
        case .avx2: name = "avx2-6x16"
        case .neon: name = "neon-8x12"
        case .portable: name = "portable-4x8"
        }
        return named(name)!
    }

    /// The environment variable that overrides the automatic choice (for measurements).
    public static let overrideVariable = "CHARLSTM_SGEMM_KERNEL"

    /// The kernel `sgemm` uses in this process: the one named by `CHARLSTM_SGEMM_KERNEL` when that names
    /// one (see ``all``), else the one preferred for this CPU's ISA (``CPUInfo/isa``).
    public static let selected: GemmKernel = {
        if let name = overrideName, let kernel = named(name) { return kernel }
        return preferred(for: CPUInfo.current.isa)
    }()

    /// The value of `CHARLSTM_SGEMM_KERNEL`, if set and not empty.
    public static var overrideName: String? {
        guard let raw = getenv(overrideVariable) else { return nil }
        let name = String(cString: raw)
        return name.isEmpty ? nil : name
    }

    /// The largest packing buffers any kernel needs (one workspace serves them all).
    static let largestPackedA = all.map { $0.mc * $0.kc }.max()!
    static let largestPackedB = all.map { $0.nc * $0.kc }.max()!
    static let widestRow = all.map(\.nr).max()!
}
