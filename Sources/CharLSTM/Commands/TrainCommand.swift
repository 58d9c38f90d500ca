/// `charlstm train`: the options are a ``TrainingRun/Configuration`` and a budget; the ``TrainingRun`` checks
/// everything (corpus, options, resume compatibility, memory, output folder) before any file in the output folder is
/// touched, then trains. This command adds what belongs to a terminal: the messages, the progress line, and
/// SIGINT/SIGTERM as a stop (exit code 128 + the signal's number).
struct TrainCommand {
    let options: TrainOptions
    let console: Console
    /// Where checkpoints are written; tests inject write failures here. The CLI uses the real file system.
    var fileSystem: any FileSystem = POSIXFileSystem()
    /// Called before every training step; tests inject faults here.
    var beforeStep: ((Trainer) -> Void)? = nil
    /// Where plans of the matrix products are remembered; tests inject a temporary folder. The CLI uses the
    /// user's cache folder.
    var planCache: PlanCache? = Paths.planCache()

    func run() throws -> Int32 {
        if let column = options.column { return try SeriesTrainCommand(options: options, column: column, console: console).run() }
        if options.interpolate || options.difference != nil || options.inputs != nil {
            throw CharLSTMError.usage("--interpolate, --difference and --inputs apply to series runs: give --column too")
        }
        let run = try TrainingRun(options.run)
        run.fileSystem = fileSystem
        run.beforeStep = beforeStep
        let model = run.model, characters = run.characterCounts
        let start = run.resumedFrom.map { "resuming '\($0)' at step \(run.step)" }
            ?? run.initialisedFrom.map { "training a new model from '\($0)'" } ?? "training a new model"
        try say(start
            + ": \(model.cell.rawValue), \(model.layers) layers × \(model.hidden), \(run.vocabulary.count) characters, "
            + "\(model.parameterCount) parameters; corpus '\(run.corpus)' (\(characters.training) training, "
            + "\(characters.validation) validation characters); output '\(run.folder.path)'; \(run.threads) threads")

        if let growth = run.vocabularyGrowth {
            try say(growth.added.isEmpty ? "the corpus uses no character the model lacks"
                : "added \(growth.added.count) character\(growth.added.count == 1 ? "" : "s") to the model's \(growth.old.count): "
                    + growth.addedDescription)
        }

        // The fastest kernels and blocking for this model's products on this machine (the same bits whichever).
        ProductPlanning.activate(config: model, sequenceLength: run.training.sequenceLength, batchSize: run.training.batchSize,
                                 threads: run.threads, budget: ProductPlanning.budget(for: options.budget), cache: planCache)

        let stop = StopToken()
        let watcher = InterruptWatcher(stopping: stop)
        defer { watcher.stop() }
        var display = ProgressDisplay(out: console.out)
        let outcome = try run.train(budget: options.budget, stopToken: stop) { try display.show($0) }
        if display.drewLine { try console.out.write("\n") }
        func format(_ bpc: Double?) -> String { bpc.map { String($0, fractionDigits: 4) } ?? "–" }
        let folder = run.folder.path
        switch outcome.reason {
        case .nothingToDo:
            try say("nothing to do: the checkpoint is at step \(outcome.step), epoch \(String(outcome.epoch, fractionDigits: 2)), "
                + "which the budget already reaches")
            return 0
        case .stopped:
            try say("interrupted at step \(outcome.step): saved '\(outcome.latest)'; continue with: charlstm train --resume \(run.folder.path)")
            return 128 + (watcher.received ?? SIGINT)
        case .noImprovement:
            try say("stopped early at step \(outcome.step) (epoch \(String(outcome.epoch, fractionDigits: 2))): "
                + "\(run.streak.withoutImprovement) validation\(run.streak.withoutImprovement == 1 ? "" : "s") in a row found no loss below \(format(run.streak.lowest)) bits/char "
                + "(--patience \(run.patience ?? 0)); the best model, \(format(outcome.bestValidation)) bits/char, is in '\(outcome.best ?? folder)'")
            return 0
        case .budgetSpent:
            try say("done at step \(outcome.step) (epoch \(String(outcome.epoch, fractionDigits: 2))): "
                + "validation \(format(outcome.lastValidation)) bits/char, best \(format(outcome.bestValidation)); "
                + "saved '\(outcome.latest)'" + (outcome.best.map { " and '\($0)'" } ?? ""))
            return 0
        }
    }

    private func say(_ line: String) throws {
        try console.out.write(line + "\n")
        try console.out.flush()
    }
}

/// Training progress on standard output: on a terminal one status line redrawn in place at most every 0.1 s (and at
/// the last step); elsewhere (a pipe, a log file) one plain line per row of `metrics.csv`.
private struct ProgressDisplay {
    let out: any TextSink
    /// Whether a terminal status line was drawn (it then needs a newline after the run).
    private(set) var drewLine = false
    private var lastDraw = Date.distantPast

    init(out: any TextSink) {
        self.out = out
    }

    mutating func show(_ p: TrainingProgress) throws {
        if !out.isTerminal {
            guard let row = p.metrics else { return }
            try out.write(ProgressLine.logLine(step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, trainBPC: row.trainBPC,
                                               valBPC: p.validation, charsPerSecond: p.charactersPerSecond,
                                               eta: p.secondsRemaining) + "\n")
            try out.flush()
            return
        }
        guard Date().timeIntervalSince(lastDraw) > 0.1 || p.isLast else { return }
        lastDraw = Date()
        drewLine = true
        let line = ProgressLine.format(step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, trainBPC: p.trainBitsPerCharacter,
                                       valBPC: p.lastValidation, charsPerSecond: p.charactersPerSecond,
                                       eta: p.secondsRemaining, width: ProgressLine.terminalWidth() - 1)
        try out.write("\r" + line + "\u{1B}[K")
        try out.flush()
    }
}
