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

    /// (split, training characters per second of the timed passes, forward and backward), fastest first; empty
    /// unless `source` is ``Source/timed`` or ``Source/cache``.
    package var measurements: [(split: String, charsPerSecond: Double)]
    package var source: Source
    /// The way measured fastest for the forward and, on its own, for the backward; nil when nothing was timed.
    package var choice: RecurrenceSplitChoice? = nil
    /// The runs whose timings the measurements hold (this one and those before it in the cache, ``PlanCache``).
    package var runs = 1

    /// Whether the measurements were read from the cache rather than made now.
    package var fromCache: Bool { source == .cache }

    /// Nothing timed, because there is nothing to choose: whatever ``RecurrenceSplit`` says applies.
    package static let noChoice = RecurrenceSplitPlan(measurements: [], source: .noChoice)

    /// The choice's name ("columns", "streams", or "columns forward, streams backward" and so on), if any.
    package var choiceName: String? { choice?.name }
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
    /// keeping its best, of the whole pass and of its forward and backward apart), within about `budget` (none where
    /// two rounds would not fit it), and makes the faster way of the forward and the faster of the backward those
    /// its passes of `streams` streams take from now on (``splitChoices``). With a `cache`, the choice measured
    /// before for this cell, shape, streams and threads on this machine is taken from there instead once settled
    /// (until then it is timed again and each way keeps its best figure of all runs, ``PlanCache``), unless
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
        // Three records: the whole passes, then each direction's part of them (its own choice).
        let keys = [key, key + " forward", key + " backward"]
        /// A record naming every kind once, fastest first, and its fastest; nil for anything else.
        func valid(_ record: [(label: String, value: Double)]?) -> (record: [(label: String, value: Double)], fastest: RecurrenceSplit.Kind)? {
            guard let record, record.count == kinds.count, Set(record.map(\.label)) == Set(kinds.map(\.rawValue)),
                  let fastest = RecurrenceSplit.Kind(rawValue: record[0].label) else { return nil }
            return (record, fastest)
        }
        /// The three records, fastest first, as a plan that chooses by them.
        func plan(_ records: [[(label: String, value: Double)]], source: RecurrenceSplitPlan.Source, runs: Int) -> RecurrenceSplitPlan? {
            guard let whole = valid(records[0]), let forward = valid(records[1]), let backward = valid(records[2]) else { return nil }
            let choice = RecurrenceSplitChoice(forward: forward.fastest, backward: backward.fastest)
            splitChoices[B] = choice
            return RecurrenceSplitPlan(measurements: whole.record.map { ($0.label, $0.value) }, source: source, choice: choice,
                                       runs: runs)
        }
        // What earlier runs timed: taken as it is once settled, else timed again and merged.
        var earlier: (records: [[(label: String, value: Double)]], runs: Int)? = nil
        if !remeasure, let cache {
            let cached = keys.compactMap { cache.measurements(forKey: $0) }
            if cached.count == keys.count, cached.allSatisfy({ valid($0.values) != nil }) {
                let runs = cached.map(\.runs).min() ?? 1
                if cache.isSettled(runs: runs), let settled = plan(cached.map(\.values), source: .cache, runs: runs) { return settled }
                earlier = (cached.map(\.values), runs)
            }
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
        let clock = ContinuousClock()
        /// A pass with `kind` both ways: how long its forward and its backward took.
        func pass(_ kind: RecurrenceSplit.Kind) -> (forward: Duration, backward: Duration) {
            RecurrenceSplit.$forced.withValue(kind) {
                state.reset()
                let start = clock.now
                forward(batch, state: state, workspace: workspace, training: true, dropout: &rng)
                let middle = clock.now
                backward(batch, workspace: workspace)
                return (middle - start, clock.now - middle)
            }
        }

        let start = clock.now, deadline = start + budget
        for kind in kinds { _ = pass(kind) }  // the first touches the workspace and wakes the threads
        // Two rounds at least, for a fair choice; none where they would not fit the budget (a model this large
        // keeps the rule). The first passes also page the workspace in, so two rounds take less than they did.
        guard (clock.now - start) * 2 <= budget else {
            return earlier.flatMap { plan($0.records, source: .cache, runs: $0.runs) } ?? RecurrenceSplitPlan(measurements: [], source: .noTime)
        }
        // Characters per second of the whole pass, of its forward and of its backward: each kind's best round.
        var best = [[RecurrenceSplit.Kind: Double]](repeating: [:], count: 3)
        for round in 0..<8 {
            guard round < 2 || clock.now < deadline else { break }
            for kind in kinds {
                let (f, b) = pass(kind)
                for (i, time) in [f + b, f, b].enumerated() {
                    best[i][kind] = max(best[i][kind] ?? 0, Double(T * B) / time.seconds)
                }
            }
        }
        var records = best.map { $0.map { (label: $0.key.rawValue, value: $0.value) }.sorted { $0.value > $1.value } }
        if let earlier { records = zip(earlier.records, records).map { PlanCache.merged($0, $1) } }
        let runs = (earlier?.runs ?? 0) + 1
        for (record, key) in zip(records, keys) { cache?.store(record, forKey: key, runs: runs) }
        return plan(records, source: .timed, runs: runs)!
    }
}
