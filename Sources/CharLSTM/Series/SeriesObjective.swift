/// Which column of which CSV file a series run trains on, and what to do with gaps.
public struct SeriesSource: Equatable, Sendable {
    /// The column holding the series (its header name); `nil`: the resumed checkpoint's (a new run needs one).
    public var column: String?
    /// Missing values: an error, or filled linearly.
    public var gaps: SeriesTable.GapPolicy
    /// A new model sees changes over this many steps (``SeriesScaling/lag``); `nil`: 0 for a new run, the
    /// checkpoint's when resuming.
    public var difference: Int?
    /// Further columns read as inputs beside the series (and predicted with it, so that forecasts can feed them
    /// back); `nil`: none for a new run, the checkpoint's when resuming.
    public var inputs: [String]?

    /// A source of `column`, gaps refused unless `gaps` says otherwise; `nil` settings as their properties say.
    public init(column: String?, gaps: SeriesTable.GapPolicy = .refuse, difference: Int? = nil, inputs: [String]? = nil) {
        self.column = column
        self.gaps = gaps
        self.difference = difference
        self.inputs = inputs
    }

    /// The columns of a new run, or of one resumed from a model that reads `resumed`: the series, then the inputs.
    func columns(resumed: [String]?) throws(CharLSTMError) -> [String] {
        guard let column = column ?? resumed?.first else {
            throw .usage("name the column of the series (\(setting: .column)) of a new series run")
        }
        let columns = [column] + (inputs ?? resumed.map { Array($0.dropFirst()) } ?? [])
        guard Set(columns).count == columns.count, !columns.contains("") else {
            throw .usage("\(setting: .inputs) must name columns other than \(setting: .column), each once (got \(columns.joined(separator: ", ")))")
        }
        return columns
    }
}

/// The settings a new series run takes where none is given (a text run's are those of ``TrainingConfig`` and
/// ``TrainingRun/Configuration``): a small model, short sequences, a batch that fits the series.
package enum SeriesDefaults {
    /// Hidden units of a new series model.
    package static let hidden = 64
    /// Layers of a new series model.
    package static let layers = 1
    /// Steps of backpropagation through time.
    package static let sequenceLength = 32
    /// The largest batch chosen (smaller for short series: at least 4 batches per epoch).
    package static let maxBatchSize = 32
    /// Share of the series held out.
    package static let validationFraction = 0.1
    /// Adam's learning rate (the series defaults were measured at this rate).
    package static let learningRate: Float = 2e-3
    /// The step budget of `charlstm train` when no budget is given; a run usually stops earlier, by ``patience``.
    package static let steps = 2000
    /// Steps between validations. A series learns in a few hundred steps and then overfits (the CO₂ example:
    /// validation RMSE lowest at step 100, 0.56 ppm, and 1.13 at step 2,000), so it is validated often.
    package static let evaluateEvery = 50
    /// Validations in a row without a new lowest RMSE that stop a series run (500 steps at ``evaluateEvery``):
    /// `best.safetensors` then holds the model of lowest validation RMSE, the one `forecast` and `eval` read
    /// from a run folder.
    package static let patience = 10
    /// Most training rows read before the held-out ones when validating.
    package static let validationWarmup = 1000

    /// The training configuration of a new run on `rows` values, before the settings given: constant learning rate
    /// (no decay, no schedule), validated every ``evaluateEvery`` steps, the batch size that gives at least 4 batches
    /// per epoch at `sequenceLength`.
    static func training(rows: Int, sequenceLength: Int?, validationFraction: Double?) -> TrainingConfig {
        var base = TrainingConfig()
        base.sequenceLength = Self.sequenceLength
        base.validationFraction = Self.validationFraction
        base.learningRateDecay = 1
        base.learningRate = Self.learningRate
        base.schedule = .constant
        base.evaluateEvery = Self.evaluateEvery
        let T = sequenceLength ?? base.sequenceLength
        let held = Int(Double(rows) * (validationFraction ?? base.validationFraction))
        base.batchSize = min(Self.maxBatchSize, max(1, (rows - held - 1) / (4 * T)))
        return base
    }
}

/// A series model's objective: values in (the series and its input columns, standardised), a linear head,
/// mean squared error; losses as the series' RMSE in its own units.
///
/// Its data is a CSV file read once: the standardised training rows cut into ``SeriesStreams``, and the held-out
/// end (``SeriesHoldout``), predicted one step ahead after a warm-up on the end of the training part. Its
/// checkpoints carry the columns and their standardisation (``SeriesScaling``).
struct SeriesObjective: TrainingObjective {
    /// The columns and their standardisation.
    let scaling: SeriesScaling
    /// Gaps filled by interpolation in the file.
    let interpolated: Int
    /// The standardised training rows as batches.
    let streams: SeriesStreams
    /// The held-out end of the series.
    let holdout: SeriesHoldout

    var kind: ModelKind { .series }
    var unit: LossUnit { .rootMeanSquaredError }
    var dataCounts: (training: Int, validation: Int) { (streams.values.count / streams.width, holdout.count) }
    var plotSubject: String { "\(scaling.target) · " }
    var batchesPerEpoch: Int { streams.batchesPerEpoch }

    func makeBatch(streams: Int, config: TrainingConfig) -> SeriesBatch {
        SeriesBatch(sequenceLength: config.sequenceLength, batchSize: streams, width: self.streams.width)
    }

    func fill(_ batch: inout SeriesBatch, position: Int) throws(CharLSTMError) {
        streams.fill(&batch, position: position)
    }

    /// The series' own column's RMSE, in its units.
    func loss(_ loss: SeriesLoss) -> Double { loss.seriesRootMeanSquaredError * scaling.deviation[0] }

    func validationStreams(config: TrainingConfig) -> Int { 1 }

    func validate(_ model: RecurrentNetwork, config: TrainingConfig, workspace: InferenceWorkspace,
                  shouldStop: () -> Bool) throws(CharLSTMError) -> Double? {
        holdout.loss(of: model, workspace: workspace, shouldStop: shouldStop).map { loss($0) }
    }

    /// The series checkpoint: the model and its ``SeriesScaling`` (a series model has no vocabulary: its inputs are
    /// the scaling's columns).
    func checkpoint(_ model: RecurrentNetwork, state: TrainingState) -> Checkpoint {
        var checkpoint = Checkpoint(network: model, vocabulary: Vocabulary(of: [Unicode.Scalar]()), training: state)
        checkpoint.series = scaling
        return checkpoint
    }
}

extension SeriesBatch: TrainingBatch {
    func forward(_ model: RecurrentNetwork, state: RecurrentState, workspace: Workspace, dropout rng: inout RandomGenerator,
                 gradientRows: Int) -> SeriesLoss {
        model.forward(self, state: state, workspace: workspace, training: true, dropout: &rng, gradientRows: gradientRows)
    }

    func backward(_ model: RecurrentNetwork, workspace: Workspace, accumulate: Bool) {
        model.backward(self, workspace: workspace, accumulate: accumulate)
    }
}

extension SeriesLoss: SummedLoss {
    static var zero: SeriesLoss { SeriesLoss() }
}

extension SeriesObjective {
    /// The objective, model and state of a series run on the CSV file at `path`: read once (its fingerprint, checked
    /// on resume as for text, and its columns), the model and training configuration settled (the checkpoint's when
    /// resuming, else the series defaults; then the settings given), the standardisation fitted on the training part
    /// (or the checkpoint's), memory checked, and the model built (the checkpoint's weights and state as they are
    /// when resuming). Throws as ``TrainingRun/init(_:series:)`` does, and `.invalidData` for a bad CSV value or a
    /// series too short. O(values + parameters).
    static func setUp(_ configuration: TrainingRun.Configuration, source given: SeriesSource?, file path: String,
                      resumed: ResumedRun?, threads: Int) throws -> (SeriesObjective, RecurrentNetwork, TrainingState) {
        if configuration.initFrom != nil {
            throw CharLSTMError.usage("\(setting: .initFrom) applies to text models, not to a series model (\(setting: .column))")
        }
        let source = given ?? SeriesSource(column: nil)
        let resumedScaling = try resumed.map { resumed throws(CharLSTMError) in
            let scaling = try resumed.checkpoint.seriesModel(for: "resuming a series run").scaling
            let columns = try source.columns(resumed: scaling.columns)
            guard columns == scaling.columns, source.difference.map({ $0 == scaling.lag }) ?? true else {
                func describe(_ columns: [String], _ lag: Int?) -> CharLSTMError.Message {
                    "\(setting: .column) \(columns[0])"
                        + (columns.count > 1 ? " \(setting: .inputs) \(columns.dropFirst().joined(separator: ","))" : "")
                        + (lag.map { $0 > 0 ? " \(setting: .difference) \($0)" : "" } ?? "")
                }
                throw .conflict("cannot resume with \(describe(columns, source.difference)) (checkpoint: "
                    + "\(describe(scaling.columns, scaling.lag))): these are fixed by the checkpoint")
            }
            return scaling
        }
        // The file is read once: its fingerprint (recorded, and checked on resume as for text) and its columns.
        let bytes = try SeriesTable.read(path: path)
        let file: CorpusFile
        do {
            file = try CorpusFile.scan(OwnedBytes(bytes), path: path)
        } catch {
            throw error.prefixed("'\(path)' ")
        }
        // A resumed run's file is the one it was trained on (checked before its columns are looked for).
        if let resumed { try configuration.checkCorpus(file, trainedOn: resumed.state.config) }
        let table = try SeriesTable.load(bytes: bytes, path: path, columns: try source.columns(resumed: resumedScaling?.columns),
                                         gaps: source.gaps)

        let model: ModelConfig, training: TrainingConfig
        if let resumed {
            try configuration.checkResumable(model: resumed.checkpoint.config, training: resumed.state.config)
            model = configuration.resumedModel(resumed.checkpoint.config)
            training = configuration.training(from: resumed.state.config, corpus: file)
        } else {
            var defaults = configuration
            defaults.hidden = defaults.hidden ?? SeriesDefaults.hidden
            defaults.layers = defaults.layers ?? SeriesDefaults.layers
            model = defaults.newModel(vocabularySize: table.columns.count)
            training = configuration.training(from: SeriesDefaults.training(rows: table.count, sequenceLength: configuration.sequenceLength,
                                                                             validationFraction: configuration.validationFraction),
                                              corpus: file)
        }
        try model.validate()
        try training.validate()

        let held = Int(Double(table.count) * training.validationFraction), trainCount = table.count - held
        guard held >= 2 else {
            throw CharLSTMError.invalidData("'\(path)' has \(table.count) values: a validation split of \(training.validationFraction) "
                + "holds out \(held), at least 2 are needed: use a longer series or a larger \(setting: .validationFraction)")
        }
        let lag = resumedScaling?.lag ?? source.difference ?? 0
        guard trainCount > lag + 1 else {
            throw CharLSTMError.invalidData("'\(path)' has \(trainCount) training values: differencing over \(lag) steps needs more than \(lag + 1)")
        }
        try TrainingRun.checkMemory(needed: Trainer<Self>.bytesNeeded(model: model, config: training, validationStreams: 1),
                                    model: model, training: training)
        let scaling = resumedScaling ?? SeriesScaling(fitting: table, rows: trainCount, lag: lag)
        // Model row i stands for table row i + lag.
        let z = scaling.standardize(table), F = table.columns.count, trainRows = trainCount - lag
        let warmup = min(trainRows, SeriesDefaults.validationWarmup)
        let objective = SeriesObjective(
            scaling: scaling, interpolated: table.interpolated,
            streams: try SeriesStreams(values: Array(z[..<(trainRows * F)]), width: F, batchSize: training.batchSize,
                                       sequenceLength: training.sequenceLength),
            holdout: SeriesHoldout(rows: Array(z[((trainRows - warmup) * F)...]), width: F, warmup: warmup))
        if let resumed {
            // The checkpoint's weights and state, as they are: no random model to overwrite.
            return (objective, RecurrentNetwork(config: model, sharing: resumed.checkpoint.parameters, threads: threads),
                    resumed.state(with: training))
        }
        var rng = RandomGenerator(seed: training.seed)
        let network = RecurrentNetwork(config: model, rng: &rng, threads: threads)
        return (objective, network, TrainingState(starting: training, model: model, rng: rng, patience: nil))
    }
}
