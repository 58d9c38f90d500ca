/// What one kind of model brings to training: its data cut into batches, its loss in its own ``LossUnit``, its
/// validation, and the head of its checkpoints. The ``Trainer`` (the step: batches, pieces, carried state, Adam,
/// schedule) and the ``TrainingRun`` (budget, validation schedule, patience, saves, metrics, plot, progress,
/// stopping) are the same for every objective.
///
/// ``TextObjective``: one-hot characters in, softmax cross-entropy, bits per character. ``SeriesObjective``: values
/// in, a linear head, mean squared error, RMSE in the series' units.
protocol TrainingObjective {
    /// What one step trains on: T steps of B streams of inputs and targets.
    associatedtype Batch: TrainingBatch

    /// Text or series.
    var kind: ModelKind { get }
    /// What the losses are measured in.
    var unit: LossUnit { get }
    /// Characters or values trained on, and held out.
    var dataCounts: (training: Int, validation: Int) { get }
    /// What the plot's title names between the data file and the model (`"co2 · "` for a series; empty for text).
    var plotSubject: String { get }
    /// Batches in one pass over the training data, for batches of `config`'s shape.
    var batchesPerEpoch: Int { get }

    /// An empty batch of `config`'s sequence length and `streams` streams.
    func makeBatch(streams: Int, config: TrainingConfig) -> Batch
    /// Fills `batch` with batch number `position` of the epoch. Throws `.io` when the data changed since it was read.
    func fill(_ batch: inout Batch, position: Int) throws(CharLSTMError)
    /// The loss of a step's batch in ``unit``.
    func loss(_ loss: Batch.Loss) -> Double

    /// Streams the validation pass reads side by side (the batch of its workspace) under `config`.
    func validationStreams(config: TrainingConfig) -> Int
    /// The validation loss of `model` in ``unit``, computed in `workspace` (``validationStreams(config:)`` streams),
    /// dropout off; nil when `shouldStop`, asked every chunk of the pass, said to stop. Throws `.io` when the data
    /// changed since it was read.
    func validate(_ model: RecurrentNetwork, config: TrainingConfig, workspace: InferenceWorkspace,
                  shouldStop: () -> Bool) throws(CharLSTMError) -> Double?

    /// A training checkpoint of `model` with `state`: the model and what reads its inputs (a vocabulary, or a
    /// series' columns and scaling). Shares their buffers.
    func checkpoint(_ model: RecurrentNetwork, state: TrainingState) -> Checkpoint
}

/// A batch one objective trains on, and the training passes of a model over it.
protocol TrainingBatch {
    /// The loss the forward pass sums: over the rows of a batch, and over its pieces.
    associatedtype Loss: SummedLoss
    /// Steps of backpropagation through time, T.
    var sequenceLength: Int { get }
    /// Streams, B.
    var batchSize: Int { get }
    /// Copies streams `first ..< first + self.batchSize` of `batch` into this one (a piece of it). O(T·B′).
    mutating func copyStreams(from batch: Self, first: Int)
    /// The training forward pass over this batch from `state` (dropout masks from `rng`), leaving the final state
    /// in `state`, the activations in `workspace` and the loss's gradient for ``backward(_:workspace:accumulate:)``,
    /// the mean taken over `gradientRows` rows (this batch's T·B, or the whole batch's when this is a piece).
    func forward(_ model: RecurrentNetwork, state: RecurrentState, workspace: Workspace, dropout rng: inout RandomGenerator,
                 gradientRows: Int) -> Loss
    /// Backpropagation through time of the preceding forward: writes the model's gradients, or adds to them with
    /// `accumulate`.
    func backward(_ model: RecurrentNetwork, workspace: Workspace, accumulate: Bool)
}

/// A loss summed over rows, in any order of pieces.
protocol SummedLoss {
    /// Nothing measured yet.
    static var zero: Self { get }
    /// Adds `other`'s sums to these.
    mutating func add(_ other: Self)
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
