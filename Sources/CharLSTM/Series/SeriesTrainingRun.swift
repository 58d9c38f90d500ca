/// Which column of which CSV file a series run trains on, and what to do with gaps.
public struct SeriesSource: Equatable, Sendable {
    /// The column holding the series (its header name).
    public var column: String
    /// Missing values: an error, or filled linearly (`--interpolate`).
    public var gaps: SeriesTable.GapPolicy
    /// A new model sees changes over this many steps (``SeriesScaling/lag``); `nil`: 0 for a new run, the
    /// checkpoint's when resuming.
    public var difference: Int?
    /// Further columns read as inputs beside the series (and predicted with it, so that forecasts can feed them
    /// back); `nil`: none for a new run, the checkpoint's when resuming.
    public var inputs: [String]?

    public init(column: String, gaps: SeriesTable.GapPolicy = .refuse, difference: Int? = nil, inputs: [String]? = nil) {
        self.column = column
        self.gaps = gaps
        self.difference = difference
        self.inputs = inputs
    }

    /// The columns of a new run, or of one resumed from a model that reads `resumed`: the series, then the inputs.
    func columns(resumed: [String]?) throws(CharLSTMError) -> [String] {
        let columns = [column] + (inputs ?? resumed.map { Array($0.dropFirst()) } ?? [])
        guard Set(columns).count == columns.count, !columns.contains("") else {
            throw .usage("--inputs must name columns other than --column, each once (got \(columns.joined(separator: ", ")))")
        }
        return columns
    }
}

/// A whole training job on a numeric series: `charlstm train SERIES.csv --column NAME`.
///
/// The settings are a ``TrainingRun/Configuration`` (its `corpus` is the CSV file) read as for text, with
/// defaults for series where a setting is not given (``defaultHidden``, ``defaultLayers``,
/// ``defaultSequenceLength``, a batch size that fits the series, ``defaultValidationFraction``, no learning-rate
/// decay). The last part of the series is held out and predicted one step ahead (after a warm-up on the end of
/// the training part) to validate; losses are reported as RMSE in the series' units. The run folder, its
/// lock, atomic checkpoints, `metrics.csv` (``MetricsLog/seriesHeader``), `loss.svg`, exact resume and stopping
/// work as for ``TrainingRun``; the checkpoints are series checkpoints (``Checkpoint/series``).
public final class SeriesTrainingRun: @unchecked Sendable {
    public let configuration: TrainingRun.Configuration
    public let source: SeriesSource
    public let folder: RunFolder
    /// The CSV file trained on.
    public let seriesPath: String
    /// The checkpoint the run continues from, or nil for a new run.
    public let resumedFrom: String?
    /// The columns and their standardisation (from the training part of the first start).
    public let scaling: SeriesScaling
    public let trainer: SeriesTrainer
    public let threads: Int
    /// Gaps filled by interpolation in the file.
    public let interpolated: Int
    /// The most recent validation RMSE, in the series' units.
    public private(set) var lastValidation: Double?
    /// The lowest validation RMSE so far: the one `best.safetensors` holds.
    public private(set) var bestValidation: Double?

    var fileSystem: any FileSystem = POSIXFileSystem()
    var clock: () -> Double = TrainingRun.systemClock()
    private var elapsedBefore: Double = 0
    private let lock: RunFolderLock

    /// Hidden units of a new series model when none is given.
    public static let defaultHidden = 64
    /// Layers of a new series model when none is given.
    public static let defaultLayers = 1
    /// Steps of backpropagation through time when none is given.
    public static let defaultSequenceLength = 32
    /// The largest batch chosen when none is given (smaller for short series: at least 4 batches per epoch).
    public static let defaultMaxBatchSize = 32
    /// Share of the series held out when none is given.
    public static let defaultValidationFraction = 0.1
    /// The step budget when no budget is given.
    public static let defaultSteps = 2000
    /// Most training rows read before the held-out ones when validating.
    public static let validationWarmup = 1000

    /// The model being trained.
    public var model: ModelConfig { trainer.model.config }
    /// Batching, optimiser and schedule in effect.
    public var training: TrainingConfig { trainer.config }
    public var step: Int { trainer.step }
    /// Values trained on, and held out.
    public var valueCounts: (training: Int, validation: Int) { (trainer.streams.values.count / model.vocabularySize, trainer.validation.count) }

    /// Checks everything, builds the model (restoring the checkpoint when resuming) and prepares the run folder;
    /// throws as ``TrainingRun/init(_:)`` does, and `.invalidData` for a bad CSV value or a series too short.
    public init(_ configuration: TrainingRun.Configuration, source: SeriesSource) throws {
        try configuration.validate()
        // Series runs train at a constant rate (with --learning-rate-decay per epoch); the text schedule is not theirs.
        if configuration.learningRateSchedule != nil || configuration.warmupSteps != nil {
            throw CharLSTMError.usage("--lr-schedule and --warmup apply to text models; a series model (--column) "
                + "trains at a constant --learning-rate")
        }
        if configuration.initFrom != nil || configuration.patience != nil {
            throw CharLSTMError.usage("--init-from and --patience apply to text models, not to a series model (--column)")
        }
        self.configuration = configuration
        self.source = source
        threads = configuration.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let resumedFolder = configuration.resume.map(Paths.runFolder(ofCheckpoint:))
        guard let folderPath = configuration.folder ?? resumedFolder ?? configuration.corpus.map(Paths.defaultRunFolder(forCorpus:)) else {
            throw CharLSTMError.usage("name the CSV file of the series, e.g. 'charlstm train data.csv --column \(source.column)'")
        }
        folder = RunFolder(folderPath)
        try folder.checkUsable()
        // Taken before anything in the folder is read, so that two resumes of one folder can never both train.
        let lockHeld = try folder.lockIfPresent()
        let resumed: (path: String, checkpoint: Checkpoint, state: Checkpoint.TrainingState, scaling: SeriesScaling)? =
            try configuration.resume.map { given in
                let path = try Paths.checkpointFile(given, preferBest: false)
                let checkpoint = try Checkpoint.load(path: path)
                let scaling = try checkpoint.requireSeriesModel(for: "resuming with --column")
                guard let state = checkpoint.training else {
                    throw CharLSTMError.invalidData("'\(path)' holds a model but no training state, so it cannot be resumed")
                }
                let columns = try source.columns(resumed: scaling.columns)
                guard columns == scaling.columns, source.difference.map({ $0 == scaling.lag }) ?? true else {
                    func describe(_ columns: [String], _ lag: Int?) -> String {
                        "--column \(columns[0])" + (columns.count > 1 ? " --inputs \(columns.dropFirst().joined(separator: ","))" : "")
                            + (lag.map { $0 > 0 ? " --difference \($0)" : "" } ?? "")
                    }
                    throw CharLSTMError.conflict("cannot resume with \(describe(columns, source.difference)) (checkpoint: "
                        + "\(describe(scaling.columns, scaling.lag))): these are fixed by the checkpoint")
                }
                return (path, checkpoint, state, scaling)
            }
        resumedFrom = resumed?.path
        guard let path = configuration.corpus ?? resumed?.state.config.corpus.nonEmpty else {
            throw CharLSTMError.usage("name the CSV file of the series, e.g. 'charlstm train data.csv --column \(source.column)'")
        }
        seriesPath = path
        // The file is read once: its fingerprint (recorded, and checked on resume as for text) and its columns.
        let bytes = try SeriesTable.read(path: path)
        let file: CorpusFile
        do {
            file = try CorpusFile.scan(OwnedBytes(bytes), path: path)
        } catch {
            throw CharLSTMError(error.kind, "'\(path)' \(error.message)")
        }
        let table = try SeriesTable.load(bytes: bytes, path: path, columns: try source.columns(resumed: resumed?.scaling.columns),
                                         gaps: source.gaps)
        interpolated = table.interpolated

        let model: ModelConfig, training: TrainingConfig
        if let resumed {
            try configuration.checkResumable(model: resumed.checkpoint.config, training: resumed.state.config)
            try configuration.checkCorpus(file, trainedOn: resumed.state.config)
            model = configuration.resumedModel(resumed.checkpoint.config)
            training = configuration.training(from: resumed.state.config, corpus: file)
        } else {
            var base = TrainingConfig()
            base.sequenceLength = Self.defaultSequenceLength
            base.validationFraction = Self.defaultValidationFraction
            base.learningRateDecay = 1
            base.learningRate = 2e-3      // the series defaults were measured at this rate
            base.schedule = .constant     // what SeriesTrainer does: the checkpoint says so
            let T = configuration.sequenceLength ?? base.sequenceLength
            let held = Int(Double(table.count) * (configuration.validationFraction ?? base.validationFraction))
            base.batchSize = min(Self.defaultMaxBatchSize, max(1, (table.count - held - 1) / (4 * T)))
            var defaults = configuration
            defaults.hidden = defaults.hidden ?? Self.defaultHidden
            defaults.layers = defaults.layers ?? Self.defaultLayers
            model = defaults.newModel(vocabularySize: table.columns.count)
            training = configuration.training(from: base, corpus: file)
        }
        try model.validate()
        try TrainingRun.checkMemory(model: model, training: training)

        let held = Int(Double(table.count) * training.validationFraction), trainCount = table.count - held
        guard held >= 2 else {
            throw CharLSTMError.invalidData("'\(path)' has \(table.count) values: a validation split of \(training.validationFraction) "
                + "holds out \(held), at least 2 are needed: use a longer series or a larger --val-fraction")
        }
        let lag = resumed?.scaling.lag ?? source.difference ?? 0
        guard trainCount > lag + 1 else {
            throw CharLSTMError.invalidData("'\(path)' has \(trainCount) training values: differencing over \(lag) steps needs more than \(lag + 1)")
        }
        scaling = resumed?.scaling ?? SeriesScaling(fitting: table, rows: trainCount, lag: lag)
        // Model row i stands for table row i + lag.
        let z = scaling.standardize(table), F = table.columns.count, trainRows = trainCount - lag
        let warmup = min(trainRows, Self.validationWarmup)
        let holdout = SeriesHoldout(rows: Array(z[((trainRows - warmup) * F)...]), width: F, warmup: warmup)
        var rng = RandomGenerator(seed: training.seed)
        trainer = try SeriesTrainer(model: CharModel(config: model, rng: &rng, threads: threads), config: training,
                                    training: Array(z[..<(trainRows * F)]), validation: holdout, rng: rng)
        if let resumed {
            try trainer.restore(try resumed.checkpoint.trainerSnapshot())
            lastValidation = resumed.state.validationBPC
            bestValidation = resumed.state.bestValidationBPC
            elapsedBefore = resumed.state.elapsedSeconds
        }
        lock = try folder.prepare(continuing: resumedFolder.map(folder.isSameFolder) ?? false, overwrite: configuration.overwrite,
                                  holding: lockHeld)
    }

    /// Trains until `budget` is spent or `stopToken` stops the run, as ``TrainingRun/train(budget:stopToken:onProgress:)``
    /// does: validation, `best.safetensors` and `loss.svg` every ``TrainingRun/Configuration/evaluateEvery`` steps
    /// and at the last, `latest.safetensors` every ``TrainingRun/Configuration/checkpointEvery`` steps, at the last
    /// and when stopped, a row of `metrics.csv` every ``TrainingRun/Configuration/logEvery`` steps. Losses in the
    /// outcome and the progress are RMSE in the series' units. Throws `.diverged` for a non-finite loss (nothing
    /// from that step saved) and `.io` for a failed save (the file keeps its previous checkpoint).
    @discardableResult
    public func train(budget: TrainingBudget, stopToken: StopToken? = nil,
                      onProgress: (SeriesTrainingProgress) throws -> Void = { _ in }) throws -> TrainingOutcome {
        let start = clock(), runBefore = elapsedBefore
        func totalElapsed() -> Double { runBefore + clock() - start }
        defer { elapsedBefore = totalElapsed() }
        if budget.isSpent(step: trainer.step, epoch: trainer.epochProgress, elapsed: 0) { return outcome(.nothingToDo) }
        let metrics = try MetricsLog(path: folder.metrics, header: MetricsLog.seriesHeader)
        let config = configuration, unit = scaling.deviation[0]
        let valuesPerStep = Double(training.sequenceLength * training.batchSize)
        let startStep = trainer.step, totalSteps = budget.totalSteps(batchesPerEpoch: trainer.streams.batchesPerEpoch)
        var trainingSeconds = 0.0, window = (steps: 0, squares: 0.0, norm: 0.0, seconds: 0.0), latestStep: Int? = nil
        while true {
            if stopToken?.isStopRequested == true || Task.isCancelled {
                if latestStep != trainer.step { try save(to: folder.latest, elapsed: totalElapsed()) }
                return outcome(.stopped)
            }
            let learningRate = trainer.currentLearningRate
            let before = clock()
            let result = trainer.trainStep()
            let after = clock()
            guard result.meanSquaredError.isFinite, result.gradientNorm.isFinite else {
                throw CharLSTMError(.diverged, "training diverged at step \(trainer.step): the loss is not finite. "
                    + "Nothing was saved from this step; the last good checkpoint (\(Paths.exists(folder.latest) ? "'\(folder.latest)'" : "none yet")) "
                    + "is untouched. Try a lower --learning-rate (now \(learningRate)) or --clip")
            }
            trainingSeconds += after - before
            let seriesSquare = result.seriesRootMeanSquaredError * result.seriesRootMeanSquaredError
            window = (window.steps + 1, window.squares + seriesSquare, window.norm + result.gradientNorm,
                      window.seconds + after - before)
            let step = trainer.step
            let isLast = budget.isSpent(step: step, epoch: trainer.epochProgress, elapsed: after - start)
            var saved: [String] = [], validation: Double? = nil
            if step % config.evaluateEvery == 0 || isLast {
                let rmse = trainer.validate().seriesRootMeanSquaredError * unit
                validation = rmse
                lastValidation = rmse
                if rmse < (bestValidation ?? .infinity) {
                    bestValidation = rmse
                    try save(to: folder.best, elapsed: totalElapsed())
                    saved.append(folder.best)
                }
            }
            var row: MetricsRow? = nil
            if step % config.logEvery == 0 || validation != nil || isLast {
                row = MetricsRow(step: step, epoch: trainer.epochProgress, trainBPC: (window.squares / Double(window.steps)).squareRoot() * unit,
                                 valBPC: validation, learningRate: Double("\(result.learningRate)") ?? Double(result.learningRate),
                                 gradNorm: window.norm / Double(window.steps),
                                 charsPerSecond: Double(window.steps) * valuesPerStep / max(window.seconds, 1e-9), elapsedSeconds: totalElapsed())
                try metrics.append(row!)
                window = (0, 0, 0, 0)
            }
            if validation != nil { try drawPlot() }
            if step % config.checkpointEvery == 0 || isLast {
                try save(to: folder.latest, elapsed: totalElapsed())
                saved.append(folder.latest)
                latestStep = step
            }
            let elapsed = clock() - start
            let remaining = budget.secondsRemaining(elapsed: elapsed, stepsTaken: step - startStep,
                                                    stepsLeft: totalSteps.map { max(0, $0 - step) })
            try onProgress(SeriesTrainingProgress(
                step: step, totalSteps: totalSteps, epoch: trainer.epochProgress, trainRMSE: result.seriesRootMeanSquaredError * unit,
                validation: validation, lastValidation: lastValidation, bestValidation: bestValidation, metrics: row, saved: saved,
                valuesPerSecond: Double(step - startStep) * valuesPerStep / max(trainingSeconds, 1e-9),
                secondsRemaining: remaining, isLast: isLast))
            if isLast { return outcome(.budgetSpent) }
        }
    }

    private func outcome(_ reason: TrainingOutcome.Reason) -> TrainingOutcome {
        TrainingOutcome(reason: reason, step: trainer.step, epoch: trainer.epochProgress, lastValidation: lastValidation,
                        bestValidation: bestValidation, latest: folder.latest, best: Paths.exists(folder.best) ? folder.best : nil)
    }

    /// The series checkpoint of now: the model, its ``SeriesScaling`` and the trainer's snapshot; the validation
    /// RMSE goes where a text checkpoint keeps its bits per character.
    func checkpoint(elapsed: Double) -> Checkpoint {
        let snapshot = trainer.snapshot()
        var checkpoint = Checkpoint(config: model, vocabulary: Vocabulary(of: [Unicode.Scalar]()), parameters: snapshot.parameters,
                                    training: .init(config: training, snapshot: snapshot, validationBPC: lastValidation,
                                                    bestValidationBPC: bestValidation, elapsedSeconds: elapsed))
        checkpoint.series = scaling
        return checkpoint
    }

    private func save(to path: String, elapsed: Double) throws {
        do {
            try checkpoint(elapsed: elapsed).save(to: path, fileSystem: fileSystem)
        } catch let error as CharLSTMError {
            let kept = Paths.exists(path) ? "'\(path)' still holds the previous checkpoint" : "no checkpoint was saved"
            throw CharLSTMError(error.kind, "\(error.message); training stopped at step \(trainer.step), \(kept)")
        }
    }

    private func drawPlot() throws {
        let title = "\(FilePath(seriesPath).lastComponent ?? seriesPath) · \(scaling.target) · \(model.cell.rawValue) \(model.layers)×\(model.hidden)"
        let rows = try MetricsLog.read(path: folder.metrics, header: MetricsLog.seriesHeader)
        let svg = LossPlot.svg(rows: rows, title: title, unit: .rootMeanSquaredError)
        try AtomicFile.write(Array(svg.utf8), to: folder.plot, fileSystem: fileSystem)
    }
}

/// The state of a series run after one step, handed to the progress callback of
/// ``SeriesTrainingRun/train(budget:stopToken:onProgress:)``. Losses are RMSE in the series' units.
public struct SeriesTrainingProgress: Sendable {
    public var step: Int
    /// The step the budget ends at, when its steps or epochs fix it.
    public var totalSteps: Int?
    public var epoch: Double
    /// RMSE of this step's batch, before the update.
    public var trainRMSE: Double
    /// Validation RMSE measured at this step, if validation ran.
    public var validation: Double?
    public var lastValidation: Double?
    public var bestValidation: Double?
    /// The row appended to `metrics.csv` at this step, if any.
    public var metrics: MetricsRow?
    /// Checkpoint files written at this step.
    public var saved: [String]
    /// Training values per second in this call, counting training-step time only.
    public var valuesPerSecond: Double
    public var secondsRemaining: Double?
    public var isLast: Bool
}
