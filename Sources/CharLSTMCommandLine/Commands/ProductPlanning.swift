import CharLSTM
import CharLSTMKernels

/// What `train` and `bench` do before training: plan the matrix products of a training step on this machine
/// (``GemmPlanner``, remembered in the user's cache folder) and make the plan active.
enum ProductPlanning {
    /// Longest a plan may take: 0.6 seconds, and at most 1% of a time budget.
    static func budget(for training: TrainingBudget) -> Duration {
        let most = 0.6
        return .seconds(min(most, (training.seconds ?? .infinity) / 100))
    }

    /// A training step below this many floating-point operations is not worth planning (its products are too
    /// small for the choice to matter, and the tests' tiny models start at once).
    static let smallestStep = 1e9

    /// Plans and activates the products of training `config` on batches of `batchSize` × `sequenceLength` with
    /// `threads` threads (those of both ways of sharing the recurrence), within `budget`; returns the plan (empty
    /// for a small model).
    @discardableResult
    static func activate(config: ModelConfig, sequenceLength: Int, batchSize: Int, threads: Int, budget: Duration,
                         cache: PlanCache?) -> GemmPlan {
        guard isWorthPlanning(config, sequenceLength: sequenceLength, batchSize: batchSize), budget > .zero else { return GemmPlan() }
        let products = TrainingProduct.toPlan(config: config, sequenceLength: sequenceLength, batchSize: batchSize,
                                              threads: threads)
        let plan = GemmPlanner(budget: budget, cache: cache).plan(products.map(\.problem))
        GemmPlan.activate(plan)
        return plan
    }

    /// Plans `run`'s products (``activate(config:sequenceLength:batchSize:threads:budget:cache:)``), then times the
    /// two ways of sharing its recurrences and keeps the faster (``TrainingRun/planRecurrenceSplit(budget:cache:)``):
    /// together within about `budget`, the products two thirds of it.
    static func activate(_ run: TrainingRun, budget: Duration, cache: PlanCache?) {
        let t = run.training
        activate(config: run.model, sequenceLength: t.sequenceLength, batchSize: t.batchSize, threads: run.threads,
                 budget: budget * 2 / 3, cache: cache)
        guard isWorthPlanning(run.model, sequenceLength: t.sequenceLength, batchSize: t.batchSize), budget > .zero else { return }
        run.planRecurrenceSplit(budget: budget / 3, cache: cache)
    }

    /// Whether a training step of `config` on `batchSize` × `sequenceLength` is large enough to plan (``smallestStep``).
    static func isWorthPlanning(_ config: ModelConfig, sequenceLength: Int, batchSize: Int) -> Bool {
        config.trainingFLOPsPerCharacter * Double(sequenceLength * batchSize) >= smallestStep
    }
}
