// Machine peak: a loop of nothing but fused multiply-adds.
//
//     aᵢ ← aᵢ · m + c      for 6 or 12 independent SIMD16<Float> accumulators aᵢ
//
// Each update is one FMA per 8 (AVX2) or 16 (AVX-512) lanes = 2 flops per lane. The pipes need latency × pipes
// FMAs in flight (4 × 2 = 8 on Zen 3–5). Six chains of 16 lanes are 12 AVX2 FMAs in 12 of its 16 registers,
// but only 6 AVX-512 FMAs (75% of a Zen 5's peak); twelve chains are 12 AVX-512 FMAs in 12 of its 32
// registers, but 24 AVX2 registers, which spill. Both loops run and the faster one is the peak. With m < 1 the
// accumulators converge to c / (1 − m), so the values stay finite and normal.

/// The FMA throughput of `threads` threads running at once, in GFLOP/s, timed over about `seconds` (the faster of
/// a 6-chain and a 12-chain loop, half of the time each; see the file header).
public func measurePeakGFLOPS(threads: Int, seconds: Double) -> Double {
    max(measureFMALoop(threads: threads, seconds: seconds / 2, flopsPerIteration: 6 * 16 * 2, fmaLoop6),
        measureFMALoop(threads: threads, seconds: seconds / 2, flopsPerIteration: 12 * 16 * 2, fmaLoop12))
}

/// GFLOP/s of `loop` (`iterations`, seed → a value depending on every FMA) on `threads` threads at once.
private func measureFMALoop(threads: Int, seconds: Double, flopsPerIteration: Int,
                            _ loop: @escaping @Sendable (Int, Float) -> Float) -> Double {
    let threads = max(1, threads)
    // Calibrate on one thread so each worker runs a fixed count and the timing covers them all.
    var probeIterations = 1_000
    var probe = 0.0
    while true {
        probe = ContinuousClock().measure { _ = loop(probeIterations, 1) }.seconds
        if probe >= min(0.01, seconds / 4) { break }
        probeIterations *= 4
    }
    let iterations = max(1, Int(Double(probeIterations) * seconds / probe))
    let sink = ResultSink(count: threads)
    let elapsed = ContinuousClock().measure {
        Parallel.forEach(threads, threads: threads) { t in
            sink.store(loop(iterations, Float(t + 1)), at: t)
        }
    }
    let flops = Double(threads) * Double(iterations) * Double(flopsPerIteration)
    return flops / elapsed.seconds / 1e9
}

/// `iterations` rounds of six independent SIMD16 FMAs; returns a value depending on all of them.
@inline(never) @Sendable
private func fmaLoop6(iterations: Int, seed: Float) -> Float {
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

/// `iterations` rounds of twelve independent SIMD16 FMAs, for machines with 32 vector registers.
@inline(never) @Sendable
private func fmaLoop12(iterations: Int, seed: Float) -> Float {
    let m = SIMD16<Float>(repeating: 0.999_9), c = SIMD16<Float>(repeating: 1e-3)
    var a0 = SIMD16<Float>(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
    var b0 = a0 + 6, b1 = a0 + 7, b2 = a0 + 8, b3 = a0 + 9, b4 = a0 + 10, b5 = a0 + 11
    for _ in 0..<iterations {
        a0 = c.addingProduct(a0, m)
        a1 = c.addingProduct(a1, m)
        a2 = c.addingProduct(a2, m)
        a3 = c.addingProduct(a3, m)
        a4 = c.addingProduct(a4, m)
        a5 = c.addingProduct(a5, m)
        b0 = c.addingProduct(b0, m)
        b1 = c.addingProduct(b1, m)
        b2 = c.addingProduct(b2, m)
        b3 = c.addingProduct(b3, m)
        b4 = c.addingProduct(b4, m)
        b5 = c.addingProduct(b5, m)
    }
    return (a0 + a1 + a2 + a3 + a4 + a5 + b0 + b1 + b2 + b3 + b4 + b5).sum()
}

/// Per-worker result slots, so the optimiser cannot drop the loops.
private final class ResultSink: @unchecked Sendable {
    private let values: UnsafeMutablePointer<Float>
    init(count: Int) { values = .allocate(capacity: count); values.initialize(repeating: 0, count: count) }
    deinit { values.deallocate() }
    func store(_ v: Float, at i: Int) { values[i] = v }
}
