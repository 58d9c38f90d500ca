import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `charlstm info`: what a checkpoint holds.
struct InfoCommand {
    let options: InfoOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try RunFolder.checkpointFile(options.path, preferBest: false)
        let checkpoint = try Checkpoint.load(path: path)
        let size = Files.size(path) ?? 0
        let c = checkpoint.config, t = checkpoint.training, summary = checkpoint.trainingSummary
        let preview = String(String.UnicodeScalarView(checkpoint.vocabulary.scalars.prefix(80)))
        if options.json {
            var fields: [String: JSONValue] = [
                "checkpoint": .string(path), "file_bytes": .int(size), "cell": .string(c.cell.rawValue), "layers": .int(c.layers),
                "hidden": .int(c.hidden), "vocab_size": .int(c.vocabularySize), "dropout": .number("\(c.dropout)"),
                "parameters": .int(c.parameterCount),
                "vocabulary": .array(checkpoint.vocabulary.scalars.map { .string(String($0)) }),
            ]
            fields["initialised_from"] = checkpoint.initialisedFrom.map { .string($0) } ?? .null
            if let summary {
                fields["step"] = .int(summary.step)
                fields["val_\(checkpoint.kind.lossKey)"] = summary.validationLoss.map { .double($0) } ?? .null
                fields["best_val_\(checkpoint.kind.lossKey)"] = summary.bestValidationLoss.map { .double($0) } ?? .null
                fields["elapsed_seconds"] = .double(summary.elapsedSeconds)
            }
            if let series = checkpoint.series {
                fields["series"] = .object(["columns": .array(series.columns.map { .string($0) }),
                                            "mean": .array(series.mean.map { .double($0) }), "std": .array(series.deviation.map { .double($0) }),
                                            "lag": .int(series.lag)])
                fields["vocabulary"] = nil
            }
            if let t {
                fields["epoch"] = .int(t.epoch)
                fields["seq_length"] = .int(t.config.sequenceLength)
                fields["batch_size"] = .int(t.config.batchSize)
                fields["learning_rate"] = .number("\(t.config.learningRate)")
                fields["corpus"] = .string(t.config.corpus)
                fields["patience"] = t.patience.map { .int($0) } ?? .null
                fields["validations_without_improvement"] = .int(t.streak.withoutImprovement)
                fields["budget"] = t.budget.map { budget in
                    .object(["steps": budget.steps.map { .int($0) } ?? .null, "epochs": budget.epochs.map { .double($0) } ?? .null,
                             "seconds_left": budget.seconds.map { .double($0) } ?? .null])
                } ?? .null
            }
            try console.out.write(JSONValue.object(fields).encoded + "\n")
            return 0
        }
        var lines = [
            "checkpoint    \(path) (\(Files.sizeText(Double(size))))",
            "model         \(c.shapeDescription) hidden, dropout \(c.dropout)",
            "parameters    \(c.parameterCount)",
            "vocabulary    \(c.vocabularySize) characters: \(preview.debugDescription)"
                + (c.vocabularySize > preview.unicodeScalars.count
                    ? " … (the first \(preview.unicodeScalars.count); 'charlstm info \(options.path) --json' lists all)" : ""),
        ]
        if let series = checkpoint.series {
            lines[3] = "series model  column '\(series.target)'"
                + (series.columns.count > 1 ? " with inputs " + series.columns.dropFirst().map { "'\($0)'" }.joined(separator: ", ") : "")
                + (series.lag > 0 ? ", changes over \(series.lag) steps" : "")
                + " (standardised with mean \(formatValue(series.mean[0])), std \(formatValue(series.deviation[0])))"
        }
        let unit = checkpoint.kind == .series ? "RMSE" : "bits/char"
        let fmt = { (v: Double?) in
            v.map { (checkpoint.kind == .series ? formatValue($0) : String($0, fractionDigits: 4)) + " " + unit } ?? "not measured"
        }
        if let t {
            lines += [
                "trained       step \(t.step), epoch \(t.epoch) + batch \(t.position), \(ProgressLine.duration(t.elapsedSeconds)) of training",
                "corpus        \(t.config.corpus)",
                "batches       \(t.config.batchSize) streams × \(t.config.sequenceLength) \(checkpoint.kind == .series ? "steps" : "characters"), learning rate \(t.config.learningRate)",
            ]
            if let budget = t.budget { lines.append("budget        \(budget.summary); --resume continues to it") }
            if let patience = t.patience {
                lines.append("patience      \(patience) validations; \(t.streak.withoutImprovement) in a row without a new best so far")
            }
        } else if let summary {
            lines.append("trained       step \(summary.step), \(ProgressLine.duration(summary.elapsedSeconds)) of training; "
                + "model only (no training state)")
        } else {
            lines.append("trained       model only (no training state; its step and validation loss were not recorded)")
        }
        if let source = checkpoint.initialisedFrom { lines.append("started from  \(source) (--init-from)") }
        if let summary {
            lines.append("validation    \(fmt(summary.validationLoss)) (best \(fmt(summary.bestValidationLoss)))")
        }
        try console.out.write(lines.joined(separator: "\n") + "\n")
        return 0
    }
}

extension TrainingBudget {
    /// The budget for people: `to step 2000`, `to epoch 1.5 or 4m10s more, whichever comes first`, `until stopped`.
    var summary: String {
        let parts = [steps.map { "to step \($0)" }, epochs.map { "to epoch \(formatNumber($0))" },
                     seconds.map { "for \(ProgressLine.duration($0)) more" }].compactMap { $0 }
        switch parts.count {
        case 0: return "until stopped"
        case 1: return parts[0]
        default: return parts.joined(separator: " or ") + ", whichever comes first"
        }
    }
}
