// Throughput of `sgemv` on one shape, as the bandwidth of reading A (4·m·n bytes per call).

/// GB/s of matrix read by `sgemv` for y[m] = op(A)[m×n]·x (beta 0) on `threads` threads, timed over about
/// `seconds` after one warm-up call. Batch-1 generation: m = 4H, n = H (recurrent), m = V, n = H (decoder).
public func measureSgemv(m: Int, n: Int, trans: Bool = false, threads: Int, seconds: Double) -> Double {
    let a = LargeMemory.allocateFloats(m * n), x = LargeMemory.allocateFloats(n), y = LargeMemory.allocateFloats(m)
    defer { LargeMemory.deallocate(a); LargeMemory.deallocate(x); LargeMemory.deallocate(y) }
    for i in 0..<(m * n) { a[i] = Float(i % 13) * 0.01 - 0.06 }
    for i in 0..<n { x[i] = Float(i % 7) * 0.01 - 0.03 }
    let lda = trans ? m : n
    let rate = callsPerSecond(seconds: seconds) {
        sgemv(trans: trans, m: m, n: n, alpha: 1, a: a, lda: lda, x: x, beta: 0, y: y, threads: threads)
    }
    return 4 * Double(m) * Double(n) * rate / 1e9
}
