import Foundation

/// `charlstm eval`: bits per character and accuracy of a model on a text, one continuous pass from a zero state
/// (``Checkpoint/evaluate(_:named:threads:)``).
struct EvalCommand {
    let options: EvalOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try Paths.checkpointFile(options.checkpoint, preferBest: true)
        let checkpoint = try Checkpoint.load(path: path)
        let text = try Corpus.load(path: options.file).text
        let result = try checkpoint.evaluate(text, named: "'\(options.file)'",
                                             threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        if options.json {
            try console.out.write(JSONValue.object([
                "checkpoint": .string(path), "file": .string(options.file), "bits_per_char": .double(result.bitsPerCharacter),
                "accuracy": .double(result.accuracy), "predictions": .int(result.predictions), "chars": .int(text.count),
            ]).encoded + "\n")
        } else {
            try console.out.write("\(options.file): " + String(format: "%.4f bits/char, %.2f%%", result.bitsPerCharacter, 100 * result.accuracy)
                + " of \(result.predictions) predictions ranked first (\(text.count) characters)\n")
        }
        return 0
    }
}
