import CharLSTMKernels

/// Truncated-BPTT training of a ``CharModel`` on one corpus: batching, carried state, Adam, schedule.
///
/// Everything that decides the next step (weights, optimizer moments, carried state, data position, epoch,
/// random generator) is in here and in a checkpoint, so a resumed trainer continues bit for bit.
public final class Trainer: @unchecked Sendable {
    public let model: CharModel
    public let optimizer: Adam
    public let state: RecurrentState
    public var config: TrainingConfig
    public let streams: BatchStreams
    public let validation: [Int32]
    /// Optimizer steps done.
    public var step: Int = 0
    /// Completed epochs.
    public var epoch: Int = 0
    /// Next batch within the epoch, 0..<batchesPerEpoch.
    public var position: Int = 0
    /// Draws the dropout masks.
    public var rng: RandomGenerator
    private var batch: TokenBatch
    private let workspace: Workspace

    /// Result of one optimizer step.
    public struct StepResult: Sendable {
        /// Training loss of the batch, before the update.
        public var bitsPerCharacter: Double
        /// Global gradient norm before clipping.
        public var gradientNorm: Double
        public var learningRate: Float
    }

    /// A trainer for `model` on `split`. `rng` continues from wherever model initialisation left it.
    public init(model: CharModel, config: TrainingConfig, split: CorpusSplit, rng: RandomGenerator) throws(CharLSTMError) {
        self.model = model
        self.config = config
        streams = try BatchStreams(text: split.training, batchSize: config.batchSize, sequenceLength: config.sequenceLength)
        validation = split.validation
        optimizer = Adam(parameterCount: model.parameters.count, learningRate: config.learningRate,
                         weightDecay: config.weightDecay, clipNorm: config.clip)
        state = RecurrentState(config: model.config, batch: config.batchSize)
        self.rng = rng
        batch = TokenBatch(sequenceLength: config.sequenceLength, batchSize: config.batchSize)
        workspace = Workspace(config: model.config, sequenceLength: config.sequenceLength, batchSize: config.batchSize)
    }

    /// Fractional epochs done: completed epochs plus the share of the current one.
    public var epochProgress: Double { Double(epoch) + Double(position) / Double(streams.batchesPerEpoch) }

    /// The learning rate the next step uses.
    public var currentLearningRate: Float { config.learningRate(completedEpochs: epoch) }

    /// One optimizer step on the next batch. Allocates nothing. O(T·B·L·G·H²).
    @discardableResult
    public func trainStep() -> StepResult {
        if position == 0 { state.reset() }
        streams.fill(&batch, position: position)
        let lr = currentLearningRate
        let result = model.forward(batch, state: state, workspace: workspace, training: true, dropout: &rng)
        model.backward(batch, workspace: workspace)
        optimizer.learningRate = lr
        optimizer.weightDecay = config.weightDecay
        optimizer.clipNorm = config.clip
        let norm = optimizer.update(parameters: model.parameters, gradients: model.gradients)
        step += 1
        position += 1
        if position == streams.batchesPerEpoch {
            position = 0
            epoch += 1
        }
        return StepResult(bitsPerCharacter: result.bitsPerCharacter, gradientNorm: norm, learningRate: lr)
    }

    /// Validation loss: the held-out text as parallel streams from a zero state, dropout off.
    public func validate() -> CharModel.ForwardResult {
        model.evaluateStreams(validation, batchSize: config.batchSize, sequenceLength: config.sequenceLength)
    }
}
