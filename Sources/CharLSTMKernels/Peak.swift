// Machine peak: a loop of nothing but fused multiply-adds.
//
//     aᵢ ← aᵢ · m + c      for 6 independent SIMD16<Float> accumulators aᵢ
//
// Each update is one FMA per 8 (AVX2) or 16 (AVX-512) lanes = 2 flops per lane. Six independent chains of
// 16 lanes keep 12 AVX2 FMAs in flight, more than the 4-cycle latency × 2 pipes needs. With m < 1 the
// accumulators converge to c / (1 − m), so the values stay finite and normal.

/// The FMA throughput of `threads` threads running at once, in GFLOP/s, timed over about `seconds`.
public func measurePeakGFLOPS(threads: Int, seconds: Double) -> Double {
    let threads = max(1, threads)
    // Calibrate on one thread so each worker runs a fixed count and the timing covers them all.
    var probeIterations = 1_000
    var probe = 0.0
    while true {
        probe = ContinuousClock().measure { _ = fmaLoop(iterations: probeIterations, seed: 1) }.seconds
        if probe >= min(0.01, seconds / 4) { break }
        probeIterations *= 4
    }
    let iterations = max(1, Int(Double(probeIterations) * seconds / probe))
    let sink = ResultSink(count: threads)
    let elapsed = ContinuousClock().measure {
        Parallel.forEach(threads, threads: threads) { t in
            sink.store(fmaLoop(iterations: iterations, seed: Float(t + 1)), at: t)
        }
    }
    let flops = Double(threads) * Double(iterations) * Double(fmaLoopFlopsPerIteration)
    return flops / elapsed.seconds / 1e9
}

private let fmaLoopFlopsPerIteration = 6 * 16 * 2

/// `iterations` rounds of six independent SIMD16 FMAs; returns a value depending on all of them.
@inline(never)
private func fmaLoop(iterations: Int, seed: Float) -> Float {
    let m = SIMD16<Float>(repeating: 0.999_9), c = SIMD16<Float>(repeating: 1e-3)
    var a0 = SIMD16<Float>(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
    for _ in 0..<iterations {
        a0 = c.addingProduct(a0, m)
        a1 = c.addingProduct(a1, m)
        a2 = c.addingProduct(a2, m)
        a3 = c.addingProduct(a3, m)
        a4 = c.addingProduct(a4, m)
        a5 = c.addingProduct(a5, m)
    }
    return (a0 + a1 + a2 + a3 + a4 + a5).sum()
}

/// Per-worker result slots, so the optimiser cannot drop the loops.
private final class ResultSink: @unchecked Sendable {
    private let values: UnsafeMutablePointer<Float>
    init(count: Int) { values = .allocate(capacity: count); values.initialize(repeating: 0, count: count) }
    deinit { values.deallocate() }
    func store(_ v: Float, at i: Int) { values[i] = v }
}
