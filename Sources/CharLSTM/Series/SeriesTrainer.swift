import CharLSTMKernels

/// Truncated-BPTT training of a series model (a ``CharModel`` over rows of F values) on one standardised series:
/// batching, carried state, Adam with clipping, the learning-rate schedule, and validation on the held-out end.
///
/// Everything that decides the next step is in its ``Trainer/Snapshot`` (the same record a character trainer
/// keeps), so a trainer restored from one continues bit for bit.
public final class SeriesTrainer: RecurrentTrainer, @unchecked Sendable {
    public let model: CharModel
    public let optimizer: Adam
    public let state: RecurrentState
    public var config: TrainingConfig
    let streams: SeriesStreams
    /// The held-out end of the series, predicted one step ahead after a warm-up on the end of the training part.
    public let validation: SeriesHoldout
    /// Optimizer steps done.
    public internal(set) var step: Int = 0
    /// Completed epochs.
    public internal(set) var epoch: Int = 0
    /// Next batch within the epoch, 0..<batchesPerEpoch.
    public internal(set) var position: Int = 0
    /// Draws the dropout masks.
    var rng: RandomGenerator
    private var batch: SeriesBatch
    private let workspace: Workspace
    private let validationWorkspace: InferenceWorkspace

    /// Result of one optimizer step.
    public struct StepResult: Sendable {
        /// Mean squared error of the batch before the update over every predicted column, standardised: the loss.
        public var meanSquaredError: Double
        /// The series' own (first) column's part: its root mean squared error, standardised.
        public var seriesRootMeanSquaredError: Double
        /// Global gradient norm before clipping.
        public var gradientNorm: Double
        public var learningRate: Float
    }

    /// A trainer for `model` on the standardised `training` rows, validated on `validation`. `rng` continues
    /// from wherever model initialisation left it. Throws when the training rows are too short for one batch.
    public init(model: CharModel, config: TrainingConfig, training: [Float], validation: SeriesHoldout,
                rng: RandomGenerator) throws(CharLSTMError) {
        try config.validate()
        let F = model.config.vocabularySize
        self.model = model
        self.config = config
        streams = try SeriesStreams(values: training, width: F, batchSize: config.batchSize, sequenceLength: config.sequenceLength)
        self.validation = validation
        optimizer = Adam(parameterCount: model.parameters.count, learningRate: config.learningRate,
                         weightDecay: config.weightDecay, clipNorm: config.clip)
        state = RecurrentState(config: model.config, batch: config.batchSize)
        self.rng = rng
        batch = SeriesBatch(sequenceLength: config.sequenceLength, batchSize: config.batchSize, width: F)
        workspace = Workspace(config: model.config, sequenceLength: config.sequenceLength, batchSize: config.batchSize)
        validationWorkspace = InferenceWorkspace(config: model.config, batchSize: 1)
    }

    public var batchesPerEpoch: Int { streams.batchesPerEpoch }

    /// Bytes a trainer for a model of `config` with `training`'s batch shape allocates beyond the series:
    /// parameters, gradients, both Adam moments, the training workspace (the whole batch in one pass) and the
    /// one-stream validation workspace. O(1).
    static func bytesNeeded(config: ModelConfig, training: TrainingConfig) -> Int {
        let parameters = BufferSize.product(BufferSize.floats(ParameterLayout(config).totalCount).bytes, 4)
        return BufferSize.sum(parameters, BufferSize.sum(
            Workspace.bytesNeeded(config: config, sequenceLength: training.sequenceLength, batchSize: training.batchSize),
            InferenceWorkspace.bytesNeeded(config: config, batchSize: 1)))
    }

    /// The learning rate the next step uses when `progress` of the budget is spent (`nil`: a budget without end):
    /// the schedule of ``TrainingConfig`` (constant by default for a series, see ``SeriesDefaults``).
    public func learningRate(progress: Double?) -> Float {
        config.learningRate(stepsDone: step, completedEpochs: epoch, progress: progress)
    }

    /// One optimizer step on the next batch, at the learning rate for `progress` of the budget spent. Allocates
    /// nothing. O(T·B·L·G·H²).
    @discardableResult
    func trainStep(progress: Double? = nil) -> StepResult {
        if position == 0 { state.reset() }
        streams.fill(&batch, position: position)
        let lr = learningRate(progress: progress)
        let loss = model.forward(batch, state: state, workspace: workspace, training: true, dropout: &rng)
        model.backward(batch, workspace: workspace)
        let norm = applyUpdate(learningRate: lr)
        return StepResult(meanSquaredError: loss.meanSquaredError, seriesRootMeanSquaredError: loss.seriesRootMeanSquaredError,
                          gradientNorm: norm, learningRate: lr)
    }

    /// The squared error of the one-step-ahead predictions of the held-out values of the series (its first
    /// column, standardised), dropout off. O(rows·L·G·H²).
    public func validate() -> SeriesLoss {
        validation.loss(of: model, workspace: validationWorkspace)
    }
}

/// The held-out end of a standardised series and the rows before it that warm the model up: what a series run
/// validates on. Row r's prediction is made after reading rows 0…r−1, from the zero state.
public struct SeriesHoldout: Sendable {
    /// Warm-up rows then held-out rows, row-major [warmup + count, F].
    public let rows: [Float]
    public let width: Int
    /// Rows read before the first held-out one.
    public let warmup: Int

    public init(rows: [Float], width: Int, warmup: Int) {
        precondition(rows.count % width == 0 && warmup >= 1 && warmup < rows.count / width)
        self.rows = rows
        self.width = width
        self.warmup = warmup
    }

    /// Held-out rows predicted.
    public var count: Int { rows.count / width - warmup }

    /// Squared error of the model's one-step-ahead predictions of the held-out rows' first value. O(rows·L·G·H²).
    func loss(of model: CharModel, workspace: InferenceWorkspace) -> SeriesLoss {
        let predictions = SeriesPass.oneStepAhead(model: model, rows: rows, workspace: workspace)
        var loss = SeriesLoss()
        for r in warmup..<(rows.count / width) {
            let d = Double(predictions[(r - 1) * width] - rows[r * width])
            loss.add(SeriesLoss(squaredError: d * d, count: 1))
        }
        return loss
    }
}

/// One stream of a series model run over a whole series.
enum SeriesPass {
    /// Predictions [n, F] of the n rows of `rows` read from the zero state: prediction r is the model's
    /// forecast of row r + 1 after reading rows 0…r. O(n·L·G·H²).
    static func oneStepAhead(model: CharModel, rows: [Float], workspace: InferenceWorkspace? = nil) -> [Float] {
        let ws = workspace ?? InferenceWorkspace(config: model.config, batchSize: 1)
        let state = RecurrentState(config: model.config, batch: 1)
        var predictions = [Float](repeating: 0, count: rows.count)
        rows.withUnsafeBufferPointer { x in
            predictions.withUnsafeMutableBufferPointer { p in
                model.predict(x.baseAddress!, rows: rows.count / model.config.vocabularySize, state: state, workspace: ws,
                              into: p.baseAddress!)
            }
        }
        return predictions
    }
}
