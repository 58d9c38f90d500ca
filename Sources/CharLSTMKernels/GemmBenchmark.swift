// Throughput of `sgemm` on one shape: 2·m·n·k flops per call, repeated for about the given time.

/// GFLOP/s of `sgemm` for C[m×n] = op(A)[m×k]·op(B)[k×n] (beta 0) on `threads` threads, timed over
/// about `seconds` after one warm-up call. The transposes default to NN; the training engine's shapes are
/// NT (recurrent and input products), NN (backward through W) and TN (weight gradients, with beta 1).
/// With `prepackedB`, op(B) is packed once up front (``SgemmPackedB``) and the packed overload is timed.
public func measureSgemm(m: Int, n: Int, k: Int, threads: Int, seconds: Double,
                         transA: Bool = false, transB: Bool = false, beta: Float = 0,
                         prepackedB: Bool = false) -> Double {
    let a = LargeMemory.allocateFloats(m * k), b = LargeMemory.allocateFloats(k * n)
    let c = LargeMemory.allocateFloats(m * n)
    defer { LargeMemory.deallocate(a); LargeMemory.deallocate(b); LargeMemory.deallocate(c) }
    for i in 0..<(m * k) { a[i] = Float(i % 13) * 0.01 - 0.06 }
    for i in 0..<(k * n) { b[i] = Float(i % 7) * 0.01 - 0.03 }
    c.initialize(repeating: 0, count: m * n)
    let lda = transA ? m : k, ldb = transB ? k : n
    let panels = SgemmPackedB(k: prepackedB ? k : 0, n: prepackedB ? n : 0)
    if prepackedB { panels.pack(transB: transB, b: b, ldb: ldb, rows: m, threads: threads) }
    func call() {
        if prepackedB {
            sgemm(transA: transA, m: m, alpha: 1, a: a, lda: lda, packedB: panels, beta: beta, c: c, ldc: n,
                  threads: threads)
            return
        }
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: n, threads: threads)
    }
    return 2 * Double(m) * Double(n) * Double(k) * callsPerSecond(seconds: seconds, call) / 1e9
}

/// Calls `body` once to warm up, then repeatedly for about `seconds`; returns calls per second.
func callsPerSecond(seconds: Double, _ body: () -> Void) -> Double {
    body()
    let clock = ContinuousClock()
    let start = clock.now
    var calls = 0
    var elapsed = 0.0
    repeat {
        body()
        calls += 1
        elapsed = (clock.now - start).seconds
    } while elapsed < seconds
    return Double(calls) / elapsed
}
