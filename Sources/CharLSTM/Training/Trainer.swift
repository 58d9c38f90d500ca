import CharLSTMKernels

/// Truncated-BPTT training of a model on one objective's data (``TextObjective``, ``SeriesObjective``): batches
/// (taken in pieces of streams when a whole batch would not fit the pass budget), the carried state, Adam with
/// clipping and weight decay, the learning-rate schedule, and validation in memory borrowed from the training
/// workspace.
///
/// Everything that decides the next step besides the weights is its ``state``, the ``TrainingState`` a training
/// checkpoint holds: a trainer made from a checkpoint's weights and state continues bit for bit. Used from one
/// thread at a time.
final class Trainer<Objective: TrainingObjective> {
    let objective: Objective
    let model: RecurrentNetwork
    /// The step, data position, random generator, Adam moments and carried state, which each step advances, and
    /// the run's record (validation losses, time, patience, budget), which ``TrainingRun`` keeps here.
    var state: TrainingState
    /// The carried state of the batch's streams: ``TrainingState/h`` and ``TrainingState/c``, shared.
    private let carried: RecurrentState
    private var batch: Objective.Batch
    /// The training workspace, for ``Workspace/streamsPerPass(config:sequenceLength:batchSize:)`` streams.
    private let workspace: Workspace
    /// When a batch is taken in pieces: one piece's inputs and carried state.
    private var piece: (batch: Objective.Batch, state: RecurrentState)?
    /// Validation runs between steps, when the training workspace is idle: it borrows that memory.
    private let validationWorkspace: InferenceWorkspace

    /// A trainer of `model` (its weights as they are) continuing from `state` (a new run's, or a checkpoint's,
    /// whose buffers it takes over). Throws `.usage` for settings out of range, `.conflict` or `.invalidData` for
    /// a state that does not fit the model or the data (``TrainingState/check(fits:batchesPerEpoch:)``).
    /// `streamsPerPass` (tests) overrides ``Workspace/streamsPerPass(config:sequenceLength:batchSize:)`` with a
    /// divisor of the batch size. O(workspace).
    init(objective: Objective, model: RecurrentNetwork, state: TrainingState, streamsPerPass: Int? = nil) throws(CharLSTMError) {
        let config = state.config, T = config.sequenceLength, B = config.batchSize
        try config.validate()
        try state.check(fits: model.config, batchesPerEpoch: objective.batchesPerEpoch)
        self.objective = objective
        self.model = model
        self.state = state
        carried = RecurrentState(config: model.config, batch: B, h: state.h, c: state.c)
        batch = objective.makeBatch(streams: B, config: config)
        let streams = streamsPerPass ?? Workspace.streamsPerPass(config: model.config, sequenceLength: T, batchSize: B)
        precondition(streams > 0 && B % streams == 0, "a batch is taken in equal pieces")
        workspace = Workspace(config: model.config, sequenceLength: T, batchSize: streams)
        if streams < B {
            piece = (objective.makeBatch(streams: streams, config: config), RecurrentState(config: model.config, batch: streams))
        }
        validationWorkspace = InferenceWorkspace(config: model.config, batchSize: objective.validationStreams(config: config),
                                                 borrowing: workspace.spares)
    }

    /// Bytes a trainer of a `model` with `config`'s batch shape allocates beyond its objective's data: parameters,
    /// gradients, both Adam moments, the training workspace and the workspace of a validation of `validationStreams`
    /// streams (what of it the training workspace cannot lend). O(1).
    static func bytesNeeded(model: ModelConfig, config: TrainingConfig, validationStreams: Int) -> Int {
        let T = config.sequenceLength, B = config.batchSize
        let parameters = BufferSize.product(BufferSize.floats(ParameterLayout(model).totalCount).bytes, 4)
        let streams = Workspace.streamsPerPass(config: model, sequenceLength: T, batchSize: B)
        let workspaces = BufferSize.sum(
            Workspace.bytesNeeded(config: model, sequenceLength: T, batchSize: streams),
            InferenceWorkspace.bytesNeeded(config: model, batchSize: validationStreams,
                                           borrowing: Workspace.spareSizes(config: model, sequenceLength: T, batchSize: streams)))
        return BufferSize.sum(parameters, workspaces)
    }

    /// Batches in one pass over the training data.
    var batchesPerEpoch: Int { objective.batchesPerEpoch }

    /// The learning rate the next step uses when `progress` of the budget is spent (`nil`: a budget without end;
    /// see ``LearningRateSchedule``).
    func learningRate(progress: Double?) -> Float {
        state.config.learningRate(stepsDone: state.step, completedEpochs: state.epoch, progress: progress)
    }

    /// One optimizer step on the next batch, at the learning rate for `progress`, the share of the budget spent,
    /// with the configured weight decay and clipping; then on to the next batch. Returns the batch's loss in the
    /// objective's unit. Allocates nothing. Throws `.io`, changing nothing, when the data file changed since it
    /// was read. O(T·B·L·G·H²).
    @discardableResult
    func trainStep(progress: Double? = nil) throws(CharLSTMError) -> TrainingStep {
        try objective.fill(&batch, position: state.position)
        if state.position == 0 { carried.reset() }
        let learningRate = learningRate(progress: progress)
        let loss = forwardAndBackward()
        let adam = Adam(learningRate: learningRate, weightDecay: state.config.weightDecay, clipNorm: state.config.clip)
        let norm = adam.update(parameters: model.parameters, gradients: model.gradients, moments: &state.optimizer,
                               threads: model.threads)
        state.step += 1
        state.position += 1
        if state.position == batchesPerEpoch {
            state.position = 0
            state.epoch += 1
        }
        return TrainingStep(loss: objective.loss(loss), gradientNorm: norm, learningRate: learningRate)
    }

    /// The loss of the batch, and the gradient of its mean in the model's gradients: in one pass, or piece by piece
    /// (streams in order, each with its share of the carried state, gradients summed).
    private func forwardAndBackward() -> Objective.Batch.Loss {
        let rows = batch.sequenceLength * batch.batchSize
        guard var piece else {
            let loss = batch.forward(model, state: carried, workspace: workspace, dropout: &state.rng, gradientRows: rows)
            batch.backward(model, workspace: workspace, accumulate: false)
            return loss
        }
        self.piece = nil  // the local copy is then the only one, and fills without copying its arrays
        var total = Objective.Batch.Loss.zero
        for first in stride(from: 0, to: batch.batchSize, by: piece.batch.batchSize) {
            piece.batch.copyStreams(from: batch, first: first)
            carried.exchangeStreams(with: piece.state, first: first, toPiece: true)
            total.add(piece.batch.forward(model, state: piece.state, workspace: workspace, dropout: &state.rng, gradientRows: rows))
            piece.batch.backward(model, workspace: workspace, accumulate: first > 0)
            carried.exchangeStreams(with: piece.state, first: first, toPiece: false)
        }
        self.piece = piece
        return total
    }

    /// The validation loss in the objective's unit, dropout off, in the workspace borrowed from training; nil when
    /// `shouldStop`, asked every chunk of the pass (whatever the model and batch sizes), said to stop. Throws
    /// `.io` when the data file changed since it was read.
    func validate(shouldStop: () -> Bool) throws(CharLSTMError) -> Double? {
        try objective.validate(model, config: state.config, workspace: validationWorkspace, shouldStop: shouldStop)
    }

    /// ``validate(shouldStop:)`` to the end. Throws as that does.
    func validate() throws(CharLSTMError) -> Double {
        guard let loss = try validate(shouldStop: { false }) else { preconditionFailure("a validation never asked to stop stopped") }
        return loss
    }

    /// The training checkpoint of now: the model, the objective's head and ``state`` (sharing their buffers: save it
    /// before the next step). O(1).
    func checkpoint() -> Checkpoint { objective.checkpoint(model, state: state) }
}

/// A ``Trainer`` with the type of its objective erased: what a ``TrainingRun`` drives, whatever it trains.
protocol ErasedTrainer: AnyObject {
    var model: RecurrentNetwork { get }
    var state: TrainingState { get set }
    var batchesPerEpoch: Int { get }
    /// The objective, for what the run reports of it (its kind, unit, data).
    var erasedObjective: any TrainingObjective { get }
    func trainStep(progress: Double?) throws(CharLSTMError) -> TrainingStep
    func validate(shouldStop: () -> Bool) throws(CharLSTMError) -> Double?
    func checkpoint() -> Checkpoint
}

extension Trainer: ErasedTrainer {
    var erasedObjective: any TrainingObjective { objective }
}
