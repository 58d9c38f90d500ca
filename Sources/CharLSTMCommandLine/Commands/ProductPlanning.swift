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

    /// Plans and activates the products of training `run` (those of both ways of sharing the recurrence,
    /// ``TrainingProduct/toPlan(config:sequenceLength:batchSize:threads:)``), then times the two ways of sharing its
    /// recurrences and keeps the faster (``TrainingRun/planRecurrenceSplit(budget:cache:)``): together within about
    /// `budget`, the products two thirds of it. Nothing for a model too small to be worth it.
    static func activate(_ run: TrainingRun, budget: Duration, cache: PlanCache?) {
        let config = run.model, t = run.training
        guard isWorthPlanning(config, sequenceLength: t.sequenceLength, batchSize: t.batchSize), budget > .zero else { return }
        let products = TrainingProduct.toPlan(config: config, sequenceLength: t.sequenceLength, batchSize: t.batchSize,
                                              threads: run.threads)
        GemmPlan.activate(GemmPlanner(budget: budget * 2 / 3, cache: cache).plan(products.map(\.problem)))
        run.planRecurrenceSplit(budget: budget / 3, cache: cache)
    }

    /// Whether a training step of `config` on `batchSize` × `sequenceLength` is large enough to plan (``smallestStep``).
    static func isWorthPlanning(_ config: ModelConfig, sequenceLength: Int, batchSize: Int) -> Bool {
        config.trainingFLOPsPerCharacter * Double(sequenceLength * batchSize) >= smallestStep
    }
}
