import CharLSTMKernels
import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `charlstm train`: the options are a ``TrainingRun/Configuration``, a series source when the data is a CSV column,
/// and a budget; the ``TrainingRun`` checks everything (data, options, resume compatibility, memory, output folder)
/// before any file in the output folder is touched, then trains. This command adds what belongs to a terminal: the
/// messages, the progress line, and SIGINT/SIGTERM as a stop (exit code 128 + the signal's number). Standard output
/// closed by its reader (`charlstm train … | head`) stops the run the same way, with exit code 141 (128 + SIGPIPE):
/// the run is cut short, so it is not a success, and what it trained is saved. Text and series runs go through the
/// same run; a series run resumes from its checkpoint alone, as a text run does.
struct TrainCommand {
    let options: TrainOptions
    let console: Console
    /// Where checkpoints are written; tests inject write failures here. The CLI uses the real file system.
    var fileSystem: any FileSystem = POSIXFileSystem()
    /// Called before every training step with the steps done and the model; tests inject faults here.
    var beforeStep: ((Int, RecurrentNetwork) -> Void)? = nil
    /// Where plans of the matrix products are remembered; tests inject a temporary folder. The CLI uses the
    /// user's cache folder.
    var planCache: PlanCache? = Paths.planCache()
    /// Stops the run: requested by SIGINT and SIGTERM (tests request it themselves).
    var stop = StopToken()
    /// The words that call the program as it was called, for the command printed to continue a stopped run.
    var program = CommandWords.program()
    /// Whether the reader of standard output went away: the run is then stopped as by a signal.
    private let output = OutputWatch()

    func run() throws -> Int32 {
        let seriesOptions = options.column != nil || options.interpolate || options.difference != nil || options.inputs != nil
        if seriesOptions && options.column == nil && options.run.resume == nil {
            throw CharLSTMError.usage("--interpolate, --difference and --inputs apply to series runs: give --column too")
        }
        let source = seriesOptions
            ? SeriesSource(column: options.column, gaps: options.interpolate ? .interpolate : .refuse,
                           difference: options.difference, inputs: options.inputs.map(Self.names))
            : nil
        var configuration = options.run
        if source != nil && configuration.corpus == nil && configuration.resume == nil {
            throw CharLSTMError.usage("name the CSV file of the series, e.g. 'charlstm train data.csv --column \(options.column ?? "NAME")'")
        }
        configuration = try Paths.withDefaults(configuration)
        let run = try TrainingRun(configuration, series: source)
        run.fileSystem = fileSystem
        run.beforeStep = beforeStep
        try say(describe(run))
        if let growth = run.vocabularyGrowth {
            try say(growth.added.isEmpty ? "the corpus uses no character the model lacks"
                : "added \(growth.added.count) character\(growth.added.count == 1 ? "" : "s") to the model's \(growth.old.count): "
                    + growth.addedDescription)
        }

        // The fastest kernels and blocking for this model's products on this machine (the same bits whichever).
        let budget = options.budget(for: run.kind, resumed: run.resumedBudget)
        if let note = budgetNote(run, budget: budget) { try console.err.write(note + "\n") }
        ProductPlanning.activate(run, budget: ProductPlanning.budget(for: budget), cache: planCache)

        let latest = run.folder.latest
        let watcher = InterruptWatcher(stopping: stop) { signal in
            // A second Ctrl-C: stop now, mid-step. Every checkpoint is written atomically, so what is on disk is
            // the last one saved, whole (a save cut short leaves only a temporary file, removed by the next run).
            let saved = Files.exists(latest)
                ? "'\(latest)' holds the last checkpoint saved; the steps since it are lost"
                : "no checkpoint of this run was saved"
            Console.writeImmediately("\nerror: interrupted again: stopped at once, mid-step; \(saved)\n")
            _exit(128 + signal)
        }
        defer { watcher.stop() }
        var display = ProgressDisplay(out: console.out, mayStopEarly: run.patience != nil)
        let outcome = try run.train(budget: budget, stopToken: stop) { progress in try guarded { try display.show(progress) } }
        if display.drewLine { try guarded { try console.out.write("\n") } }
        let unit = run.unit
        func format(_ loss: Double?) -> String { loss.map(unit.format) ?? "–" }
        let validation = run.kind == .text ? "validation \(format(outcome.lastValidation)) bits/char"
            : "validation RMSE \(format(outcome.lastValidation))"
        switch outcome.reason {
        case .nothingToDo:
            try say("nothing to do: the checkpoint is at step \(outcome.step), epoch \(String(outcome.epoch, fractionDigits: 2)), "
                + "which the budget already reaches")
            return 0
        case .stopped:
            let saved = "saved '\(outcome.latest)'; continue with: " + CommandWords.line(continuation(of: run))
            if watcher.received == nil && output.isClosed {
                try? console.err.write("error: standard output was closed (its reader went away): stopped at step "
                    + "\(outcome.step), \(saved)\n")
                try? console.err.flush()
                return 128 + SIGPIPE
            }
            try say("interrupted at step \(outcome.step): " + saved)
            return 128 + (watcher.received ?? SIGINT)
        case .noImprovement:
            try say("stopped early at step \(outcome.step) (epoch \(String(outcome.epoch, fractionDigits: 2))): "
                + "\(run.streak.withoutImprovement) validation\(run.streak.withoutImprovement == 1 ? "" : "s") in a row found no loss below "
                + "\(format(run.streak.lowest)) \(unit.phrase) (--patience \(run.patience ?? 0)); the best model, "
                + "\(format(outcome.bestValidation)) \(unit.phrase), is in '\(outcome.best ?? run.folder.path)'")
            return 0
        case .budgetSpent:
            try say("done at step \(outcome.step) (epoch \(String(outcome.epoch, fractionDigits: 2))): "
                + "\(validation), best \(format(outcome.bestValidation)); "
                + "saved '\(outcome.latest)'" + (outcome.best.map { " and '\($0)'" } ?? ""))
            return 0
        }
    }

    /// The command that continues `run` from its latest checkpoint to the end it was training towards, with the same
    /// schedule: the checkpoint records the budget, the settings and the intervals, so it needs only the folder, and
    /// what is not recorded (a series' gap policy, the threads asked for).
    func continuation(of run: TrainingRun) -> [String] {
        program + ["train", "--resume", run.folder.path] + (options.interpolate ? ["--interpolate"] : [])
            + (options.run.threads.map { ["--threads", "\($0)"] } ?? [])
    }

    /// What standard error says of a resumed run's `budget` when it is not the one the checkpoint recorded: one given
    /// on the command line replaces it; a checkpoint written before budgets were recorded gets the default.
    func budgetNote(_ run: TrainingRun, budget: TrainingBudget) -> String? {
        guard let checkpoint = run.resumedFrom else { return nil }
        guard let recorded = run.resumedBudget else {
            return options.hasBudget ? nil : "note: '\(checkpoint)' does not record the budget it was trained towards (it was "
                + "written by an older version): training \(budget.summary), the default; give --steps, --epochs or --minutes "
                + "for another end"
        }
        guard options.hasBudget, budget != recorded else { return nil }
        return "note: training \(budget.summary), as given, instead of \(recorded.summary) as the stopped run was"
    }

    /// The run's first line: what is trained, on what, and where it is written.
    private func describe(_ run: TrainingRun) -> String {
        let model = run.model, counts = run.dataCounts
        let start = run.resumedFrom.map { "resuming '\($0)' at step \(run.step)" }
            ?? run.initialisedFrom.map { "training a new model from '\($0)'" }
            ?? (run.kind == .series ? "training a new series model" : "training a new model")
        let shape = model.shapeDescription
        guard let s = run.series else {
            return start + ": \(shape), \(run.vocabulary?.count ?? 0) characters, "
                + "\(model.parameterCount) parameters; corpus '\(run.corpus)' (\(counts.training) training, "
                + "\(counts.validation) validation characters); output '\(run.folder.path)'; \(run.threads) threads"
        }
        return start + ": \(shape), \(model.parameterCount) parameters; "
            + "column '\(s.target)'" + (s.columns.count > 1 ? " with inputs " + s.columns.dropFirst().map { "'\($0)'" }.joined(separator: ", ") : "")
            + " of '\(run.corpus)' (\(counts.training) training, \(counts.validation) validation values"
            + (run.interpolated > 0 ? ", \(run.interpolated) gaps interpolated" : "")
            + (s.lag > 0 ? "; changes over \(s.lag) steps" : "")
            + "; mean \(formatValue(s.mean[0])), std \(formatValue(s.deviation[0]))); batches \(run.training.batchSize) × "
            + "\(run.training.sequenceLength); output '\(run.folder.path)'; \(run.threads) threads"
    }

    /// The column names of a comma-separated list, trimmed.
    static func names(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpacesAndTabs() }
    }

    private func say(_ line: String) throws {
        try guarded {
            try console.out.write(line + "\n")
            try console.out.flush()
        }
    }

    /// Runs `write`, a write to standard output; once its reader has gone away (``BrokenPipe``), writes nothing
    /// more there and stops the run, which then saves and ends as interrupted.
    private func guarded(_ write: () throws -> Void) throws {
        guard !output.isClosed else { return }
        do {
            try write()
        } catch is BrokenPipe {
            output.isClosed = true
            stop.requestStop()
        }
    }
}

/// Whether standard output's reader has gone away, as a train command found out.
private final class OutputWatch {
    var isClosed = false
}

/// A value of a series for people: 6 significant digits.
func formatValue(_ value: Double) -> String { String(value, significantDigits: 6) }

extension LossUnit {
    /// A loss for people: bits per character with 4 decimals, a series' RMSE with 6 significant digits.
    func format(_ loss: Double) -> String {
        isBitsPerCharacter ? String(loss, fractionDigits: 4) : formatValue(loss)
    }

    /// What follows a loss in a sentence: `bits/char`, `RMSE`.
    var phrase: String { isBitsPerCharacter ? "bits/char" : "RMSE" }

    var isBitsPerCharacter: Bool { self == .bitsPerCharacter }
}

/// Training progress on standard output: on a terminal one status line redrawn in place at most every 0.1 s (and at
/// the last step); elsewhere (a pipe, a log file) one plain line per row of `metrics.csv`. Both show the rate of the
/// latest row of `metrics.csv` (the steps since the row before, training time only), so that the two agree; with
/// `--patience` the time left is an upper bound and says so.
private struct ProgressDisplay {
    let out: any TextSink
    /// Whether the run may stop before its budget is spent.
    let mayStopEarly: Bool
    /// Whether a terminal status line was drawn (it then needs a newline after the run).
    private(set) var drewLine = false
    private var lastDraw = Date.distantPast
    /// The rate of the latest row of `metrics.csv`; until the first, the run's rate so far.
    private var recentRate: Double?

    init(out: any TextSink, mayStopEarly: Bool) {
        self.out = out
        self.mayStopEarly = mayStopEarly
    }

    mutating func show(_ p: TrainingProgress) throws {
        if let row = p.metrics { recentRate = row.itemsPerSecond }
        let rate = recentRate ?? p.itemsPerSecond
        if !out.isTerminal {
            guard let row = p.metrics else { return }
            try out.write(ProgressLine.logLine(step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, unit: p.unit,
                                               trainLoss: row.trainLoss, validationLoss: p.validation,
                                               itemsPerSecond: rate, eta: p.secondsRemaining, etaIsUpperBound: mayStopEarly) + "\n")
            try out.flush()
            return
        }
        guard Date().timeIntervalSince(lastDraw) > 0.1 || p.isLast else { return }
        lastDraw = Date()
        drewLine = true
        let line = ProgressLine.format(step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, unit: p.unit, trainLoss: p.trainLoss,
                                       validationLoss: p.lastValidation, itemsPerSecond: rate, eta: p.secondsRemaining,
                                       etaIsUpperBound: mayStopEarly, width: ProgressLine.terminalWidth() - 1)
        try out.write("\r" + line + "\u{1B}[K")
        try out.flush()
    }
}

/// `1 layer`, `2 layers`: a count and its noun for people.
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

extension ModelConfig {
    /// `lstm, 2 layers × 256`: the cell and the shape, as the commands print them.
    var shapeDescription: String { "\(cell.rawValue), \(counted(layers, "layer")) × \(hidden)" }
}
