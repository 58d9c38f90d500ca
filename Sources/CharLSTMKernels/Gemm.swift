// Single-precision general matrix multiply, row-major.
//
//     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C[m×n]
//
// op(A) = A (stored m×k, row stride lda) or Aᵀ (stored k×m, row stride lda) when `transA`;
// op(B) = B (stored k×n, row stride ldb) or Bᵀ (stored n×k, row stride ldb) when `transB`.
// C is stored m×n with row stride ldc. beta == 0 overwrites C without reading it (NaNs in C do not leak).
//
// Every element of C is one chain of fused multiply-adds in the order of k, s = beta·C[i, j] (0 without reading
// C when beta == 0), then s = fma(alpha·op(A)[i, p], op(B)[p, j], s) for p = 0, 1, …, k − 1
// (``referenceSgemm`` is that chain written plainly): the same bits whichever micro-kernel, blocking and
// thread split computes it.
//
// Packed, register-blocked micro-kernels (GemmKernel.swift, GemmMicroKernels.swift), the kernel and blocking of
// each product from the active plan (``GemmPlan/active``, made by measuring: ``GemmPlanner``), else a fallback
// for the CPU (``GemmChoice/fallback(for:isa:)``); C is split into one block per thread along its larger
// dimension once the product is big enough (`gemmFlopsPerThread`). For an op(B) used many times over (W_hh across the
// time steps of a batch) pack it once with `SgemmPackedB` (GemmPackedB.swift).
//
// Measured on the 2-core Intel Xeon Emerald Rapids (family 6 model 207, AVX-512 at full width), 2026-12-06,
// `charlstm bench --config M` with CHARLSTM_SGEMM_KERNEL, % of the machine's 349 GFLOP/s, before the planner:
//   product (M)                        8x48   12x32   14x32   ymm-8x24   avx2-6x16
//   recurrent h·Whhᵀ 16×2048×512 NT     64%    60%     59%     48%        40%
//   recurrent dG·Whh 16×512×2048 NN     68%    70%     68%     47%        42%
//   weights dGᵀ·h 2048×512×3200 TN      75%    77%     76%     41%        43%
//   input x·Wihᵀ 3200×2048×512 NT       49%    75%     68%     46%        40%
//   input dG·Wih 3200×512×2048 NN       74%    85%     75%     46%        45%
//   decoder 3200×65×512 NT              57%    59%     52%     36%        35%
// so the best kernel differs by product on one machine; the planner measures them on the machine that runs.

/// Fast SGEMM (see the file header for the contract). `threads` ≥ 1 is the most threads it may use.
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int = 1
) {
    let problem = GemmProblem(transA: transA, transB: transB, m: m, n: n, k: k, threads: threads)
    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
          beta: beta, c: c, ldc: ldc, threads: threads, choice: GemmPlan.choice(for: problem))
}

/// ``sgemm`` computed with a given kernel and blocking rather than the plan's (tests run every one, the planner
/// times them).
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int, choice: GemmChoice
) {
    sgemmRun(GemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                          b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, choice: choice), threads: threads)
}

/// C₁ = alpha·op(A)·B₁ + beta·C₁ and C₂ = alpha·op(A)·B₂ + beta·C₂, two products of n columns that share op(A)
/// (B₁, B₂ stored k×n, not transposed, row stride `ldb`; C₁, C₂ row stride `ldc`): computed as one product of 2n
/// columns, so that each block of op(A) is packed once for both (a layer's two weight gradients share its gate
/// gradients, the larger operand). The same bits as the two products alone (see the file header); its kernel and
/// blocking are the plan's for the m×2n×k product, cut between threads by rows. When that kernel's tile width
/// does not divide n, the two products run one after the other. O(m·n·k).
public func sgemm(
    transA: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: (UnsafePointer<Float>, UnsafePointer<Float>), ldb: Int,
    beta: Float, c: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>), ldc: Int, threads: Int = 1
) {
    let problem = GemmProblem(transA: transA, transB: false, m: m, n: 2 * n, k: k, threads: threads)
    sgemm(transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
          threads: threads, choice: GemmPlan.choice(for: problem))
}

/// The two products sharing op(A) of ``sgemm(transA:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)`` computed with
/// a given kernel and blocking (its split is by rows whatever `choice` says).
public func sgemm(
    transA: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: (UnsafePointer<Float>, UnsafePointer<Float>), ldb: Int,
    beta: Float, c: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>), ldc: Int, threads: Int, choice: GemmChoice
) {
    guard m > 0, n > 0, k > 0, alpha != 0, n % choice.kernel.nr == 0 else {
        func one(_ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
            sgemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc, threads: threads, choice: choice)
        }
        one(b.0, c.0)
        one(b.1, c.1)
        return
    }
    let problem = GemmProblem(transA: transA, transB: false, m: m, n: 2 * n, k: k, threads: threads)
    var choice = choice
    choice.split = .rows
    sgemmSplit(GemmOperands(transA: transA, transB: false, m: m, n: 2 * n, k: k, alpha: alpha, a: a, lda: lda,
                            b: b.0, ldb: ldb, beta: beta, c: c.0, ldc: ldc, choice: choice,
                            second: .init(from: n, b: b.1, c: c.1)),
               parts: problem.parts)
}

/// Handles the trivial cases, then runs `g` on as many of `threads` as its size warrants.
func sgemmRun(_ g: GemmOperands, threads: Int) {
    guard g.m > 0, g.n > 0 else { return }
    if g.k == 0 || g.alpha == 0 {
        scaleMatrix(g.c, rows: g.m, columns: g.n, ldc: g.ldc, by: g.beta)
        return
    }
    let problem = GemmProblem(transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k, threads: threads)
    sgemmSplit(g, parts: problem.parts)
}

/// Runs `g` as `parts` independent blocks of C on `parts` threads: C's rows or columns (as the choice says:
/// by default the larger dimension) are cut into runs of whole micro-tiles, and each thread packs its own
/// operands.
func sgemmSplit(_ g: GemmOperands, parts: Int) {
    let splitColumns: Bool
    switch g.choice.split {
    case .larger: splitColumns = g.n >= g.m
    case .rows: splitColumns = false
    case .columns: splitColumns = true
    }
    let unit = splitColumns ? g.choice.kernel.nr : g.choice.kernel.mr
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

/// The plain twin of ``sgemm`` that computes its exact chains (see the file header): every kernel, blocking and
/// split must match it bit for bit. O(m·n·k).
public func referenceSgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    forEachElement(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) { old, terms in
        var s: Float = beta == 0 ? 0 : beta * old
        terms { s = s.addingProduct(alpha * $0, $1) }
        return s
    }
}

/// C[i, j] ← element(C[i, j], terms) for every element, where `terms` calls its argument with op(A)[i, p] and
/// op(B)[p, j] for p = 0..<k in order: the loops of the two plain twins.
private func forEachElement(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                            _ element: (Float, ((Float, Float) -> Void) -> Void) -> Float) {
    for i in 0..<m {
        for j in 0..<n {
            c[i * ldc + j] = element(c[i * ldc + j]) { term in
                for p in 0..<k { term(transA ? a[p * lda + i] : a[i * lda + p], transB ? b[j * ldb + p] : b[p * ldb + j]) }
            }
        }
    }
}

/// The obviously-correct twin of ``sgemm``: the test oracle of its accuracy. Accumulates in Double.
public func naiveSgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    forEachElement(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) { old, terms in
        var sum = 0.0
        terms { sum += Double($0) * Double($1) }
        return alpha * Float(sum) + (beta == 0 ? 0 : beta * old)
    }
}
