/// What one kind of model brings to a ``TrainingRun``: its data and batches, its loss in its own ``LossUnit``, its
/// validation, and the head of its checkpoints. The run's loop (budget, validation schedule, patience, saves,
/// metrics, plot, progress, stopping) is the same for every objective.
///
/// ``TextObjective``: one-hot characters in, softmax cross-entropy, bits per character. ``SeriesObjective``: values
/// in, a linear head, mean squared error, RMSE in the series' units. Each holds its trainer, which carries the
/// model, Adam, the carried state, the learning-rate schedule, batch pieces and the borrowed validation workspace.
protocol TrainingObjective: AnyObject {
    associatedtype Trainer: RecurrentTrainer
    /// Carries the model, Adam, the carried state and the counters.
    var trainer: Trainer { get }
    /// Text or series.
    var kind: ModelKind { get }
    /// What the losses are measured in.
    var unit: LossUnit { get }
    /// Characters or values trained on, and held out.
    var dataCounts: (training: Int, validation: Int) { get }
    /// What the plot's title names between the data file and the model (`"co2 · "` for a series; empty for text).
    var plotSubject: String { get }

    /// One optimizer step at the learning rate for `progress` of the budget spent (nil: a budget without end).
    /// Allocates nothing. O(T·B·L·G·H²).
    func trainStep(progress: Double?) throws(CharLSTMError) -> TrainingStep
    /// The validation loss, in ``unit``.
    func validate() throws(CharLSTMError) -> Double
    /// The training checkpoint of now, with the run's `history`.
    func checkpoint(_ history: RunHistory) -> Checkpoint
}

extension TrainingObjective {
    /// The model being trained.
    var model: CharModel { trainer.model }
    /// Batching, optimiser and schedule in effect.
    var config: TrainingConfig { trainer.config }
    /// Steps done since the start of training.
    var step: Int { trainer.step }
    /// Passes over the training data, fractional.
    var epochProgress: Double { trainer.epochProgress }
    /// Batches in one pass over the training data.
    var batchesPerEpoch: Int { trainer.batchesPerEpoch }
}

/// What one training step gave, in the objective's unit.
struct TrainingStep {
    /// The batch's loss before the update (bits per character, or RMSE in the series' units).
    var loss: Double
    /// Global gradient norm before clipping.
    var gradientNorm: Double
    /// The learning rate the step used.
    var learningRate: Float
}

/// What a run adds to its trainer's state in a checkpoint: its validation losses, time and patience.
struct RunHistory {
    var validationLoss: Double?
    var bestValidationLoss: Double?
    var elapsedSeconds: Double
    var streak: ValidationStreak
    var patience: Int?
}
