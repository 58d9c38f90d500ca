/// A whole training job: a model, its corpus and its run folder, trained step by step until a budget is spent or
/// it is stopped, with validation, a kept best model, checkpoints, `metrics.csv` and the `loss.svg` plot.
///
/// ```swift
/// var configuration = TrainingRun.Configuration(corpus: "Corpora/shakespeare.txt", folder: "Checkpoints/demo")
/// configuration.hidden = 128
/// let run = try TrainingRun(configuration)
/// let outcome = try run.train(budget: .minutes(5)) { progress in
///     if let bpc = progress.validation { print("step \(progress.step): \(bpc) bits/char") }
/// }
/// // Later, or in another process: continue where it stopped.
/// let resumed = try TrainingRun(TrainingRun.Configuration(resume: "Checkpoints/demo"))
/// ```
///
/// Creating a run checks everything before any file in its folder is touched: the corpus, the settings, a
/// resumed checkpoint's compatibility, the memory the model needs, and the folder (one that holds another run is
/// refused unless ``Configuration/overwrite`` is set). Training then writes only into ``folder``, and every
/// checkpoint atomically, so a crash, a full disk or a diverging loss never leaves a broken or half-written
/// checkpoint. A resumed run continues bit for bit as if it had never stopped.
///
/// A run is used from one thread at a time (it may move between threads, e.g. into a detached task); a
/// ``StopToken`` stops it from any thread. Errors are ``CharLSTMError``s.
public final class TrainingRun: @unchecked Sendable {
    /// The configuration the run was created with.
    public let configuration: Configuration
    /// Where checkpoints, metrics and the plot are written.
    public let folder: RunFolder
    /// The path of the training text.
    public let corpus: String
    /// The checkpoint the run continues from, or `nil` for a new run.
    public let resumedFrom: String?
    /// The checkpoint the run's model started from (`--init-from`), kept over resumes; nil for a model trained
    /// from scratch.
    public let initialisedFrom: String?
    /// How the vocabulary of the model started from grew to cover the corpus: set when this run was created
    /// with ``Configuration/initFrom``.
    public let vocabularyGrowth: VocabularyGrowth?
    /// The characters the model knows: those of the corpus of the run's first start (and, for a run started
    /// from another model, that model's).
    public let vocabulary: Vocabulary
    /// The optimiser, model and batches; ``train(budget:stopToken:onProgress:)`` steps it.
    public let trainer: Trainer
    /// Threads the matrix products use.
    public let threads: Int
    /// The most recent validation loss in bits per character (over all resumes), if any was measured.
    public private(set) var lastValidation: Double?
    /// The lowest validation loss so far: the one `best.safetensors` holds.
    public private(set) var bestValidation: Double?
    /// Scheduled validations in a row without a new lowest loss that stop the run: ``Configuration/patience``,
    /// else a resumed checkpoint's; nil: no early stopping.
    public let patience: Int?
    /// What ``patience`` counts, over all resumes.
    public private(set) var streak = ValidationStreak()

    /// Where checkpoints and the plot are written; tests inject failures (a full disk) here.
    var fileSystem: any FileSystem = POSIXFileSystem()
    /// Called before every training step; tests use it to inject faults (e.g. a NaN weight).
    var beforeStep: ((Trainer) -> Void)? = nil
    /// Seconds on a monotonic clock; tests replace it to control time.
    var clock: () -> Double = TrainingRun.systemClock()
    /// Wall time of training behind this run before the current call, over all resumes.
    private var elapsedBefore: Double = 0
    /// Makes this run the folder's one writer for as long as the run exists.
    private let lock: RunFolderLock

    /// The model being trained.
    public var model: ModelConfig { trainer.model.config }
    /// Batching, optimiser and schedule in effect.
    public var training: TrainingConfig { trainer.config }
    /// Steps done since the start of training.
    public var step: Int { trainer.step }
    /// Passes over the training text done, fractional.
    public var epoch: Double { trainer.epochProgress }
    /// Characters of the corpus trained on, and held out for validation.
    public var characterCounts: (training: Int, validation: Int) { (trainer.streams.text.count, trainer.validation.count) }

    /// Checks everything, builds the model (restoring the checkpoint when resuming) and prepares the run folder.
    ///
    /// Throws `.usage` for a setting out of range, `.noInput`/`.invalidData` for a missing or unusable corpus or
    /// checkpoint (also one to start from, ``Configuration/initFrom``), `.conflict` for a resume that cannot be
    /// honoured, shape settings that differ from the model started from or a folder that holds another run,
    /// `.unavailable` for a model too large for memory, `.cannotCreate` for a folder that cannot be made. Nothing
    /// in the folder is touched unless every check passes. O(corpus + parameters).
    public init(_ configuration: Configuration) throws {
        try configuration.validate()
        self.configuration = configuration
        threads = configuration.threads ?? ProcessInfo.processInfo.activeProcessorCount
        // The folder is known before anything is read, so that one another process trains in is refused at once.
        let resumedFolder = configuration.resume.map(Paths.runFolder(ofCheckpoint:))
        folder = RunFolder(configuration.folder ?? resumedFolder
            ?? Paths.defaultRunFolder(forCorpus: configuration.corpus ?? Paths.bundledCorpus))
        try folder.checkUsable()
        // Taken before anything in the folder is read, so that two resumes of one folder can never both train.
        let held = try folder.lockIfPresent()
        let resumed: (path: String, checkpoint: Checkpoint, state: Checkpoint.TrainingState)? = try configuration.resume.map { given in
            let path = try Paths.checkpointFile(given, preferBest: false)
            let checkpoint = try Checkpoint.load(path: path)
            if let series = checkpoint.series {
                throw CharLSTMError.conflict("'\(path)' holds a series model (column '\(series.target)'): continue it with "
                    + "'charlstm train SERIES.csv --column \(series.target) --resume \(given)'")
            }
            guard let state = checkpoint.training else {
                throw CharLSTMError.invalidData("'\(path)' holds a model but no training state, so it cannot be resumed")
            }
            return (path, checkpoint, state)
        }
        resumedFrom = resumed?.path
        patience = configuration.patience ?? resumed?.state.patience
        corpus = configuration.corpus ?? resumed?.state.config.corpus.nonEmpty ?? Paths.bundledCorpus
        if configuration.corpus == nil && !Paths.exists(corpus) {
            throw CharLSTMError.noInput("no corpus given and '\(corpus)' is not there: name a UTF-8 text file, "
                + "e.g. 'charlstm train my.txt' (run from the repository folder to use the bundled corpus)")
        }

        // Model and training configuration: the checkpoint's when resuming, else the defaults; then the settings given.
        // The corpus is scanned once (validated, its alphabet and fingerprint taken) and then read as batches need it.
        let file = try CorpusFile.scan(path: corpus)
        // Growing a vocabulary needs each new character's count; `--init-from` serves small corpora, so their text
        // is read into memory once for that.
        var initialisation: Initialisation? = nil
        if let source = configuration.initFrom {
            initialisation = try Initialisation(source, text: try Corpus.load(path: corpus).text, configuration: configuration)
        }
        initialisedFrom = initialisation?.path ?? resumed?.checkpoint.initialisedFrom
        vocabularyGrowth = initialisation?.growth
        let model: ModelConfig
        let training: TrainingConfig
        let text: TokenText
        if let (_, checkpoint, state) = resumed {
            try configuration.checkResumable(model: checkpoint.config, training: state.config)
            model = configuration.resumedModel(checkpoint.config)
            training = configuration.training(from: state.config, corpus: file)
            vocabulary = checkpoint.vocabulary
            do {
                text = try TokenText(file: file, vocabulary: vocabulary, vocabularyOf: "the checkpoint")
            } catch {
                throw CharLSTMError(error.kind, error.message + "; resume on the corpus the run was trained on")
            }
            try configuration.checkCorpus(file, trainedOn: state.config)
        } else if let initialisation {
            vocabulary = initialisation.growth.new
            model = initialisation.config
            training = configuration.training(from: TrainingConfig(), corpus: file)
            text = try TokenText(file: file, vocabulary: vocabulary)
        } else {
            vocabulary = try Vocabulary(scalars: file.scalars)
            model = configuration.newModel(vocabularySize: vocabulary.count)
            training = configuration.training(from: TrainingConfig(), corpus: file)
            text = try TokenText(file: file, vocabulary: vocabulary)
        }
        try model.validate()
        try Self.checkMemory(model: model, training: training)

        let split = try CorpusSplit(text, validationFraction: training.validationFraction)
        var rng = RandomGenerator(seed: training.seed)
        let network: CharModel
        if let initialisation {
            network = initialisation.makeModel(threads: threads)
        } else {
            network = CharModel(config: model, rng: &rng, threads: threads)
            // A new model starts out predicting the training text's character frequencies (a resumed one is
            // restored below), counted on its first 8 Mi characters: plenty for the estimate, in bounded memory.
            if resumed == nil { network.setDecoderBiasToFrequencies(of: try split.training.prefix(1 << 23).tokens()) }
        }
        trainer = try Trainer(model: network, config: training, split: split, rng: rng)
        if let (_, checkpoint, state) = resumed {
            try checkpoint.restore(into: trainer)
            lastValidation = state.validationBPC
            bestValidation = state.bestValidationBPC
            streak = state.streak
            elapsedBefore = state.elapsedSeconds
        }

        // Only now is the folder touched. A run never overwrites another: a new run, or a resumed one sent to
        // another folder, needs one without checkpoints (or `overwrite`).
        lock = try folder.prepare(continuing: resumedFolder.map(folder.isSameFolder) ?? false, overwrite: configuration.overwrite,
                                  holding: held)
    }

    /// Trains until `budget` is spent, ``patience`` scheduled validations in a row find no new lowest loss, or
    /// `stopToken` (or the current task's cancellation) stops the run, and returns how it ended.
    ///
    /// After every step `onProgress` is called on this thread with a ``TrainingProgress``. Every
    /// ``Configuration/evaluateEvery`` steps, and at the last step, the validation text is measured (its first
    /// ``Configuration/validationCharacters``); a new lowest loss is saved to `best.safetensors` and `loss.svg`
    /// is redrawn. `latest.safetensors` is saved every
    /// ``Configuration/checkpointEvery`` steps, at the last step, and when stopped. `metrics.csv` gets a row every
    /// ``Configuration/logEvery`` steps, at every validation and at the last step.
    ///
    /// Call it again to train further (with a larger budget). Throws `.diverged` when the loss is not finite (nothing
    /// from that step is saved), `.io` when a save fails (the file keeps its previous checkpoint), and whatever
    /// `onProgress` throws. Each step costs O(T·B·L·G·H²) and allocates nothing; a validation O(n·L·G·H²).
    @discardableResult
    public func train(budget: TrainingBudget, stopToken: StopToken? = nil,
                      onProgress: (TrainingProgress) throws -> Void = { _ in }) throws -> TrainingOutcome {
        let start = clock()
        let runBefore = elapsedBefore
        /// Wall time of training over all resumes, now.
        func totalElapsed() -> Double { runBefore + clock() - start }
        defer { elapsedBefore = totalElapsed() }
        if budget.isSpent(step: trainer.step, epoch: trainer.epochProgress, elapsed: 0) { return outcome(.nothingToDo) }
        if streak.isExhausted(patience: patience) { return outcome(.noImprovement) }

        let metrics = try MetricsLog(path: folder.metrics)
        let config = configuration, charsPerStep = Double(training.sequenceLength * training.batchSize)
        let startStep = trainer.step, totalSteps = budget.totalSteps(batchesPerEpoch: trainer.streams.batchesPerEpoch)
        var trainingSeconds = 0.0, window = MetricsWindow(), latestStep: Int? = nil
        while true {
            if stopToken?.isStopRequested == true || Task.isCancelled {
                if latestStep != trainer.step { try save(to: folder.latest, elapsed: totalElapsed()) }
                return outcome(.stopped)
            }
            beforeStep?(trainer)
            let progress = budgetProgress(totalSteps: totalSteps, seconds: budget.seconds, runBefore: runBefore,
                                          elapsed: budget.seconds == nil ? 0 : clock() - start)
            let before = clock()
            let result = try trainer.trainStep(progress: progress)
            let after = clock()
            guard result.bitsPerCharacter.isFinite, result.gradientNorm.isFinite else {
                throw CharLSTMError(.diverged, "training diverged at step \(trainer.step): the loss is not finite. "
                    + "Nothing was saved from this step; the last good checkpoint (\(Paths.exists(folder.latest) ? "'\(folder.latest)'" : "none yet")) "
                    + "is untouched. Try a lower --learning-rate (now \(training.learningRate)) or --clip")
            }
            trainingSeconds += after - before
            window.add(result, seconds: after - before)
            let step = trainer.step
            // The budget is decided here, once per step: the step that spends it is the last and is saved.
            var isLast = budget.isSpent(step: step, epoch: trainer.epochProgress, elapsed: after - start)
            var stoppedEarly = false

            var saved: [String] = []
            var validation: Double? = nil
            if step % config.evaluateEvery == 0 || isLast {
                let bpc = try trainer.validate().bitsPerCharacter
                validation = bpc
                lastValidation = bpc
                if step % config.evaluateEvery == 0 {
                    streak.record(bpc)
                    stoppedEarly = streak.isExhausted(patience: patience)
                    isLast = isLast || stoppedEarly
                }
                if bpc < (bestValidation ?? .infinity) {
                    bestValidation = bpc
                    try save(to: folder.best, elapsed: totalElapsed())
                    saved.append(folder.best)
                }
            }
            var row: MetricsRow? = nil
            if step % config.logEvery == 0 || validation != nil || isLast {
                row = window.row(step: step, epoch: trainer.epochProgress, validation: validation, learningRate: result.learningRate,
                                 charsPerStep: charsPerStep, elapsedSeconds: totalElapsed())
                try metrics.append(row!)
                window = MetricsWindow()
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
            try onProgress(TrainingProgress(
                step: step, totalSteps: totalSteps, epoch: trainer.epochProgress, trainBitsPerCharacter: result.bitsPerCharacter,
                learningRate: result.learningRate, gradientNorm: result.gradientNorm, validation: validation,
                lastValidation: lastValidation, bestValidation: bestValidation, metrics: row, saved: saved,
                charactersPerSecond: Double(step - startStep) * charsPerStep / max(trainingSeconds, 1e-9),
                elapsedSeconds: elapsed, secondsRemaining: remaining, isLast: isLast))
            if isLast { return outcome(stoppedEarly ? .noImprovement : .budgetSpent) }
        }
    }

    /// The share of the budget spent before the next step, for the learning-rate schedule: steps done ÷ the step
    /// the budget ends at, or the wall time of training over all resumes ÷ that time plus this call's `seconds`,
    /// whichever is further; `nil` for a budget without end. Derived from the saved step and training time, so a
    /// resumed step budget gives the same shares as a run that never stopped. Allocates nothing. O(1).
    private func budgetProgress(totalSteps: Int?, seconds: Double?, runBefore: Double, elapsed: Double) -> Double? {
        var share = totalSteps.map { Double(trainer.step) / Double(max($0, 1)) }
        if let seconds { share = max(share ?? 0, (runBefore + elapsed) / max(runBefore + seconds, 1e-9)) }
        return share
    }

    private func outcome(_ reason: TrainingOutcome.Reason) -> TrainingOutcome {
        TrainingOutcome(reason: reason, step: trainer.step, epoch: trainer.epochProgress, lastValidation: lastValidation,
                        bestValidation: bestValidation, latest: folder.latest, best: Paths.exists(folder.best) ? folder.best : nil)
    }

    /// Saves a checkpoint of now to `path` atomically; on failure the error says that the file there (if any)
    /// still holds the previous checkpoint, and training stops.
    private func save(to path: String, elapsed: Double) throws {
        let checkpoint = Checkpoint(trainer: trainer, vocabulary: vocabulary, validationBPC: lastValidation,
                                    bestValidationBPC: bestValidation, elapsedSeconds: elapsed, streak: streak,
                                    patience: patience, initialisedFrom: initialisedFrom)
        do {
            try checkpoint.save(to: path, fileSystem: fileSystem)
        } catch let error as CharLSTMError {
            let kept = Paths.exists(path) ? "'\(path)' still holds the previous checkpoint" : "no checkpoint was saved"
            throw CharLSTMError(error.kind, "\(error.message); training stopped at step \(trainer.step), \(kept)")
        }
    }

    private func drawPlot() throws {
        let title = "\(FilePath(corpus).lastComponent ?? corpus) · \(model.cell.rawValue) \(model.layers)×\(model.hidden)"
        let svg = LossPlot.svg(rows: try MetricsLog.read(path: folder.metrics), title: title)
        try AtomicFile.write(Array(svg.utf8), to: folder.plot, fileSystem: fileSystem)
    }

    /// Refuses, before allocating, a model whose training buffers would not fit in memory.
    static func checkMemory(model: ModelConfig, training: TrainingConfig) throws(CharLSTMError) {
        let needed = Double(Trainer.bytesNeeded(config: model, training: training))
        let available = Double(Paths.physicalMemory)
        if needed > 0.8 * available {
            throw CharLSTMError(.unavailable, "this model would need about \(Paths.bytes(needed)) of memory to train "
                + "(\(model.parameterCount) parameters, batch \(training.batchSize) × \(training.sequenceLength)), but the machine has "
                + "\(Paths.bytes(available)): lower --hidden, --layers, --batch-size or --seq-length")
        }
    }

    /// Seconds since the clock was made, on a clock that keeps counting while the machine sleeps.
    static func systemClock() -> () -> Double {
        let origin = ContinuousClock.now
        return {
            let (seconds, attoseconds) = (ContinuousClock.now - origin).components
            return Double(seconds) + Double(attoseconds) * 1e-18
        }
    }
}

/// The steps since the last row of `metrics.csv`: their mean loss and gradient norm, and their training time.
private struct MetricsWindow {
    var steps = 0, bitsPerCharacter = 0.0, gradientNorm = 0.0, seconds = 0.0

    mutating func add(_ result: Trainer.StepResult, seconds: Double) {
        steps += 1
        bitsPerCharacter += result.bitsPerCharacter
        gradientNorm += result.gradientNorm
        self.seconds += seconds
    }

    /// The row for these steps; its rate counts training-step time only.
    func row(step: Int, epoch: Double, validation: Double?, learningRate: Float, charsPerStep: Double,
             elapsedSeconds: Double) -> MetricsRow {
        MetricsRow(step: step, epoch: epoch, trainBPC: bitsPerCharacter / Double(steps), valBPC: validation,
                   // The Float's shortest text, so the CSV shows 0.002 and not 0.0020000000949949026.
                   learningRate: Double("\(learningRate)") ?? Double(learningRate),
                   gradNorm: gradientNorm / Double(steps), charsPerSecond: Double(steps) * charsPerStep / max(seconds, 1e-9),
                   elapsedSeconds: elapsedSeconds)
    }
}

extension String {
    /// nil for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
