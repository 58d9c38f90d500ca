import CharLSTMKernels

/// Truncated-BPTT training of a ``CharModel`` on one corpus: batching, carried state, Adam, learning-rate schedule.
///
/// Everything that decides the next step (weights, optimizer moments, carried state, data position, epoch,
/// random generator) is in its ``Snapshot``, so a trainer restored from one continues bit for bit.
public final class Trainer: RecurrentTrainer, @unchecked Sendable {
    public let model: CharModel
    public let optimizer: Adam
    public let state: RecurrentState
    public var config: TrainingConfig
    let streams: BatchStreams
    /// The held-out text; a periodic validation reads its first ``TrainingConfig/validationCharacters``.
    public let validation: TextSlice
    /// Optimizer steps done.
    public internal(set) var step: Int = 0
    /// Completed epochs.
    public internal(set) var epoch: Int = 0
    /// Next batch within the epoch, 0..<batchesPerEpoch.
    public internal(set) var position: Int = 0
    /// Draws the dropout masks.
    var rng: RandomGenerator
    private var batch: TokenBatch
    /// The training workspace, for ``Workspace/streamsPerPass(config:sequenceLength:batchSize:)`` streams.
    private let workspace: Workspace
    /// When a batch is taken in pieces: one piece's tokens and carried state.
    private var piece: (batch: TokenBatch, state: RecurrentState)?
    private let validationWorkspace: InferenceWorkspace

    /// Result of one optimizer step.
    public struct StepResult: Sendable {
        /// Training loss of the batch, before the update.
        public var bitsPerCharacter: Double
        /// Global gradient norm before clipping.
        public var gradientNorm: Double
        public var learningRate: Float
    }

    /// A trainer for `model` on `split`. `rng` continues from wherever model initialisation left it.
    /// `streamsPerPass` (tests) overrides ``Workspace/streamsPerPass(config:sequenceLength:batchSize:)`` with
    /// a divisor of the batch size.
    init(model: CharModel, config: TrainingConfig, split: CorpusSplit, rng: RandomGenerator,
                streamsPerPass: Int? = nil) throws(CharLSTMError) {
        try config.validate()
        self.model = model
        self.config = config
        streams = try BatchStreams(text: split.training, batchSize: config.batchSize, sequenceLength: config.sequenceLength)
        validation = split.validation
        optimizer = Adam(parameterCount: model.parameters.count, learningRate: config.learningRate,
                         weightDecay: config.weightDecay, clipNorm: config.clip)
        state = RecurrentState(config: model.config, batch: config.batchSize)
        self.rng = rng
        batch = TokenBatch(sequenceLength: config.sequenceLength, batchSize: config.batchSize)
        let T = config.sequenceLength, B = config.batchSize
        let streams = streamsPerPass ?? Workspace.streamsPerPass(config: model.config, sequenceLength: T, batchSize: B)
        precondition(streams > 0 && B % streams == 0, "a batch is taken in equal pieces")
        workspace = Workspace(config: model.config, sequenceLength: T, batchSize: streams)
        if streams < B {
            piece = (TokenBatch(sequenceLength: T, batchSize: streams), RecurrentState(config: model.config, batch: streams))
        }
        let shape = CharModel.evaluationShape(characters: Self.measured(split.validation, config).count, batchSize: config.batchSize,
                                              sequenceLength: config.sequenceLength)
        // Validation runs between steps, when the training workspace is idle: it borrows that memory.
        validationWorkspace = InferenceWorkspace(config: model.config, batchSize: shape?.batchSize ?? 1,
                                                 borrowing: workspace.spares)
    }

    /// Bytes a trainer for a model of `config` with `training`'s batch shape allocates beyond the corpus:
    /// parameters, gradients, both Adam moments, the training workspace and the validation workspace. O(1).
    public static func bytesNeeded(config: ModelConfig, training: TrainingConfig) -> Int {
        let T = training.sequenceLength, B = training.batchSize
        let parameters = BufferSize.product(BufferSize.floats(ParameterLayout(config).totalCount).bytes, 4)
        let streams = Workspace.streamsPerPass(config: config, sequenceLength: T, batchSize: B)
        let workspaces = BufferSize.sum(Workspace.bytesNeeded(config: config, sequenceLength: T, batchSize: streams),
                                        InferenceWorkspace.bytesNeeded(config: config, batchSize: B, borrowing:
                                            Workspace.spareSizes(config: config, sequenceLength: T, batchSize: streams)))
        return BufferSize.sum(parameters, workspaces)
    }

    public var batchesPerEpoch: Int { streams.batchesPerEpoch }

    /// The learning rate the next step uses when `progress` of the budget is spent (`nil`: a budget without end).
    public func learningRate(progress: Double?) -> Float {
        config.learningRate(stepsDone: step, completedEpochs: epoch, progress: progress)
    }

    /// One optimizer step on the next batch, at the learning rate for `progress`, the share of the budget spent
    /// (`nil`: a budget without end; see ``LearningRateSchedule``). Allocates nothing. Throws `.io`, changing
    /// nothing, when the corpus file changed since it was scanned. O(T·B·L·G·H²).
    @discardableResult
    public func trainStep(progress: Double? = nil) throws(CharLSTMError) -> StepResult {
        try streams.fill(&batch, position: position)
        if position == 0 { state.reset() }
        let lr = learningRate(progress: progress)
        let result = forwardAndBackward()
        let norm = applyUpdate(learningRate: lr)
        return StepResult(bitsPerCharacter: result.bitsPerCharacter, gradientNorm: norm, learningRate: lr)
    }

    /// The loss of the batch, and the gradient of its mean in the model's gradients: in one pass, or piece
    /// by piece (streams in order, each with its share of the carried state, gradients summed).
    private func forwardAndBackward() -> CharModel.ForwardResult {
        guard var piece else {
            let result = model.forward(batch, state: state, workspace: workspace, training: true, dropout: &rng)
            model.backward(batch, workspace: workspace)
            return result
        }
        self.piece = nil  // the local copy is then the only one, and fills without copying its arrays
        var total = CharModel.ForwardResult.zero
        let rows = batch.sequenceLength * batch.batchSize
        for first in stride(from: 0, to: batch.batchSize, by: piece.batch.batchSize) {
            piece.batch.copyStreams(from: batch, first: first)
            state.exchangeStreams(with: piece.state, first: first, toPiece: true)
            total.add(model.forward(piece.batch, state: piece.state, workspace: workspace, training: true, dropout: &rng,
                                    gradientRows: rows))
            model.backward(piece.batch, workspace: workspace, accumulate: first > 0)
            state.exchangeStreams(with: piece.state, first: first, toPiece: false)
        }
        self.piece = piece
        return total
    }

    /// Validation loss: the first ``TrainingConfig/validationCharacters`` of the held-out text (all of it when
    /// that is 0) as parallel streams from a zero state, dropout off. Runs the forward-only pass in a workspace
    /// allocated once with the trainer. Throws `.io` when the corpus file changed since it was scanned.
    func validate() throws(CharLSTMError) -> CharModel.ForwardResult {
        try model.evaluateStreams(Self.measured(validation, config), batchSize: config.batchSize,
                                  sequenceLength: config.sequenceLength, workspace: validationWorkspace)
    }

    /// The part of `validation` a validation reads under `config` (at least 2 characters: one prediction).
    private static func measured(_ validation: TextSlice, _ config: TrainingConfig) -> TextSlice {
        config.validationCharacters > 0 ? validation.prefix(max(2, config.validationCharacters)) : validation
    }
}

extension Trainer {
    /// Everything that decides a trainer's next step besides its configuration: the weights, the optimizer
    /// state, the carried state, where it is in the data, and the random generator.
    public struct Snapshot: @unchecked Sendable {
        /// Optimizer steps done.
        public var step: Int
        /// Completed epochs.
        public var epoch: Int
        /// Next batch within the epoch.
        public var position: Int
        /// The generator that draws the dropout masks, as it is now.
        public var rng: RandomGenerator
        /// The model's parameters, in ``ParameterLayout`` order.
        public var parameters: FloatBuffer
        public var optimizer: Adam.Snapshot
        /// The carried state [L, B, H]; `c` is empty for cells without a cell state.
        public var h: FloatBuffer, c: FloatBuffer

        public init(step: Int, epoch: Int, position: Int, rng: RandomGenerator, parameters: FloatBuffer,
                    optimizer: Adam.Snapshot, h: FloatBuffer, c: FloatBuffer) {
            self.step = step
            self.epoch = epoch
            self.position = position
            self.rng = rng
            self.parameters = parameters
            self.optimizer = optimizer
            self.h = h
            self.c = c
        }
    }
}

extension Trainer.Snapshot {
    /// Throws when this snapshot does not fit a trainer with `batchesPerEpoch` batches, `parameters` parameters
    /// and carried `state`: `.conflict` when its data position lies beyond the epoch, `.invalidData` when its
    /// counters are negative or its buffers are shaped otherwise.
    func check(batchesPerEpoch: Int, parameters: Int, state: RecurrentState) throws(CharLSTMError) {
        guard step >= 0, epoch >= 0, position >= 0 else {
            throw .invalidData("the training state has a negative step, epoch or data position")
        }
        guard position < batchesPerEpoch else {
            throw .conflict("the checkpoint stopped at batch \(position) of an epoch, but this corpus and batch shape "
                + "give only \(batchesPerEpoch) batches per epoch: resume on the corpus the run was started on")
        }
        guard self.parameters.count == parameters else {
            throw .invalidData("the training state has \(self.parameters.count) parameters, this model \(parameters)")
        }
        guard h.count == state.h.count, c.count == state.c.count else {
            throw .invalidData("the carried state holds \(h.count) and \(c.count) values, "
                + "this model and batch size need \(state.h.count) and \(state.c.count)")
        }
    }

    /// Copies the weights into `model` and the carried state into `state` (shapes checked by ``check``).
    func copyWeightsAndState(into model: CharModel, state: RecurrentState) {
        model.parameters.pointer.update(from: parameters.pointer, count: model.parameters.count)
        state.h.pointer.update(from: h.pointer, count: state.h.count)
        state.c.pointer.update(from: c.pointer, count: state.c.count)
    }
}
