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

/// `charlstm train SERIES.csv --column NAME`: a ``SeriesTrainingRun`` with the terminal's messages, progress and
/// SIGINT/SIGTERM as a stop, as ``TrainCommand`` does for text. Without a budget option it trains
/// ``SeriesTrainingRun/defaultSteps`` steps.
struct SeriesTrainCommand {
    let options: TrainOptions
    let column: String
    let console: Console

    func run() throws -> Int32 {
        var configuration = options.run
        if configuration.folder == nil && configuration.resume == nil, let csv = configuration.corpus {
            configuration.folder = Paths.defaultRunFolder(forCorpus: csv)
        }
        if configuration.corpus != nil || configuration.resume != nil { configuration = try Paths.withDefaults(configuration) }
        let run = try SeriesTrainingRun(configuration, source: SeriesSource(column: column, gaps: options.interpolate ? .interpolate : .refuse,
                                                                             difference: options.difference,
                                                                             inputs: options.inputs.map(Self.names)))
        let model = run.model, counts = run.valueCounts, s = run.scaling
        try say((run.resumedFrom.map { "resuming '\($0)' at step \(run.step)" } ?? "training a new series model")
            + ": \(model.cell.rawValue), \(model.layers) layers × \(model.hidden), \(model.parameterCount) parameters; "
            + "column '\(s.target)'" + (s.columns.count > 1 ? " with inputs " + s.columns.dropFirst().map { "'\($0)'" }.joined(separator: ", ") : "")
            + " of '\(run.seriesPath)' (\(counts.training) training, \(counts.validation) validation values"
            + (run.interpolated > 0 ? ", \(run.interpolated) gaps interpolated" : "")
            + (s.lag > 0 ? "; changes over \(s.lag) steps" : "")
            + "; mean \(formatValue(s.mean[0])), std \(formatValue(s.deviation[0]))); batches \(run.training.batchSize) × "
            + "\(run.training.sequenceLength); output '\(run.folder.path)'; \(run.threads) threads")
        let none = options.steps == nil && options.epochs == nil && options.minutes == nil
        let budget = none ? TrainingBudget(steps: SeriesTrainingRun.defaultSteps) : options.budget
        let stop = StopToken()
        let watcher = InterruptWatcher(stopping: stop)
        defer { watcher.stop() }
        var lastDraw = Date.distantPast, drewLine = false
        let outcome = try run.train(budget: budget, stopToken: stop) { p in
            let values = "\(ProgressLine.rate(p.valuesPerSecond)) values/s"
            let eta = p.secondsRemaining.map { " eta=" + ProgressLine.duration($0) } ?? ""
            if !console.out.isTerminal {
                guard let row = p.metrics else { return }
                try console.out.write("step=\(p.step)" + (p.totalSteps.map { "/\($0)" } ?? "") + " epoch=" + String(p.epoch, fractionDigits: 2)
                    + " train_rmse=\(formatValue(row.trainLoss))" + (p.validation.map { " val_rmse=\(formatValue($0))" } ?? "")
                    + " \(values.replacingAll(" ", with: "_"))\(eta)\n")
                try console.out.flush()
                return
            }
            guard Date().timeIntervalSince(lastDraw) > 0.1 || p.isLast else { return }
            lastDraw = Date()
            drewLine = true
            try console.out.write("\rstep \(p.step)" + (p.totalSteps.map { "/\($0)" } ?? "") + " │ epoch " + String(p.epoch, fractionDigits: 2)
                + " │ rmse \(formatValue(p.trainRMSE))" + (p.lastValidation.map { " │ val \(formatValue($0))" } ?? "")
                + " │ \(values)" + (p.secondsRemaining.map { " │ ETA " + ProgressLine.duration($0) } ?? "") + "\u{1B}[K")
            try console.out.flush()
        }
        if drewLine { try console.out.write("\n") }
        switch outcome.reason {
        case .nothingToDo:
            try say("nothing to do: the checkpoint is at step \(outcome.step), which the budget already reaches")
            return 0
        case .stopped:
            try say("interrupted at step \(outcome.step): saved '\(outcome.latest)'; continue with: "
                + "charlstm train \(run.seriesPath) --column \(column)\(options.interpolate ? " --interpolate" : "") --resume \(run.folder.path)")
            return 128 + (watcher.received ?? SIGINT)
        case .budgetSpent, .noImprovement:  // series runs have no --patience: budgetSpent only
            try say("done at step \(outcome.step) (epoch \(String(outcome.epoch, fractionDigits: 2))): validation RMSE "
                + "\(outcome.lastValidation.map(formatValue) ?? "–"), best \(outcome.bestValidation.map(formatValue) ?? "–"); "
                + "saved '\(outcome.latest)'" + (outcome.best.map { " and '\($0)'" } ?? ""))
            return 0
        }
    }

    /// The column names of a comma-separated list, trimmed.
    static func names(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpacesAndTabs() }
    }

    private func say(_ line: String) throws {
        try console.out.write(line + "\n")
        try console.out.flush()
    }
}

/// A value of a series for people: 6 significant digits.
func formatValue(_ value: Double) -> String { String(value, significantDigits: 6) }
