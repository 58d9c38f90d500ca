// Single-precision general matrix multiply, row-major.
//
//     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C[m×n]
//
// op(A) = A (stored m×k, row stride lda) or Aᵀ (stored k×m, row stride lda) when `transA`;
// op(B) = B (stored k×n, row stride ldb) or Bᵀ (stored n×k, row stride ldb) when `transB`.
// C is stored m×n with row stride ldc. beta == 0 overwrites C without reading it (NaNs in C do not leak).
//
// Packed, register-blocked micro-kernels (GemmKernel.swift, GemmMicroKernels.swift), one chosen for this
// CPU at run time (``GemmKernel/selected``); C is split into one block per thread along its larger dimension
// once the product is big enough (`gemmFlopsPerThread`). For an op(B) used many times over (W_hh across the
// time steps of a batch) pack it once with `SgemmPackedB` (GemmPackedB.swift).
//
// Measured on the 2-core AMD EPYC Zen 5 (family 26 model 2, AVX-512 at full width), kernel avx512-zmm-8x48,
// one thread, GFLOP/s in thread CPU time (the machine was shared with other builds; best of 7), against the
// 246–254 GFLOP/s of one core's FMA loop; B = 64 (32 rows per thread), T = 100, H = 512:
//   B/2×4H×H  NT (recurrent step), pre-packed B    232  (93%)      avx2-6x16 on the same core: 94
//   B/2×H×4H  NN (dh = dG·W_hh), pre-packed B      225  (91%)
//   T·B×4H×H  NT (input product)                   211  (84%)
//   4H×H×T·B  TN (weight gradient)                 185  (73%)
//   T·B×H×4H  NN (dh of the layer below)           176  (70%)
//   T·B×V×H   NT (decoder, V = 65)                  81  (33%: 48-wide tiles over 65 columns)
// Older, on the 2-core AMD EPYC (Zen 3, AVX2), kernel avx2-6x16, peak 102 GFLOP/s per core, wall time:
//   T·B×4H×H  NT 1 thread 90, 2 threads 175; 4H×H×T·B TN 90 / 175; B×4H×H NT pre-packed 95 / 182;
//   B×H×4H NN pre-packed 93 / 145–180; T·B×V×H NT 71 / 137.

/// Fast SGEMM (see the file header for the contract). `threads` ≥ 1 is the most threads it may use.
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int = 1
) {
    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
          beta: beta, c: c, ldc: ldc, threads: threads, kernel: .selected)
}

/// ``sgemm`` computed with a named micro-kernel rather than the selected one (tests run every kernel).
func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int, kernel: GemmKernel
) {
    sgemmRun(GemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                          b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, kernel: kernel), threads: threads)
}

/// Handles the trivial cases, then runs `g` on as many of `threads` as its size warrants.
func sgemmRun(_ g: GemmOperands, threads: Int) {
    guard g.m > 0, g.n > 0 else { return }
    if g.k == 0 || g.alpha == 0 {
        scaleMatrix(g.c, rows: g.m, columns: g.n, ldc: g.ldc, by: g.beta)
        return
    }
    // One thread per `gemmFlopsPerThread` of work at most: below that the fork-join costs more than it saves.
    let parts = max(1, min(threads, 2 * g.m * g.n * g.k / gemmFlopsPerThread))
    sgemmSplit(g, parts: parts)
}

/// Runs `g` as `parts` independent blocks of C on `parts` threads: the larger of C's dimensions is cut
/// into runs of whole micro-tiles, and each thread packs its own operands.
func sgemmSplit(_ g: GemmOperands, parts: Int) {
    let splitColumns = g.n >= g.m
    let unit = splitColumns ? g.kernel.nr : g.kernel.mr
    let extent = splitColumns ? g.n : g.m
    let tiles = (extent + unit - 1) / unit
    let parts = min(parts, tiles)
    if parts <= 1 {
        gemmBlock(g)
        return
    }
    Parallel.forEachRange(extent, unit: unit, parts: parts) { range in
        gemmBlock(splitColumns ? g.columns(range) : g.rows(range))
    }
}

/// One thread's share, packed into a workspace of its own.
private func gemmBlock(_ g: GemmOperands) {
    GemmWorkspace.with { gemmSerial(g, $0) }
}

/// Work (flops) each extra `sgemm` thread must get: 2²³ flops ≈ 90 µs on one core, against the ≈ 15 µs
/// it takes to wake a worker (see ``Parallel``).
let gemmFlopsPerThread = 1 << 23

/// C ← beta · C over an m×n block (C not read when beta == 0).
private func scaleMatrix(_ c: UnsafeMutablePointer<Float>, rows m: Int, columns n: Int, ldc: Int, by beta: Float) {
    for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { row[j] *= beta }
        }
    }
}

/// The obviously-correct twin of ``sgemm``: the test oracle. Accumulates in Double.
public func naiveSgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let aip = transA ? a[p * lda + i] : a[i * lda + p]
                let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                sum += Double(aip) * Double(bpj)
            }
            let old = beta == 0 ? 0 : beta * c[i * ldc + j]
            c[i * ldc + j] = alpha * Float(sum) + old
        }
    }
}
