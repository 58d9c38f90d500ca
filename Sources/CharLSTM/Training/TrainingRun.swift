#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CharLSTMKernels

/// A whole training job: a model, its data and its run folder, trained step by step until a budget is spent or
/// it is stopped, with validation, a kept best model, checkpoints, `metrics.csv` and the `loss.svg` plot.
///
/// The data is a text corpus (a character model: bits per character) or a column of a CSV file (a series model:
/// RMSE in the series' units); both go through this one loop, over the ``TrainingObjective`` of their kind.
///
/// ```swift
/// var configuration = TrainingRun.Configuration(corpus: "Corpora/shakespeare.txt", folder: "Checkpoints/demo")
/// configuration.hidden = 128
/// let run = try TrainingRun(configuration)
/// let outcome = try run.train(budget: .minutes(5)) { progress in
///     if let bpc = progress.validation { print("step \(progress.step): \(bpc) bits/char") }
/// }
/// // Later, or in another process: continue where it stopped (a text or a series run alike).
/// let resumed = try TrainingRun(TrainingRun.Configuration(resume: "Checkpoints/demo"))
/// ```
///
/// Creating a run checks everything before any file in its folder is touched: the data, the settings, a
/// resumed checkpoint's compatibility, the memory the model needs, and the folder (one that holds another run is
/// refused unless ``Configuration/overwrite`` is set) with the `metrics.csv` the run appends to (every row in range;
/// rows past the step a run resumes from, logged after a killed run's last checkpoint, are then dropped). Training
/// then writes only into ``folder``, and every checkpoint atomically, so a crash, a full disk or a diverging loss
/// never leaves a broken or half-written checkpoint. A resumed run continues bit for bit as if it had never stopped.
///
/// A run is used from one thread at a time; it may be handed to another task (e.g. a detached one) as a whole.
/// A ``StopToken`` stops it from any thread. Errors are ``CharLSTMError``s.
public final class TrainingRun {
    /// The configuration the run was created with.
    public let configuration: Configuration
    /// Where checkpoints, metrics and the plot are written.
    public let folder: RunFolder
    /// The training data: a UTF-8 text, or the CSV file of a series.
    public let corpus: String
    /// The checkpoint the run continues from, or `nil` for a new run.
    public let resumedFrom: String?
    /// The budget the resumed checkpoint was trained towards, as a budget for the rest of its run: the same step
    /// and epoch limits (counted from the start of training) and the time that was left of a time limit. Training
    /// to it ends where the stopped run would have ended, with the same learning-rate schedule. `nil` for a new
    /// run, or a checkpoint written before budgets were recorded.
    public let resumedBudget: TrainingBudget?
    /// Threads the matrix products use.
    public let threads: Int
    /// The model, its state and its objective (the data, batches, loss and checkpoints of its kind of model).
    let trainer: any ErasedTrainer

    /// Where checkpoints and the plot are written; tests inject failures (a full disk) here.
    package var fileSystem: any FileSystem = POSIXFileSystem()
    /// Called before every training step with the steps done and the model; tests inject faults (a NaN weight).
    package var beforeStep: ((_ step: Int, _ model: RecurrentNetwork) -> Void)? = nil
    /// Seconds on a monotonic clock; tests replace it to control time.
    var clock: () -> Double = TrainingRun.systemClock()
    /// Makes this run the folder's one writer for as long as the run exists.
    private let lock: RunFolderLock
    /// Whether the folder still holds the files of the run this one replaces (``Configuration/overwrite``): they
    /// stay until this run's first save.
    private var replacing = false
    /// Where `metrics.csv` rows go: the folder's file, or, while ``replacing``, a temporary name of it that the
    /// first save renames to it.
    private var metricsPath = ""

    /// What the run trains.
    private var objective: any TrainingObjective { trainer.erasedObjective }
    /// Text or series.
    public var kind: ModelKind { objective.kind }
    /// What the losses are measured in, and what a step trains on.
    public var unit: LossUnit { objective.unit }
    /// The model being trained.
    public var model: ModelConfig { trainer.model.config }
    /// Batching, optimiser, schedule and intervals in effect.
    public var training: TrainingConfig { trainer.state.config }
    /// Steps done since the start of training.
    public var step: Int { trainer.state.step }
    /// Passes over the training data done, fractional.
    public var epoch: Double { trainer.state.epochProgress(batchesPerEpoch: trainer.batchesPerEpoch) }
    /// The most recent validation loss in the run's ``unit`` (over all resumes), if any was measured.
    public var lastValidation: Double? { trainer.state.validationLoss }
    /// The lowest validation loss so far: the one `best.safetensors` holds.
    public var bestValidation: Double? { trainer.state.bestValidationLoss }
    /// Scheduled validations in a row without a new lowest loss that stop the run: ``Configuration/patience``,
    /// else a resumed checkpoint's, else ``SeriesDefaults/patience`` for a series; nil: no early stopping.
    public var patience: Int? { trainer.state.patience }
    /// What ``patience`` counts, over all resumes.
    package var streak: ValidationStreak { trainer.state.streak }
    /// Characters (text) or values (series) trained on, and held out for validation.
    public var dataCounts: (training: Int, validation: Int) { objective.dataCounts }
    /// A text run's characters: those of the corpus of its first start (and, for a run started from another model,
    /// that model's); nil for a series run.
    public var vocabulary: Vocabulary? { (objective as? TextObjective)?.vocabulary }
    /// The checkpoint a text run's model started from (``Configuration/initFrom``), kept over resumes.
    public var initialisedFrom: String? { (objective as? TextObjective)?.initialisedFrom }
    /// How the vocabulary of the model started from grew to cover the corpus, for a run created with
    /// ``Configuration/initFrom``.
    public var vocabularyGrowth: VocabularyGrowth? { (objective as? TextObjective)?.growth }
    /// A series run's columns and standardisation (from the training part of its first start); nil for text.
    public var series: SeriesScaling? { (objective as? SeriesObjective)?.scaling }
    /// Gaps of a series filled by interpolation; 0 for text.
    public var interpolated: Int { (objective as? SeriesObjective)?.interpolated ?? 0 }
    /// Times the two ways of sharing this run's recurrences between threads on this machine and keeps the faster
    /// (``RecurrentNetwork/planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``, for the streams a pass takes), within
    /// about `budget`. Same bits either way. Plan the products of ``TrainingProduct/toPlan(config:sequenceLength:batchSize:threads:)``
    /// first.
    @discardableResult
    package func planRecurrenceSplit(budget: Duration, cache: PlanCache?) -> RecurrenceSplitPlan {
        let streams = Workspace.streamsPerPass(config: model, sequenceLength: training.sequenceLength, batchSize: training.batchSize)
        return trainer.model.planRecurrenceSplit(streams: streams, budget: budget, cache: cache)
    }

    /// A text run's trainer (for tests that look inside).
    var textTrainer: Trainer<TextObjective>? { trainer as? Trainer<TextObjective> }
    /// A series run's trainer (for tests that look inside).
    var seriesTrainer: Trainer<SeriesObjective>? { trainer as? Trainer<SeriesObjective> }

    /// A run on `configuration`: a text run, or the series run a resumed series checkpoint continues (its columns
    /// and differencing from the checkpoint, gaps refused). See ``init(_:series:)``.
    public convenience init(_ configuration: Configuration) throws {
        try self.init(configuration, series: nil)
    }

    /// Checks everything, builds the model (straight from the checkpoint when resuming) and prepares the run folder.
    ///
    /// With `series` the run trains a series model on a CSV column (``SeriesSource``); a resumed series checkpoint
    /// makes a series run also without it. Throws `.usage` for a setting out of range, `.noInput`/`.invalidData`
    /// for missing or unusable data or checkpoint (also one to start from, ``Configuration/initFrom``),
    /// `.conflict` for a resume that cannot be honoured (a checkpoint of the other kind, settings it fixes, a step
    /// at 10^15), shape settings that differ from the model started from, a folder that holds another run or a
    /// `metrics.csv` with another header, `.invalidData` for a row of that file that is malformed or out of range,
    /// `.unavailable` for a model too large for memory, `.cannotCreate` for a folder that cannot be made. Nothing
    /// in the folder is touched unless every check passes. O(data + parameters + metrics).
    public init(_ configuration: Configuration, series source: SeriesSource?) throws {
        try configuration.validate()
        self.configuration = configuration
        threads = configuration.threads ?? ProcessInfo.processInfo.activeProcessorCount
        // The folder is known before anything is read, so that one another process trains in is refused at once.
        let resumedFolder = configuration.resume.map(RunFolder.init(holding:))
        guard let folderPath = configuration.folder ?? resumedFolder?.path else {
            throw CharLSTMError.usage("name the run folder (\(setting: .folder)) of a new run")
        }
        folder = RunFolder(folderPath)
        try folder.checkUsable()
        // Taken before anything in the folder is read, so that two resumes of one folder can never both train.
        let held = try folder.lockIfPresent()
        let resumed = try configuration.resume.map(ResumedRun.init(given:))
        resumedFrom = resumed?.path
        resumedBudget = resumed?.state.budget
        let isSeries = source != nil || resumed?.checkpoint.series != nil
        guard let corpus = configuration.corpus ?? resumed?.state.config.corpus.nonEmpty else {
            throw CharLSTMError.usage(isSeries ? "name the CSV file of the series (\(setting: .corpus))"
                : "name the \(setting: .corpus) of a new run (a UTF-8 text file)")
        }
        self.corpus = corpus
        if let resumed, resumed.state.step >= ValueRange.countLimit {
            throw CharLSTMError.conflict("'\(resumed.path)' is at step \(resumed.state.step), the most steps a run counts: "
                + "it cannot be trained further" + (isSeries ? "" : "; start a new run from its model with \(setting: .initFrom)"))
        }
        if isSeries {
            let (objective, model, state) = try SeriesObjective.setUp(configuration, source: source, file: corpus,
                                                                      resumed: resumed, threads: threads)
            trainer = try Trainer(objective: objective, model: model, state: state)
        } else {
            let (objective, model, state) = try TextObjective.setUp(configuration, corpus: corpus, resumed: resumed, threads: threads)
            trainer = try Trainer(objective: objective, model: model, state: state)
        }
        // A series validates often (SeriesDefaults.evaluateEvery) and stops when it overfits: it learns in a few
        // hundred steps. Patience given, else the checkpoint's, else a series' default.
        if let patience = configuration.patience {
            trainer.state.patience = patience
        } else if isSeries && trainer.state.patience == nil {
            trainer.state.patience = SeriesDefaults.patience
        }
        // A run never overwrites another: a new run, or a resumed one sent to another folder, needs one without
        // a run's files, or `overwrite`, and then replaces the old run's files only when it first saves.
        let continuing = resumedFolder.map { Files.sameFile($0.path, folderPath) } ?? false
        // What the run reads is never one of the files it writes (or replaces, with `overwrite`).
        let startedFrom = resumed == nil ? (trainer.erasedObjective as? TextObjective)?.initialisedFrom : nil
        for (input, role) in [(corpus, "the corpus of this run"), (startedFrom, "the model this run starts from")] {
            if let input, let clash = folder.files.first(where: { Files.sameFile($0, input) }) {
                throw CharLSTMError.conflict("'\(clash)' is \(role), and a run writes a file of that name "
                    + "in its folder: choose another \(setting: .folder)")
            }
        }
        replacing = !continuing && configuration.overwrite && folder.holdsRunFiles
        // The metrics a continuing run will append to and read are checked too; rows past the step it starts from
        // (logged after the last checkpoint of a killed run) are dropped once the folder is ready. (Any other run
        // finds no metrics.csv: ``RunFolder/prepare(continuing:overwrite:holding:)`` refuses one, or with `overwrite`
        // the run logs to a file of its own until its first save.)
        let startStep = trainer.state.step, header = trainer.erasedObjective.unit.metricsHeader
        let dropsRows = try continuing && MetricsLog.check(path: folder.metrics, header: header, continuingFrom: startStep)
        // Only now is the folder touched.
        lock = try folder.prepare(continuing: continuing, overwrite: configuration.overwrite, holding: held)
        metricsPath = replacing ? AtomicFile.temporaryPath(for: folder.metrics) : folder.metrics
        if dropsRows { try MetricsLog.dropRows(after: startStep, path: folder.metrics, header: header) }
    }

    deinit {
        if replacing { Files.remove(metricsPath) }
    }

    /// Trains until `budget` is spent, ``patience`` scheduled validations in a row find no new lowest loss, or
    /// `stopToken` (or the current task's cancellation) stops the run, and returns how it ended.
    ///
    /// After every step `onProgress` is called on this thread with a ``TrainingProgress``. Every
    /// ``TrainingConfig/evaluateEvery`` steps, and at the last step, the validation data is measured; a new lowest
    /// loss is saved to `best.safetensors` and `loss.svg` is redrawn. `latest.safetensors` is saved every
    /// ``TrainingConfig/checkpointEvery`` steps, at the last step, and when stopped. `metrics.csv` gets a row every
    /// ``TrainingConfig/logEvery`` steps, at every validation and at the last step. Losses are in ``unit``. Every
    /// checkpoint records `budget` (its time limit as the time left), so that a resume trains to the same end
    /// (``resumedBudget``).
    ///
    /// Call it again to train further (with a larger budget). Throws `.usage` for a budget out of range,
    /// `.diverged` when the loss is not finite (nothing from that step is saved), `.io` when a save fails (the file
    /// keeps its previous checkpoint), and whatever `onProgress` throws. Each step costs O(T·B·L·G·H²) and
    /// allocates nothing; a validation O(n·L·G·H²).
    @discardableResult
    public func train(budget: TrainingBudget, stopToken: StopToken? = nil,
                      onProgress: (TrainingProgress) throws -> Void = { _ in }) throws -> TrainingOutcome {
        try budget.validate()
        let start = clock(), runBefore = trainer.state.elapsedSeconds
        /// Wall time of training over all resumes, now.
        func totalElapsed() -> Double { runBefore + clock() - start }
        defer { trainer.state.elapsedSeconds = totalElapsed() }
        if budget.isSpent(step: step, epoch: epoch, elapsed: 0) { return outcome(.nothingToDo) }
        if streak.isExhausted(patience: patience) { return outcome(.noImprovement) }

        let metrics = try MetricsLog(path: metricsPath, header: unit.metricsHeader)
        let config = training, itemsPerStep = Double(config.sequenceLength * config.batchSize)
        let startStep = step, totalSteps = budget.totalSteps(batchesPerEpoch: trainer.batchesPerEpoch)
        var trainingSeconds = 0.0, window = MetricsWindow(unit: unit), latestStep: Int? = nil
        /// Saves a checkpoint of now to `path`, recording the training time and the budget with the time left of its
        /// time limit (the two add up to the time limit's end, so a resume ends where this call would have).
        func save(to path: String) throws {
            let now = clock() - start
            trainer.state.elapsedSeconds = runBefore + now
            trainer.state.budget = budget
            trainer.state.budget?.seconds = budget.seconds.map { max(0, $0 - now) }
            try self.save(to: path)
        }
        func stopRequested() -> Bool { stopToken?.isStopRequested == true || Task.isCancelled }
        /// Appends the row of the steps since the last one to `metrics.csv`, and starts a new window.
        func appendRow(step: Int, validation: Double?, learningRate: Float) throws -> MetricsRow {
            let row = window.row(step: step, epoch: epoch, validation: validation, learningRate: learningRate,
                                 itemsPerStep: itemsPerStep, elapsedSeconds: totalElapsed())
            try metrics.append(row)
            window = MetricsWindow(unit: unit)
            return row
        }
        while true {
            if stopRequested() {
                if latestStep != step { try save(to: folder.latest) }
                return outcome(.stopped)
            }
            beforeStep?(step, trainer.model)
            let progress = budgetProgress(totalSteps: totalSteps, seconds: budget.seconds, runBefore: runBefore,
                                          elapsed: budget.seconds == nil ? 0 : clock() - start)
            let before = clock()
            let result = try trainer.trainStep(progress: progress)
            let after = clock()
            /// Training stops at a loss that is not finite: nothing of it reaches a file.
            func diverged(_ loss: String) -> CharLSTMError {
                CharLSTMError(.diverged, "training diverged at step \(self.step): the \(loss) is not finite. "
                    + "Nothing was saved from this step; the last good checkpoint (\(Files.exists(folder.latest) ? "'\(folder.latest)'" : "none yet")) "
                    + "is untouched. Try a lower \(setting: .learningRate) (now \(config.learningRate)) or \(setting: .clip)")
            }
            guard result.loss.isFinite, result.gradientNorm.isFinite else { throw diverged("loss") }
            trainingSeconds += after - before
            window.add(result, seconds: after - before)
            let step = self.step
            // The budget is decided here, once per step: the step that spends it is the last and is saved. Step 10^15,
            // the most a checkpoint records, ends every budget.
            var isLast = budget.isSpent(step: step, epoch: epoch, elapsed: after - start) || step >= ValueRange.countLimit
            var stoppedEarly = false

            var saved: [String] = []
            var validation: Double? = nil
            if step % config.evaluateEvery == 0 || isLast {
                // Validation asks for a stop every chunk: a large one is not waited for. The step is trained, so it is
                // saved; its validation is left out (not recorded, not counted for patience).
                guard let loss = try trainer.validate(shouldStop: stopRequested) else {
                    if step % config.logEvery == 0 || isLast {
                        _ = try appendRow(step: step, validation: nil, learningRate: result.learningRate)
                    }
                    try save(to: folder.latest)
                    return outcome(.stopped)
                }
                guard loss.isFinite else { throw diverged("validation loss") }
                validation = loss
                trainer.state.validationLoss = loss
                if step % config.evaluateEvery == 0 {
                    trainer.state.streak.record(loss)
                    stoppedEarly = streak.isExhausted(patience: patience)
                    isLast = isLast || stoppedEarly
                }
                if loss < (bestValidation ?? .infinity) {
                    trainer.state.bestValidationLoss = loss
                    try save(to: folder.best)
                    saved.append(folder.best)
                }
            }
            var row: MetricsRow? = nil
            if step % config.logEvery == 0 || validation != nil || isLast {
                row = try appendRow(step: step, validation: validation, learningRate: result.learningRate)
            }
            if validation != nil && !replacing { try drawPlot() }
            if step % config.checkpointEvery == 0 || isLast {
                try save(to: folder.latest)
                saved.append(folder.latest)
                latestStep = step
            }
            let elapsed = clock() - start
            let remaining = budget.secondsRemaining(elapsed: elapsed, stepsTaken: step - startStep,
                                                    stepsLeft: totalSteps.map { max(0, $0 - step) })
            try onProgress(TrainingProgress(
                step: step, totalSteps: totalSteps, epoch: epoch, unit: unit, trainLoss: result.loss,
                learningRate: result.learningRate, gradientNorm: result.gradientNorm, validation: validation,
                lastValidation: lastValidation, bestValidation: bestValidation, metrics: row, saved: saved,
                itemsPerSecond: Double(step - startStep) * itemsPerStep / max(trainingSeconds, 1e-9),
                elapsedSeconds: elapsed, secondsRemaining: remaining, isLast: isLast))
            if isLast { return outcome(stoppedEarly ? .noImprovement : .budgetSpent) }
        }
    }

    /// The share of the budget spent before the next step, for the learning-rate schedule: steps done ÷ the step
    /// the budget ends at, or the wall time of training over all resumes ÷ that time plus this call's `seconds`,
    /// whichever is further; `nil` for a budget without end. Derived from the saved step and training time, so a
    /// resumed step budget gives the same shares as a run that never stopped. Allocates nothing. O(1).
    private func budgetProgress(totalSteps: Int?, seconds: Double?, runBefore: Double, elapsed: Double) -> Double? {
        var share = totalSteps.map { Double(step) / Double(max($0, 1)) }
        if let seconds { share = max(share ?? 0, (runBefore + elapsed) / max(runBefore + seconds, 1e-9)) }
        return share
    }

    private func outcome(_ reason: TrainingOutcome.Reason) -> TrainingOutcome {
        TrainingOutcome(reason: reason, step: step, epoch: epoch, lastValidation: lastValidation,
                        bestValidation: bestValidation, latest: folder.latest, best: folder.bestIfSaved)
    }

    /// Saves the trainer's checkpoint of now to `path` atomically; on failure the error says that the file there
    /// (if any) still holds the previous checkpoint, and training stops.
    private func save(to path: String) throws {
        do {
            try trainer.checkpoint().save(to: path, fileSystem: fileSystem)
        } catch let error as CharLSTMError {
            let kept = !Files.exists(path) ? "no checkpoint was saved"
                : replacing ? "'\(path)' still holds the checkpoint of the run this one replaces"
                : "'\(path)' still holds the previous checkpoint"
            throw error.adding("; training stopped at step \(step), \(kept)")
        }
        if replacing {
            try folder.finishReplacing(saved: path, stagedMetrics: metricsPath, fileSystem: fileSystem)
            replacing = false
            metricsPath = folder.metrics
        }
    }

    private func drawPlot() throws {
        let title = "\(FilePath(corpus).lastComponent ?? corpus) · " + objective.plotSubject
            + "\(model.cell.rawValue) \(model.layers)×\(model.hidden)"
        let svg = LossPlot.svg(rows: try MetricsLog.read(path: metricsPath, header: unit.metricsHeader), title: title, unit: unit)
        try AtomicFile.write(Array(svg.utf8), to: folder.plot, fileSystem: fileSystem)
    }

    /// Refuses, before allocating, a model whose training would need more than 80% of the machine's memory
    /// (`needed` bytes: what the objective's trainer allocates).
    static func checkMemory(needed: Int, model: ModelConfig, training: TrainingConfig) throws(CharLSTMError) {
        let needed = Double(needed), available = Double(ProcessInfo.processInfo.physicalMemory)
        if needed > 0.8 * available {
            throw CharLSTMError(.unavailable, "this model would need about \(Files.sizeText(needed)) of memory to train "
                + "(\(model.parameterCount) parameters, batch \(training.batchSize) × \(training.sequenceLength)), but the machine has "
                + "\(Files.sizeText(available)): lower \(setting: .hidden), \(setting: .layers), \(setting: .batchSize) or \(setting: .sequenceLength)")
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

/// A checkpoint a run resumes from: its file, contents and training state.
struct ResumedRun {
    let path: String
    let checkpoint: Checkpoint
    let state: TrainingState

    /// Loads the checkpoint `given` names (a file, or a run folder's latest). Throws `.invalidData` when it holds a
    /// model without training state.
    init(given: String) throws {
        path = try RunFolder.checkpointFile(given, preferBest: false)
        checkpoint = try Checkpoint.load(path: path)
        guard let state = checkpoint.training else {
            throw CharLSTMError.invalidData("'\(path)' holds a model but no training state, so it cannot be resumed")
        }
        self.state = state
    }

    /// The checkpoint's state, continued under `config` (its settings with those given for the resume).
    func state(with config: TrainingConfig) -> TrainingState {
        var state = self.state
        state.config = config
        return state
    }
}

/// The steps since the last row of `metrics.csv`: their loss (mean, or root mean square for RMSE), gradient norm
/// and training time.
private struct MetricsWindow {
    let unit: LossUnit
    var steps = 0, loss = 0.0, gradientNorm = 0.0, seconds = 0.0

    init(unit: LossUnit) { self.unit = unit }

    mutating func add(_ result: TrainingStep, seconds: Double) {
        steps += 1
        loss += unit.isRootMeanSquare ? result.loss * result.loss : result.loss
        gradientNorm += result.gradientNorm
        self.seconds += seconds
    }

    /// The row for these steps; its rate counts training-step time only.
    func row(step: Int, epoch: Double, validation: Double?, learningRate: Float, itemsPerStep: Double,
             elapsedSeconds: Double) -> MetricsRow {
        let mean = loss / Double(steps)
        return MetricsRow(step: step, epoch: epoch, trainLoss: unit.isRootMeanSquare ? mean.squareRoot() : mean,
                          validationLoss: validation,
                          // The Float's shortest text, so the CSV shows 0.002 and not 0.0020000000949949026.
                          learningRate: Double("\(learningRate)") ?? Double(learningRate),
                          gradientNorm: gradientNorm / Double(steps), itemsPerSecond: Double(steps) * itemsPerStep / max(seconds, 1e-9),
                          elapsedSeconds: elapsedSeconds)
    }
}

extension String {
    /// nil for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
