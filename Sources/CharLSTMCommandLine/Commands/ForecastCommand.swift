import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `charlstm forecast`: reads the model's column of a CSV file, runs the series model over it and streams the next
/// values to standard output as CSV (`step,<column>`, with `actual` when a held-out tail is given). With
/// `--holdout`, the errors of the forecast and of the naive forecasts go to standard error; `--plot` draws it all.
struct ForecastCommand {
    let options: ForecastOptions
    let console: Console

    func run() throws -> Int32 {
        let o = options
        if o.season != nil && o.holdout == nil { throw CharLSTMError.usage("--season compares forecasts with held-out values: give --holdout too") }
        let path = try RunFolder.checkpointFile(o.checkpoint, preferBest: true)
        let plot = o.plot.map {
            OutputFile(path: $0, command: "forecast", option: "--plot", example: "forecast.svg",
                       inputs: [(o.file, "the series read"), (path, "the checkpoint")], checkpoint: path, force: o.force)
        }
        try plot?.check()
        let checkpoint = try Checkpoint.load(path: path)
        let forecaster = try SeriesForecaster(model: checkpoint.seriesModel(for: "forecasting"), threads: o.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let column = forecaster.scaling.target
        let table = try SeriesTable.load(path: o.file, columns: forecaster.scaling.columns, gaps: o.interpolate ? .interpolate : .refuse)
        let held = o.holdout ?? 0
        let lag = forecaster.scaling.lag
        guard table.count > held + lag else {
            throw CharLSTMError.invalidData("'\(o.file)' has \(table.count) values" + (held > 0 ? ", \(held) of them held out" : "")
                + ": at least \(held + lag + 1) are needed" + (lag > 0 ? " (the model predicts changes over \(lag) steps)" : ""))
        }
        if let given = o.warmup, given <= lag {
            throw CharLSTMError.usage("--warmup \(given) is too short: the model predicts changes over \(lag) steps, so at least \(lag + 1) values must be read")
        }
        let end = table.count - held, first = max(0, end - (o.warmup ?? end))
        let history = table.rows(first..<end), actual = table.rows(end..<table.count).column(0)
        let steps = o.stepCount
        try console.out.write("step,\(Self.csvField(column))" + (held > 0 ? ",actual" : "") + "\n")
        var forecast: [Double] = []
        try forecaster.forecast(history, steps: steps) { k, value in
            forecast.append(value)
            try console.out.write("\(k),\(value)" + (held > 0 ? "," + (k <= held ? "\(actual[k - 1])" : "") : "") + "\n")
            try console.out.flush()
        }
        if held > 0 {
            try report(try SeriesBacktest(forecast: forecast, actual: actual, history: history.column(0), season: o.season))
        }
        if let plot {
            let past = history.column(0).suffix(max(4 * steps, 100))
            let svg = ForecastPlot.svg(history: Array(past), forecast: forecast, actual: actual,
                                       title: "\(FilePath(o.file).lastComponent ?? o.file) · \(column) · forecast", column: column,
                                       unit: o.unit)
            try plot.write(Array(svg.utf8))
        }
        return 0
    }

    /// The backtest's errors (over the held-out values the forecast reaches), on standard error.
    private func report(_ score: SeriesBacktest) throws {
        var line = "forecast of \(score.count) held-out values: RMSE \(formatValue(score.rmse)), MAE \(formatValue(score.mae)); "
            + "naive (last value repeated) RMSE \(formatValue(score.naiveRMSE))"
        if let s = score.season {
            line += score.seasonalNaiveRMSE.map { "; seasonal naive (period \(s)) RMSE \(formatValue($0))" }
                ?? "; seasonal naive needs \(s) values of history"
        }
        try console.out.flush()
        try console.err.write(line + "\n")
        try console.err.flush()
    }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }
}
