import CharLSTMKernels

/// What ``RecurrentNetwork/planRecurrenceSplit(streams:steps:budget:cache:remeasure:)`` found for one batch shape: each way
/// of sharing the recurrence and the training speed it measured, fastest first.
package struct RecurrenceSplitPlan: Sendable {
    /// Where the choice came from.
    package enum Source: Sendable {
        /// Timed now.
        case timed
        /// Timed by an earlier run on this machine, read from the cache.
        case cache
        /// Nothing to choose: one thread, fewer than 8 streams a thread, or a cell that keeps its recurrent part
        /// apart (GRU), whose streams alone are shared.
        case noChoice
        /// Two rounds of timing would not fit the time given: ``RecurrenceSplit``'s rule applies.
        case noTime
    }

    /// (split, training characters per second of the timed passes), fastest first; empty unless `source` is
    /// ``Source/timed`` or ``Source/cache``.
    package var measurements: [(split: String, charsPerSecond: Double)]
    package var source: Source

    /// Whether the measurements were read from the cache rather than made now.
    package var fromCache: Bool { source == .cache }

    /// Nothing timed, because there is nothing to choose: whatever ``RecurrenceSplit`` says applies.
    package static let noChoice = RecurrenceSplitPlan(measurements: [], source: .noChoice)

    /// The split measured fastest, if any.
    var choice: RecurrenceSplit.Kind? { measurements.first.flatMap { RecurrenceSplit.Kind(rawValue: $0.split) } }

    /// The fastest split's name ("columns" or "streams"), if any.
    package var choiceName: String? { choice?.rawValue }
}

extension RecurrentNetwork {
    /// The cache key of ``planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``'s measurements: what they
    /// depend on besides the machine and build (``PlanCache`` adds those).
    func splitPlanKey(streams B: Int, steps T: Int) -> String {
        let c = config
        return "recurrence \(c.cell.rawValue) \(c.layers)x\(c.hidden) V\(c.vocabularySize) dropout \(c.dropout > 0) "
            + "streams \(B) steps \(T) threads \(threads) among " + RecurrenceSplit.Kind.allCases.map(\.rawValue).joined(separator: ",")
    }

    /// Times training passes of this network (forward and backward over `steps` steps of `streams` streams, on
    /// made-up characters) with every layer's recurrence cut by columns and by streams, in interleaved rounds (each
    /// keeping its best), within about `budget` (none where two rounds would not fit it), and makes the faster the
    /// one its passes of `streams` streams take from now on (``splitChoices``). With a `cache`, the choice measured
    /// before for this cell, shape, streams and threads on this machine is taken from there instead, unless
    /// `remeasure` (a new one is stored). Both splits give the same bits, so this changes only speed; the
    /// parameters are read, the gradients are left as they were. Plan the per-step products of both splits first
    /// (``TrainingProduct/toPlan(config:sequenceLength:batchSize:threads:)``), so that each is timed with its own
    /// kernels. O(budget); allocates a workspace of `steps` × `streams` and a copy of the gradients.
    @discardableResult
    package func planRecurrenceSplit(streams B: Int, steps T: Int = 8, budget: Duration,
                                     cache: PlanCache? = nil, remeasure: Bool = false) -> RecurrenceSplitPlan {
        guard RecurrenceSplit.hasChoice(cell: config.cell, batch: B, threads: threads), T >= 1 else { return .noChoice }
        let kinds = RecurrenceSplit.Kind.allCases
        let c = config, key = splitPlanKey(streams: B, steps: T)
        if !remeasure, let cached = cache?.measurements(forKey: key), Set(cached.map(\.label)) == Set(kinds.map(\.rawValue)),
           cached.count == kinds.count, let best = RecurrenceSplit.Kind(rawValue: cached[0].label) {
            splitChoices[B] = best
            return RecurrenceSplitPlan(measurements: cached.map { ($0.label, $0.value) }, source: .cache)
        }

        // A pass on made-up characters, in a workspace of its own; the gradients it overwrites are put back.
        let saved = gradients.array
        defer { gradients.pointer.update(from: saved, count: saved.count) }
        let workspace = Workspace(config: c, sequenceLength: T, batchSize: B)
        let state = RecurrentState(config: c, batch: B)
        var rng = RandomGenerator(seed: 1)
        var batch = TokenBatch(sequenceLength: T, batchSize: B)
        let V = UInt64(c.vocabularySize)
        for i in 0..<(T * B) {
            batch.inputs[i] = Int32(rng.next() % V)
            batch.targets[i] = Int32(rng.next() % V)
        }
        func pass(_ kind: RecurrenceSplit.Kind) {
            RecurrenceSplit.$forced.withValue(kind) {
                state.reset()
                forward(batch, state: state, workspace: workspace, training: true, dropout: &rng)
                backward(batch, workspace: workspace)
            }
        }

        let clock = ContinuousClock(), start = clock.now, deadline = start + budget
        for kind in kinds { pass(kind) }  // the first touches the workspace and wakes the threads
        // Two rounds at least, for a fair choice; none where they would not fit the budget (a model this large
        // keeps the rule). The first passes also page the workspace in, so two rounds take less than they did.
        guard (clock.now - start) * 2 <= budget else { return RecurrenceSplitPlan(measurements: [], source: .noTime) }
        var best = [RecurrenceSplit.Kind: Double]()
        for round in 0..<8 {
            guard round < 2 || clock.now < deadline else { break }
            for kind in kinds {
                let start = clock.now
                pass(kind)
                best[kind] = max(best[kind] ?? 0, Double(T * B) / (clock.now - start).seconds)
            }
        }
        let ranked = best.sorted { $0.value > $1.value }.map { (split: $0.key.rawValue, charsPerSecond: $0.value) }
        let plan = RecurrenceSplitPlan(measurements: ranked, source: .timed)
        splitChoices[B] = plan.choice
        cache?.store(ranked.map { ($0.split, $0.charsPerSecond) }, forKey: key)
        return plan
    }
}
