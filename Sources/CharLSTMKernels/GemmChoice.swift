/// One matrix product as `sgemm` is called for it: what a plan is looked up by.
///
///     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C       on at most `threads` threads
///
/// `prepackedB` marks an op(B) packed once ahead and used many times (``SgemmPackedB``: the recurrent weights,
/// multiplied once per time step); alpha and beta are not part of it.
public struct GemmProblem: Hashable, Sendable, Codable, CustomStringConvertible {
    public var transA: Bool, transB: Bool
    public var m: Int, n: Int, k: Int
    public var prepackedB: Bool
    /// The threads the call may use.
    public var threads: Int

    public init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, prepackedB: Bool = false, threads: Int = 1) {
        self.transA = transA
        self.transB = transB
        self.m = m
        self.n = n
        self.k = k
        self.prepackedB = prepackedB
        self.threads = max(1, threads)
    }

    /// Floating-point operations of one call: 2·m·n·k.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// Threads the call actually runs on: one per `gemmFlopsPerThread` of work at most (below that the
    /// fork-join costs more than it saves).
    var parts: Int { max(1, min(threads, 2 * m * n * k / gemmFlopsPerThread)) }

    /// "16×2048×512 NT packed, 1 thread".
    public var description: String {
        "\(m)×\(n)×\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")" + (prepackedB ? " packed" : "")
            + ", \(threads) thread\(threads == 1 ? "" : "s")"
    }
}

/// How one product is computed: the micro-kernel, the cache blocking around it (Goto/BLIS, see GemmDriver.swift)
/// and how C is cut between threads. Every choice gives the same bits (each element of C is one chain of FMAs
/// in the order of k, see GemmMicroKernels.swift); they differ only in speed.
public struct GemmChoice: Hashable, Sendable, CustomStringConvertible {
    /// How C is cut between threads: along its larger dimension (the default), its rows or its columns.
    public enum Split: String, Sendable, CaseIterable, Codable {
        case larger, rows, columns
    }

    public var kernel: GemmKernel
    /// Depth of a packed block: an A sliver (mr×kc) stays in L1 while the B slivers stream by.
    public var kc: Int
    /// Rows of a packed A block (mc×kc floats, in L2); a multiple of mr.
    public var mc: Int
    /// Columns of a packed B block (kc×nc floats, in L2/L3); a multiple of nr.
    public var nc: Int
    public var split: Split

    /// Largest blocks any choice may use: what one thread's packing workspace holds (A 576 KiB, B 3 MiB).
    static let largestKC = 512, largestPackedA = 288 * 512, largestPackedB = 3072 * 256

    /// `kernel` with blocks of depth `kc`, about `rows` rows of A and `columns` columns of B (rounded to whole
    /// tiles and kept within the workspace), split as `split`.
    public init(kernel: GemmKernel, kc: Int = 256, rows: Int = 144, columns: Int = 3072, split: Split = .larger) {
        self.kernel = kernel
        self.kc = min(max(kc, 8), Self.largestKC)
        let maxMC = Self.largestPackedA / self.kc / kernel.mr * kernel.mr
        mc = min(max(kernel.mr, rows / kernel.mr * kernel.mr), maxMC)
        let maxNC = Self.largestPackedB / self.kc / kernel.nr * kernel.nr
        nc = min(max(kernel.nr, columns / kernel.nr * kernel.nr), maxNC)
        self.split = split
    }

    /// Whether a choice (read from a file, say) stays within the workspace and whole tiles.
    var isValid: Bool {
        kc >= 1 && kc <= Self.largestKC && mc >= kernel.mr && mc % kernel.mr == 0 && mc * kc <= Self.largestPackedA
            && nc >= kernel.nr && nc % kernel.nr == 0 && nc * kc <= Self.largestPackedB
    }

    /// The kernel's default blocking.
    public static func standard(_ kernel: GemmKernel) -> GemmChoice { GemmChoice(kernel: kernel) }

    /// What a product no plan covers gets on a processor with `isa`: the kernel ``GemmKernel/forced`` or preferred
    /// there, except on AVX-512 at full width, where (as measured on the Emerald Rapids Xeon and the Zen 5) a few
    /// rows a thread go faster in 8×48 tiles and a narrow C (the decoder) in 24×16 ones.
    public static func fallback(for problem: GemmProblem, isa: VectorISA = CPUInfo.current.isa) -> GemmChoice {
        if let forced = GemmKernel.forced { return standard(forced) }
        if isa == .avx512Full {
            let rowsPerThread = (problem.m + problem.parts - 1) / problem.parts
            if rowsPerThread <= 16 { return fewRows }
            if problem.n <= 96 { return narrow }
        }
        return standard(.preferred(for: isa))
    }

    private static let fewRows = standard(GemmKernel.named("avx512-zmm-8x48")!)
    private static let narrow = standard(GemmKernel.named("avx512-zmm-24x16")!)

    /// "avx512-zmm-12x32, kc 256, mc 144, nc 3072".
    public var description: String {
        "\(kernel.name), kc \(kc), mc \(mc), nc \(nc)" + (split == .larger ? "" : ", split \(split.rawValue)")
    }
}
