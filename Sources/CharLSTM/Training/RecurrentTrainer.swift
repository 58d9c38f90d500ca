/// What the character trainer (``Trainer``) and the series trainer (``SeriesTrainer``) share: a model, Adam,
/// the carried state and the counters of truncated-BPTT training, and with them the bookkeeping of an
/// optimizer step and the ``Trainer/Snapshot`` that lets a run continue bit for bit. Each trainer brings its
/// own data, batches and loss.
protocol RecurrentTrainer: AnyObject {
    var model: CharModel { get }
    var optimizer: Adam { get }
    /// The carried state of the batch's streams.
    var state: RecurrentState { get }
    var config: TrainingConfig { get }
    /// Optimizer steps done.
    var step: Int { get set }
    /// Completed epochs.
    var epoch: Int { get set }
    /// Next batch within the epoch, 0..<``batchesPerEpoch``.
    var position: Int { get set }
    /// Draws the dropout masks.
    var rng: RandomGenerator { get set }
    /// Batches in one pass over the training data.
    var batchesPerEpoch: Int { get }
}

extension RecurrentTrainer {
    /// Fractional epochs done: completed epochs plus the share of the current one.
    var epochProgress: Double { Double(epoch) + Double(position) / Double(batchesPerEpoch) }

    /// Updates the weights from the gradients the step just computed, at `learningRate` with the configured
    /// weight decay and clipping, and moves on to the next batch; returns the gradient norm before clipping.
    /// O(parameters), no allocation.
    func applyUpdate(learningRate: Float) -> Double {
        optimizer.learningRate = learningRate
        optimizer.weightDecay = config.weightDecay
        optimizer.clipNorm = config.clip
        let norm = optimizer.update(parameters: model.parameters, gradients: model.gradients)
        step += 1
        position += 1
        if position == batchesPerEpoch {
            position = 0
            epoch += 1
        }
        return norm
    }

    /// The trainer's state now. Shares its buffers (no copy): use it before the next step. O(1).
    func snapshot() -> Trainer.Snapshot {
        Trainer.Snapshot(step: step, epoch: epoch, position: position, rng: rng, parameters: model.parameters,
                         optimizer: optimizer.snapshot(), h: state.h, c: state.c)
    }

    /// Continues from `snapshot`: copies its buffers in, so that the next step is the one that followed it.
    /// Throws, changing nothing, when it does not fit this trainer (``Trainer/Snapshot/check(batchesPerEpoch:parameters:state:)``).
    /// O(parameters).
    func restore(_ snapshot: Trainer.Snapshot) throws(CharLSTMError) {
        try snapshot.check(batchesPerEpoch: batchesPerEpoch, parameters: model.parameters.count, state: state)
        try optimizer.restore(snapshot.optimizer)
        snapshot.copyWeightsAndState(into: model, state: state)
        step = snapshot.step
        epoch = snapshot.epoch
        position = snapshot.position
        rng = snapshot.rng
    }
}
