import CharLSTMKernels

/// Everything a training run carries from one step to the next besides the model's weights, and what it has
/// recorded on the way: the one shape of training state, the trainer's while it trains and a training
/// checkpoint's on disk (``Checkpoint/training``).
///
/// A run saves the state its trainer holds (sharing its buffers, no copy), and a resumed run's trainer takes the
/// loaded state as it is: the same Adam moments, carried state, data position and random generator, so the next
/// step is the one the stopped run would have taken. The model's weights are the checkpoint's
/// ``Checkpoint/parameters``.
package struct TrainingState: Sendable {
    /// Batching, optimiser, schedule and intervals in effect.
    package internal(set) var config: TrainingConfig
    /// The budget the run was trained towards, as a budget for the rest of the run (``TrainingBudget/seconds`` is
    /// the time left when this state was saved); `nil` when it was not recorded (checkpoints written before it was).
    /// ``TrainingRun/resumedBudget`` is the one of a resumed checkpoint.
    package internal(set) var budget: TrainingBudget?
    /// Optimiser steps done since the start of training.
    package internal(set) var step: Int
    /// Completed passes over the training data.
    package internal(set) var epoch: Int
    /// The next batch within the epoch, 0..<batches per epoch.
    package internal(set) var position: Int
    /// The generator that draws the dropout masks, as it is now.
    var rng: RandomGenerator
    /// Adam's step count and moments.
    var optimizer: AdamMoments
    /// The state carried from one batch to the next, [layers, batch, hidden]; `c` is empty for cells without a
    /// cell state.
    var h: FloatBuffer, c: FloatBuffer
    /// The most recent validation loss (bits per character, or a series' RMSE), over all resumes.
    var validationLoss: Double?
    /// The lowest validation loss: the one `best.safetensors` holds.
    var bestValidationLoss: Double?
    /// Seconds of training behind this state, over all resumes.
    package internal(set) var elapsedSeconds: Double
    /// What `patience` counts; in files written before it was recorded, no validations without improvement below
    /// ``bestValidationLoss``.
    package internal(set) var streak: ValidationStreak
    /// Scheduled validations in a row without a new lowest loss that stop the run; nil: no early stopping.
    package internal(set) var patience: Int?

    init(config: TrainingConfig, budget: TrainingBudget?, step: Int, epoch: Int, position: Int, rng: RandomGenerator,
         optimizer: AdamMoments, h: FloatBuffer, c: FloatBuffer, validationLoss: Double?, bestValidationLoss: Double?,
         elapsedSeconds: Double, streak: ValidationStreak, patience: Int?) {
        self.config = config
        self.budget = budget
        self.step = step
        self.epoch = epoch
        self.position = position
        self.rng = rng
        self.optimizer = optimizer
        self.h = h
        self.c = c
        self.validationLoss = validationLoss
        self.bestValidationLoss = bestValidationLoss
        self.elapsedSeconds = elapsedSeconds
        self.streak = streak
        self.patience = patience
    }

    /// The state of a new run of a `model` with `config`: step 0, zero moments and carried state, `rng` as model
    /// initialisation left it. O(parameters).
    init(starting config: TrainingConfig, model: ModelConfig, rng: RandomGenerator, patience: Int?) {
        let carried = RecurrentState.count(config: model, batch: config.batchSize)
        let parameters = ParameterLayout(model).totalCount
        self.init(config: config, budget: nil, step: 0, epoch: 0, position: 0, rng: rng,
                  optimizer: AdamMoments(parameterCount: parameters), h: FloatBuffer(count: carried.h),
                  c: FloatBuffer(count: carried.c), validationLoss: nil, bestValidationLoss: nil, elapsedSeconds: 0,
                  streak: ValidationStreak(), patience: patience)
    }

    /// Fractional epochs done with `batchesPerEpoch` batches an epoch: completed epochs plus the share of the current.
    func epochProgress(batchesPerEpoch: Int) -> Double { Double(epoch) + Double(position) / Double(batchesPerEpoch) }

    /// Throws when this state does not fit a trainer of `model` with `batchesPerEpoch` batches: `.conflict` when its
    /// data position lies beyond the epoch, `.invalidData` when its counters are negative or its buffers are shaped
    /// otherwise. O(1).
    func check(fits model: ModelConfig, batchesPerEpoch: Int) throws(CharLSTMError) {
        guard step >= 0, epoch >= 0, position >= 0, optimizer.step >= 0 else {
            throw .invalidData("the training state has a negative step, epoch, data position or optimizer step")
        }
        guard position < batchesPerEpoch else {
            throw .conflict("the checkpoint stopped at batch \(position) of an epoch, but this data and batch shape "
                + "give only \(batchesPerEpoch) batches per epoch: resume on the data the run was started on")
        }
        let parameters = ParameterLayout(model).totalCount
        guard optimizer.m.count == parameters, optimizer.v.count == parameters else {
            throw .invalidData("the optimizer state has \(optimizer.m.count) and \(optimizer.v.count) moments, this model \(parameters)")
        }
        let carried = RecurrentState.count(config: model, batch: config.batchSize)
        guard h.count == carried.h, c.count == carried.c else {
            throw .invalidData("the carried state holds \(h.count) and \(c.count) values, "
                + "this model and batch size need \(carried.h) and \(carried.c)")
        }
    }
}
