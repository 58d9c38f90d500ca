import CharLSTMKernels
import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `charlstm eval`: bits per character and accuracy of a model on a text, one continuous pass from a zero state,
/// the file streamed (``Checkpoint/evaluate(_:threads:progress:)``); on a terminal, a progress line on standard error.
struct EvalCommand {
    let options: EvalOptions
    let console: Console
    /// Seconds between redraws of the progress line; tests set 0.
    var progressInterval = 0.2

    func run() throws -> Int32 {
        let path = try RunFolder.checkpointFile(options.checkpoint, preferBest: true)
        let checkpoint = try Checkpoint.load(path: path)
        let model: TextModel
        switch checkpoint.model {
        case .text(let text): model = text
        case .series(let series):
            if options.unknown != .refuse {
                throw CharLSTMError.usage("--skip-unknown and --replace-unknown apply to text models; '\(path)' holds a series model")
            }
            return try evaluateSeries(series, trainedOn: checkpoint.training?.config, path: path)
        }
        if options.warmup != nil || options.season != nil || options.interpolate {
            throw CharLSTMError.usage("--warmup, --season and --interpolate apply to series models; '\(path)' holds a text model")
        }
        let file = try CorpusFile.scan(path: options.file)
        if let weights = options.weights { return try evaluateSteps(model, path: path, file: file, weights: weights) }
        let shown = ProgressShown(sink: console.err, total: file.characterCount - 1, interval: progressInterval)
        let result = try model.evaluate(file, unknown: options.unknown,
                                        threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                             progress: shown.show)
        try shown.finish()
        let characters = file.characterCount
        if options.json {
            try console.out.write(JSONValue.object([
                "checkpoint": .string(path), "file": .string(options.file), "bits_per_char": .double(result.bitsPerCharacter),
                "accuracy": .double(result.accuracy), "predictions": .int(result.predictions), "chars": .int(characters),
                "unknown": .object(Dictionary(uniqueKeysWithValues: result.unknown.map { (String($0.character), .int($0.count)) })),
            ]).encoded + "\n")
        } else {
            try console.out.write("\(options.file): " + String(result.bitsPerCharacter, fractionDigits: 4) + " bits/char, "
                + String(100 * result.accuracy, fractionDigits: 2) + "%"
                + " of \(result.predictions) predictions ranked first (\(characters) characters)\n")
            if let note = Self.unknownNote(result.unknown, options.unknown) { try console.err.write(note + "\n") }
        }
        return 0
    }

    /// `eval --weights`: the text read one character at a time by generation's step, its weights stored as `weights`
    /// (the whole text in memory, as tokens).
    private func evaluateSteps(_ model: TextModel, path: String, file: CorpusFile, weights: WeightPrecision) throws -> Int32 {
        let result = try model.evaluateStepwise(file, weights: weights, unknown: options.unknown,
                                                     threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        if let note = Self.unknownNote(result.unknown, options.unknown) { try console.err.write(note + "\n") }
        if options.json {
            try console.out.write(JSONValue.object([
                "checkpoint": .string(path), "file": .string(options.file), "bits_per_char": .double(result.bitsPerCharacter),
                "weights": .string(weights.rawValue), "predictions": .int(result.predictions), "chars": .int(file.characterCount),
            ]).encoded + "\n")
        } else {
            try console.out.write("\(options.file): " + String(result.bitsPerCharacter, fractionDigits: 4) + " bits/char, generation's "
                + "step with \(weights.rawValue) weights (\(file.characterCount) characters)\n")
        }
        return 0
    }

    /// `left out 3 characters the model lacks: '<' ×2, '>' ×1`, or nil when there were none.
    static func unknownNote(_ counts: [UnknownCharacterCount], _ policy: UnknownCharacters) -> String? {
        guard !counts.isEmpty else { return nil }
        let total = counts.reduce(0) { $0 + $1.count }
        let done: String
        switch policy {
        case .replace(let scalar): done = "read \(counted(total, "character")) the model lacks as \(Vocabulary.describe(scalar))"
        case .skip, .refuse: done = "left out \(counted(total, "character")) the model lacks"
        }
        return done + ": " + UnknownCharacterCount.describe(counts)
    }

    /// What `eval` says when the model does not beat the previous value one step ahead, which on a smooth series
    /// (weekly CO₂) is the usual case and no sign of a broken model.
    static let naiveNote = "note: one step ahead, the naive forecast (each value predicted by the one before it) is hard "
        + "to beat on a smooth series; a model's worth shows over many steps, where the naive forecast drifts: "
        + "'charlstm forecast FILE --checkpoint RUN/latest.safetensors --holdout N' compares both over the last N values"

    /// `eval` on a series checkpoint: one-step-ahead errors over the file after a warm-up, against the naive forecasts.
    private func evaluateSeries(_ model: SeriesModel, trainedOn training: TrainingConfig?, path: String) throws -> Int32 {
        let forecaster = SeriesForecaster(model: model, threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let table = try SeriesTable.load(path: options.file, columns: forecaster.scaling.columns,
                                         gaps: options.interpolate ? .interpolate : .refuse)
        let lag = forecaster.scaling.lag
        if let given = options.warmup, given <= lag {
            throw CharLSTMError.usage("--warmup \(given) is too short: the model predicts changes over \(lag) steps, so at least \(lag + 1) values must be read first")
        }
        let warmup = options.warmup ?? max(lag + 1, training?.sequenceLength ?? SeriesDefaults.sequenceLength)
        guard table.count > warmup else {
            throw CharLSTMError.invalidData("'\(options.file)' has \(table.count) values: after a warm-up of \(warmup) none is left "
                + "to predict; at least \(warmup + 1) are needed (or a smaller --warmup)")
        }
        let r = try forecaster.evaluate(table, warmup: warmup, season: options.season)
        let column = forecaster.scaling.target
        if options.json {
            var fields: [String: JSONValue] = [
                "checkpoint": .string(path), "file": .string(options.file), "column": .string(column), "rmse": .double(r.rmse),
                "mae": .double(r.mae), "naive_rmse": .double(r.naiveRMSE), "count": .int(r.count), "warmup": .int(r.warmup),
            ]
            if let s = r.seasonalNaiveRMSE { fields["seasonal_naive_rmse"] = .double(s) }
            try console.out.write(JSONValue.object(fields).encoded + "\n")
        } else {
            try console.out.write("\(options.file), column '\(column)': RMSE \(formatValue(r.rmse)), MAE \(formatValue(r.mae)), "
                + "naive RMSE \(formatValue(r.naiveRMSE))" + (r.seasonalNaiveRMSE.map { ", seasonal naive RMSE \(formatValue($0))" } ?? "")
                + " over \(r.count) one-step predictions (after \(r.warmup) values of warm-up)\n")
            if r.rmse >= r.naiveRMSE { try console.err.write(Self.naiveNote + "\n") }
        }
        return 0
    }
}

/// `evaluating 37% (1234567 of 3336669 characters)` on a terminal (standard error), redrawn at most every
/// `interval` seconds and cleared at the end; nothing elsewhere, so output meant for files and pipes stays clean.
private final class ProgressShown {
    let sink: any TextSink
    let total: Int
    let interval: Double
    private var lastDraw = Date()
    private var drawn = false

    init(sink: any TextSink, total: Int, interval: Double) {
        self.sink = sink
        self.total = max(1, total)
        self.interval = interval
    }

    func show(_ done: Int) {
        guard sink.isTerminal, Date().timeIntervalSince(lastDraw) >= interval else { return }
        lastDraw = Date()
        drawn = true
        // A failed progress write is not worth stopping the evaluation for.
        try? sink.write("\revaluating \(done * 100 / total)% (\(done) of \(total) characters)\u{1B}[K")
        try? sink.flush()
    }

    func finish() throws {
        if drawn { try sink.write("\r\u{1B}[K") }
    }
}
