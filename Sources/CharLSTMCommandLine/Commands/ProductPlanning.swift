import CharLSTM
import CharLSTMKernels

/// What `train` and `bench` do before training: plan the matrix products of a training step on this machine
/// (``GemmPlanner``, remembered in the user's cache folder) and make the plan active.
enum ProductPlanning {
    /// Longest a plan may take: half a second, and at most 1% of a time budget.
    static func budget(for training: TrainingBudget) -> Duration {
        let most = 0.5
        return .seconds(min(most, (training.seconds ?? .infinity) / 100))
    }

    /// A training step below this many floating-point operations is not worth planning (its products are too
    /// small for the choice to matter, and the tests' tiny models start at once).
    static let smallestStep = 1e9

    /// Plans and activates the products of training `config` on batches of `batchSize` × `sequenceLength` with
    /// `threads` threads, within `budget`; returns the plan (empty for a small model).
    @discardableResult
    static func activate(config: ModelConfig, sequenceLength: Int, batchSize: Int, threads: Int, budget: Duration,
                         cache: PlanCache?) -> GemmPlan {
        let stepFlops = config.trainingFLOPsPerCharacter * Double(sequenceLength * batchSize)
        guard stepFlops >= smallestStep, budget > .zero else { return GemmPlan() }
        let products = TrainingProduct.ofTrainingStep(config: config, sequenceLength: sequenceLength, batchSize: batchSize,
                                                      threads: threads)
        let plan = GemmPlanner(budget: budget, cache: cache).plan(products.map(\.problem))
        GemmPlan.activate(plan)
        return plan
    }
}
