#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CharLSTMKernels

/// One way of sharing a generation step between threads: chunks of about `bytes` of weights, claimed in turn or
/// in each thread's own runs, and the speed it was measured at (``StepRunner/planChunks(candidates:budget:cache:)``
/// for one stream, ``BatchedStep/planChunks(streams:candidates:budget:cache:)`` for many).
package struct StepChunking: Sendable {
    package let bytes: Int
    package let ownRuns: Bool
    package let stepsPerSecond: Double

    /// The chunk sizes planning tries by default: 64 KiB to 512 KiB of weights.
    static let candidateBytes = [64 << 10, 128 << 10, 256 << 10, 512 << 10]

    /// "262144" (claimed in turn) or "262144 own": how the plan cache names it.
    package var label: String { "\(bytes)" + (ownRuns ? " own" : "") }

    init(bytes: Int, ownRuns: Bool, stepsPerSecond: Double = 0) {
        self.bytes = bytes
        self.ownRuns = ownRuns
        self.stepsPerSecond = stepsPerSecond
    }

    /// The chunking a cache label names, nil for a label that names none.
    init?(label: String, stepsPerSecond: Double) {
        let parts = label.split(separator: " ")
        guard (1...2).contains(parts.count), let bytes = Int(parts[0]), bytes > 0,
              parts.count == 1 || parts[1] == "own" else { return nil }
        self.init(bytes: bytes, ownRuns: parts.count == 2, stepsPerSecond: stepsPerSecond)
    }

    /// The cache key of a plan among `candidates` chunk sizes, each claimed in turn and in own runs, for the
    /// step that `step` names (model shape, weights, threads, streams).
    static func cacheKey(step: String, candidates: [Int]) -> String {
        step + " among " + layouts(candidates).map(\.label).joined(separator: ",")
    }

    private static func layouts(_ candidates: [Int]) -> [StepChunking] {
        candidates.flatMap { bytes in [false, true].map { StepChunking(bytes: bytes, ownRuns: $0) } }
    }

    /// "256 KiB" (or "1000 bytes"): the chunk size.
    package var size: String { bytes % 1024 == 0 ? "\(bytes / 1024) KiB" : "\(bytes) bytes" }

    /// "256 KiB in each thread's own runs" or "64 KiB claimed in turn".
    package var description: String { size + (ownRuns ? " in each thread's own runs" : " claimed in turn") }

    /// Times `step` under every chunking of `candidates` bytes, claimed in turn and in own runs (each put in use
    /// by `use`; the first step after a change is not timed, it wakes the new team), `stepsPerMeasurement`
    /// steps at a time, in up to four interleaved rounds, keeping each one's best, and puts the fastest in use.
    /// Stops once `budget` has passed, but finishes the first round up to ten times the budget (a huge model,
    /// whose steps are long, stops there, on the candidates reached). With a `cache`, a settled ranking stored under
    /// ``cacheKey(step:candidates:)`` is used instead of measuring; one not yet settled is measured again and
    /// merged (each candidate's best, ``PlanCache``); a whole ranking (every candidate measured) is stored there.
    /// The caller keeps what the steps change (the state) if it matters.
    static func plan(step key: String, candidates: [Int], budget: Duration, cache: PlanCache?, stepsPerMeasurement: Int,
                     use: (StepChunking) -> Void, step: () -> Void) -> StepChunkPlan {
        let layouts = layouts(candidates), key = cacheKey(step: key, candidates: candidates)
        // What earlier runs timed: taken as it is once settled, else timed again and merged (``PlanCache``).
        var earlier: (values: [(label: String, value: Double)], runs: Int)? = nil
        if let cache, let cached = cache.measurements(forKey: key) {
            let ranked = cached.values.compactMap { StepChunking(label: $0.label, stepsPerSecond: $0.value) }
            if ranked.count == layouts.count, let best = ranked.first {
                guard !cache.isSettled(runs: cached.runs) else {
                    use(best)
                    return StepChunkPlan(ranked: ranked, fromCache: true, runs: cached.runs)
                }
                earlier = cached
            }
        }
        // The first round is finished past the budget (a busy machine should still get a whole ranking, which is
        // then cached) up to ten times it; a huge model's long steps stop there, at the candidates reached.
        let clock = ContinuousClock(), deadline = clock.now + budget, lastResort = clock.now + budget * 10
        var best = [String: Double]()
        rounds: for round in 0..<4 {
            for layout in layouts {
                use(layout)
                step()
                let start = clock.now
                for _ in 0..<stepsPerMeasurement { step() }
                let rate = Double(stepsPerMeasurement) / max((clock.now - start).seconds, 1e-9)  // finite, for the cache's JSON
                best[layout.label] = max(best[layout.label] ?? 0, rate)
                if clock.now > (round == 0 ? lastResort : deadline) { break rounds }
            }
            if clock.now > deadline { break }
        }
        let timed = best.map { (label: $0.key, value: $0.value) }
        let merged = PlanCache.merged(earlier?.values ?? [], timed)
        let ranked = merged.compactMap { StepChunking(label: $0.label, stepsPerSecond: $0.value) }
        if let fastest = ranked.first { use(fastest) }
        // A run counts once it timed every candidate (a hurried one only adds its figures).
        let runs = (earlier?.runs ?? 0) + (timed.count == layouts.count ? 1 : 0)
        if ranked.count == layouts.count { _ = cache?.store(merged, forKey: key, runs: runs) }
        return StepChunkPlan(ranked: ranked, fromCache: false, runs: runs)
    }
}

/// What planning a generation step's chunks found: every chunking with its speed, fastest first (the one in
/// use), and whether the figures came from the plan cache. Nothing where there was nothing to choose.
package struct StepChunkPlan: Sendable {
    package var ranked: [StepChunking] = []
    package var fromCache = false
    /// The runs whose timings the ranking holds (this one and those before it in the cache, ``PlanCache``).
    package var runs = 1

    /// The chunking in use; nil where there was nothing to choose (one thread, or a step too small to share).
    package var chosen: StepChunking? { ranked.first }
}

/// The chunks of a step: chunk i is a range of hidden units of one layer or of decoder rows; the chunk counts per
/// phase (one phase per layer, then the decoder) for the ``ChunkTeam``. The ranges are plain memory, so the team's
/// threads touch no reference count reading them.
/// @unchecked Sendable: written once at init, then only read by the team's threads.
final class StepChunks: @unchecked Sendable {
    /// The chunk size used until one is planned: 256 KiB of weights, measured on a 2-core Zen 5 (fewer chunks cost
    /// more waiting at the end of a layer, more cost more claims).
    static let defaultBytes = 256 << 10

    let ranges: UnsafeMutableBufferPointer<ChunkRange>
    let phases: [Int]

    /// On one thread a whole layer each. Else about `bytes` of weights each, at most H / threads units, in
    /// whole cache lines of 16 units so that no two threads write one line of the gates, h or c; the decoder in
    /// `threads` row ranges of whole 16-row blocks.
    init(config: ModelConfig, weights: WeightPrecision, threads: Int, bytes: Int) {
        var ranges = [ChunkRange](), counts = [Int]()
        let H = config.hidden, V = config.vocabularySize, L = config.layers
        for k in 0...L {
            let n = k < L ? H : V
            let step = threads == 1 ? n
                : k == L ? (V + 16 * threads - 1) / (16 * threads) * 16
                : max(16, min(bytes / Self.bytesPerUnit(config, weights: weights, layer: k), (H + threads - 1) / threads) / 16 * 16)
            var lo = 0, count = 0
            while lo < n {
                ranges.append(ChunkRange(layer: k, lo: lo, hi: min(n, lo + step)))
                lo += step
                count += 1
            }
            counts.append(count)
        }
        self.ranges = .allocate(capacity: ranges.count)
        _ = self.ranges.initialize(from: ranges)
        phases = counts
    }

    /// Bytes of packed weights per hidden unit of layer k (its gate rows), stored as `weights`. O(1).
    static func bytesPerUnit(_ config: ModelConfig, weights: WeightPrecision, layer k: Int) -> Int {
        // One matrix H wide (layer 0's W_hh), [W_ih | W_hh] 2H wide, or W_ih and W_hh apart.
        let H = config.hidden, sumsParts = config.cell.sumsInputAndRecurrentParts
        return config.cell.gateCount * (k == 0 && sumsParts ? weights.rowBytes(H)
                                        : sumsParts ? weights.rowBytes(2 * H) : 2 * weights.rowBytes(H))
    }

    deinit { ranges.deallocate() }
}
