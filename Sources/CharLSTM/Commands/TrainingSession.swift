import Foundation

/// The training loop of `charlstm train`: steps until the budget is spent or a signal arrives, logging
/// metrics.csv, redrawing loss.svg, keeping best.safetensors and latest.safetensors, drawing progress.
final class TrainingSession {
    struct Budget {
        var steps: Int?
        var epochs: Double?
        var minutes: Double?
    }

    struct History {
        var bestValidationBPC: Double? = nil
        var lastValidationBPC: Double? = nil
        var elapsedBefore: Double = 0
    }

    let trainer: Trainer
    let vocabulary: Vocabulary
    let folder: String
    let console: Console
    var history: History
    let budget: Budget
    let evalEvery: Int, checkpointEvery: Int, logEvery: Int
    let title: String
    /// Where checkpoints and the plot are written; tests inject failures (a full disk) here.
    let fileSystem: any FileSystem
    /// Called before every training step; tests use it to inject faults (e.g. a NaN weight).
    let beforeStep: ((Trainer) -> Void)?
    private let start = Date()
    private var metrics: MetricsLog? = nil

    init(trainer: Trainer, vocabulary: Vocabulary, folder: String, console: Console, history: History, budget: Budget,
         evalEvery: Int, checkpointEvery: Int, logEvery: Int, title: String,
         fileSystem: any FileSystem = POSIXFileSystem(), beforeStep: ((Trainer) -> Void)? = nil) {
        self.trainer = trainer
        self.vocabulary = vocabulary
        self.folder = folder
        self.console = console
        self.history = history
        self.budget = budget
        self.evalEvery = evalEvery
        self.checkpointEvery = checkpointEvery
        self.logEvery = logEvery
        self.title = title
        self.fileSystem = fileSystem
        self.beforeStep = beforeStep
    }

    var latestPath: String { folder + "/latest.safetensors" }
    var bestPath: String { folder + "/best.safetensors" }
    var metricsPath: String { folder + "/metrics.csv" }
    var plotPath: String { folder + "/loss.svg" }
    private var elapsed: Double { Date().timeIntervalSince(start) }

    /// Steps the budget allows in total, when it is known.
    var totalSteps: Int? {
        var total: Int? = budget.steps
        if let epochs = budget.epochs {
            let byEpochs = Int((epochs * Double(trainer.streams.batchesPerEpoch)).rounded(.up))
            total = min(total ?? byEpochs, byEpochs)
        }
        return total
    }

    private var budgetSpent: Bool {
        if let steps = budget.steps, trainer.step >= steps { return true }
        if let epochs = budget.epochs, trainer.epochProgress >= epochs - 1e-12 { return true }
        if let minutes = budget.minutes, elapsed >= minutes * 60 { return true }
        return false
    }

    /// Runs the loop; returns 0 when the budget is spent, 128 + signal number after a signal (130, 143).
    func run() throws -> Int32 {
        if budgetSpent {
            try say("nothing to do: the checkpoint is at step \(trainer.step), epoch \(String(format: "%.2f", trainer.epochProgress)), which the budget already reaches")
            return 0
        }
        metrics = try MetricsLog(path: metricsPath)
        let watcher = InterruptWatcher()
        defer { watcher.stop() }
        let charsPerStep = Double(trainer.config.sequenceLength * trainer.config.batchSize)
        let startStep = trainer.step
        var windowStart = Date(), windowSteps = 0, windowBPC = 0.0, windowNorm = 0.0
        var lastDraw = Date.distantPast

        while !budgetSpent {
            if let signal = watcher.received { return try interrupted(by: signal) }
            let lrBefore = trainer.currentLearningRate
            beforeStep?(trainer)
            let r = trainer.trainStep()
            guard r.bitsPerCharacter.isFinite, r.gradientNorm.isFinite else {
                throw CharLSTMError(.diverged, "training diverged at step \(trainer.step): the loss is not finite. "
                    + "Nothing was saved from this step; the last good checkpoint (\(Paths.exists(latestPath) ? "'\(latestPath)'" : "none yet")) "
                    + "is untouched. Try a lower --learning-rate (now \(lrBefore)) or --clip")
            }
            windowSteps += 1
            windowBPC += r.bitsPerCharacter
            windowNorm += r.gradientNorm
            let step = trainer.step
            let rate = Double(step - startStep) * charsPerStep / max(elapsed, 1e-9)
            var validation: Double? = nil
            if step % evalEvery == 0 || budgetSpent {
                validation = trainer.validate().bitsPerCharacter
                history.lastValidationBPC = validation
                if validation! < (history.bestValidationBPC ?? .infinity) {
                    history.bestValidationBPC = validation
                    try save(to: bestPath)
                }
            }
            if step % logEvery == 0 || validation != nil || budgetSpent {
                let seconds = Date().timeIntervalSince(windowStart)
                let row = MetricsRow(step: step, epoch: trainer.epochProgress, trainBPC: windowBPC / Double(windowSteps),
                                     valBPC: validation, learningRate: Double("\(r.learningRate)") ?? Double(r.learningRate),
                                     gradNorm: windowNorm / Double(windowSteps),
                                     charsPerSecond: Double(windowSteps) * charsPerStep / max(seconds, 1e-9),
                                     elapsedSeconds: history.elapsedBefore + elapsed)
                try metrics!.append(row)
                if !console.out.isTerminal {
                    try say(ProgressLine.logLine(step: step, totalSteps: totalSteps, epoch: trainer.epochProgress,
                                                 trainBPC: row.trainBPC, valBPC: validation, charsPerSecond: rate, eta: eta(rate: rate)))
                }
                windowStart = Date(); windowSteps = 0; windowBPC = 0; windowNorm = 0
            }
            if validation != nil { try drawPlot() }
            if step % checkpointEvery == 0 || budgetSpent { try save(to: latestPath) }
            if console.out.isTerminal && (Date().timeIntervalSince(lastDraw) > 0.1 || budgetSpent) {
                lastDraw = Date()
                let line = ProgressLine.format(step: step, totalSteps: totalSteps, epoch: trainer.epochProgress,
                                               trainBPC: r.bitsPerCharacter, valBPC: history.lastValidationBPC,
                                               charsPerSecond: rate, eta: eta(rate: rate),
                                               width: ProgressLine.terminalWidth() - 1)
                try console.out.write("\r" + line + "\u{1B}[K")
                try console.out.flush()
            }
        }
        if console.out.isTerminal { try console.out.write("\n") }
        try say("done at step \(trainer.step) (epoch \(String(format: "%.2f", trainer.epochProgress))): "
            + "validation \(format(history.lastValidationBPC)) bits/char, best \(format(history.bestValidationBPC)); "
            + "saved '\(latestPath)'" + (Paths.exists(bestPath) ? " and '\(bestPath)'" : ""))
        return 0
    }

    private func interrupted(by signal: Int32) throws -> Int32 {
        try save(to: latestPath)
        if console.out.isTerminal { try console.out.write("\n") }
        try say("interrupted at step \(trainer.step): saved '\(latestPath)'; continue with: charlstm train --resume \(folder)")
        return 128 + signal
    }

    /// Saves a checkpoint of now to `path` atomically; on failure the error says that the file there (if
    /// any) still holds the previous checkpoint, and training stops.
    private func save(to path: String) throws {
        do {
            try checkpoint().save(to: path, fileSystem: fileSystem)
        } catch let error as CharLSTMError {
            let kept = Paths.exists(path) ? "'\(path)' still holds the previous checkpoint" : "no checkpoint was saved"
            throw CharLSTMError(error.kind, "\(error.message); training stopped at step \(trainer.step), \(kept)")
        }
    }

    private func checkpoint() -> Checkpoint {
        Checkpoint(trainer: trainer, vocabulary: vocabulary, validationBPC: history.lastValidationBPC,
                   bestValidationBPC: history.bestValidationBPC, elapsedSeconds: history.elapsedBefore + elapsed)
    }

    private func drawPlot() throws {
        let rows = try MetricsLog.read(path: metricsPath)
        let svg = LossPlot.svg(rows: rows, title: title)
        try AtomicFile.write(Array(svg.utf8), to: plotPath, fileSystem: fileSystem)
    }

    private func eta(rate: Double) -> Double? {
        var remaining: [Double] = []
        if let total = totalSteps, rate > 0 {
            let charsPerStep = Double(trainer.config.sequenceLength * trainer.config.batchSize)
            remaining.append(Double(max(0, total - trainer.step)) * charsPerStep / rate)
        }
        if let minutes = budget.minutes { remaining.append(max(0, minutes * 60 - elapsed)) }
        return remaining.min()
    }

    private func format(_ bpc: Double?) -> String { bpc.map { String(format: "%.4f", $0) } ?? "–" }

    private func say(_ line: String) throws {
        try console.out.write(line + "\n")
        try console.out.flush()
    }
}
