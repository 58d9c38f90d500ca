/// The state of a training run after one step, handed to the progress callback of
/// ``TrainingRun/train(budget:stopToken:onProgress:)`` after every step.
///
/// It tells what happened at this step (validation, a row of `metrics.csv`, checkpoints written) and how far the
/// run is (rates, estimated time left). Building it costs nothing worth measuring.
public struct TrainingProgress: Sendable {
    /// Optimiser steps done since the start of training (over all resumes).
    public var step: Int
    /// The step the budget ends at, when its steps or epochs fix it.
    public var totalSteps: Int?
    /// Passes over the training data done, fractional.
    public var epoch: Double
    /// What the losses are measured in (bits per character, or RMSE in the series' units) and what a step trains on.
    public var unit: LossUnit
    /// Training loss of this step's batch, in ``unit``.
    public var trainLoss: Double
    /// Learning rate used by this step.
    public var learningRate: Float
    /// Global gradient norm of this step, before clipping.
    public var gradientNorm: Double
    /// Validation loss measured at this step, in ``unit``; `nil` when validation did not run now.
    public var validation: Double?
    /// The most recent validation loss of the run (over all resumes), or `nil` when none was measured yet.
    public var lastValidation: Double?
    /// The lowest validation loss of the run so far: the one `best.safetensors` holds.
    public var bestValidation: Double?
    /// The row appended to `metrics.csv` at this step, if any (its train loss is the mean since the previous row).
    public var metrics: MetricsRow?
    /// Checkpoint files written at this step (`best.safetensors` and/or `latest.safetensors`).
    public var saved: [String]
    /// Training characters (text) or values (series) per second in this call, counting only the time spent in
    /// training steps (not in validation or saving).
    public var itemsPerSecond: Double
    /// Seconds of wall time since this call started.
    public var elapsedSeconds: Double
    /// Estimated seconds until the budget is spent, from the wall time per step so far; `nil` when the budget
    /// has no end in steps, epochs or time.
    public var secondsRemaining: Double?
    /// Whether this step spent the budget: the call returns after it.
    public var isLast: Bool
}

/// How a call to ``TrainingRun/train(budget:stopToken:onProgress:)`` ended.
public struct TrainingOutcome: Equatable, Sendable {
    /// Why the call returned.
    public enum Reason: Equatable, Sendable {
        /// The budget was spent; the last step was saved.
        case budgetSpent
        /// A ``StopToken`` or the task's cancellation stopped the run; `latest.safetensors` holds the last step.
        case stopped
        /// ``TrainingRun/Configuration/patience`` validations in a row found no new lowest loss: the run stopped
        /// early (also at once, when a resumed run had already stopped so); `best.safetensors` holds the model to use.
        case noImprovement
        /// The budget was already spent when the call began (a resumed run at or past it): nothing was trained
        /// and nothing written.
        case nothingToDo
    }

    /// Why the call returned.
    public var reason: Reason
    /// Steps done since the start of training.
    public var step: Int
    /// Passes over the training text done, fractional.
    public var epoch: Double
    /// The most recent validation loss, in the run's ``TrainingRun/unit``.
    public var lastValidation: Double?
    /// The lowest validation loss so far.
    public var bestValidation: Double?
    /// The run's `latest.safetensors`: the state at ``step``.
    public var latest: String
    /// The run's `best.safetensors` (the lowest validation loss), when validation has run.
    public var best: String?
}
