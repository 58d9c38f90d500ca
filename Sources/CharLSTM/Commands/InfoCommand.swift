import Foundation

/// `charlstm info`: what a checkpoint holds.
struct InfoCommand {
    let options: InfoOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try Paths.checkpointFile(options.path, preferBest: false)
        let checkpoint = try Checkpoint.load(path: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let c = checkpoint.config, t = checkpoint.training
        let preview = String(String.UnicodeScalarView(checkpoint.vocabulary.scalars.prefix(80)))
        if options.json {
            var fields: [String: JSONValue] = [
                "checkpoint": .string(path), "file_bytes": .int(size), "cell": .string(c.cell.rawValue), "layers": .int(c.layers),
                "hidden": .int(c.hidden), "vocab_size": .int(c.vocabularySize), "dropout": .number("\(c.dropout)"),
                "parameters": .int(c.parameterCount),
                "vocabulary": .array(checkpoint.vocabulary.scalars.map { .string(String($0)) }),
            ]
            if let t {
                fields["step"] = .int(t.step)
                fields["epoch"] = .int(t.epoch)
                fields["seq_length"] = .int(t.config.sequenceLength)
                fields["batch_size"] = .int(t.config.batchSize)
                fields["learning_rate"] = .number("\(t.config.learningRate)")
                fields["corpus"] = .string(t.config.corpus)
                fields["val_bpc"] = t.validationBPC.map { .double($0) } ?? .null
                fields["best_val_bpc"] = t.bestValidationBPC.map { .double($0) } ?? .null
                fields["elapsed_seconds"] = .double(t.elapsedSeconds)
            }
            try console.out.write(JSONValue.object(fields).encoded + "\n")
            return 0
        }
        var lines = [
            "checkpoint    \(path) (\(Paths.bytes(Double(size))))",
            "model         \(c.cell.rawValue), \(c.layers) layers × \(c.hidden) hidden, dropout \(c.dropout)",
            "parameters    \(c.parameterCount)",
            "vocabulary    \(c.vocabularySize) characters: \(preview.debugDescription)\(c.vocabularySize > 80 ? " …" : "")",
        ]
        if let t {
            let fmt = { (v: Double?) in v.map { String(format: "%.4f bits/char", $0) } ?? "not measured" }
            lines += [
                "trained       step \(t.step), epoch \(t.epoch) + batch \(t.position), \(ProgressLine.duration(t.elapsedSeconds)) of training",
                "corpus        \(t.config.corpus)",
                "batches       \(t.config.batchSize) streams × \(t.config.sequenceLength) characters, learning rate \(t.config.learningRate)",
                "validation    \(fmt(t.validationBPC)) (best \(fmt(t.bestValidationBPC)))",
            ]
        } else {
            lines.append("trained       model only (no training state)")
        }
        try console.out.write(lines.joined(separator: "\n") + "\n")
        return 0
    }
}
