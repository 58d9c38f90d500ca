import Foundation

/// `charlstm eval`: bits per character and accuracy of a model on a text, one continuous pass from a zero state.
struct EvalCommand {
    let options: EvalOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try Paths.checkpointFile(options.checkpoint, preferBest: true)
        let checkpoint = try Checkpoint.load(path: path)
        let text = try Corpus.load(path: options.file).text
        let missing = checkpoint.vocabulary.missingCharacters(in: text)
        guard missing.isEmpty else {
            throw CharLSTMError.invalidData("'\(options.file)' has \(Vocabulary.describe(missing)) not in the model's vocabulary")
        }
        guard text.count >= 2 else {
            throw CharLSTMError.invalidData("'\(options.file)' has \(text.count) character: at least 2 are needed to predict one")
        }
        let model = checkpoint.makeModel(threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let result = model.evaluateContinuous(try checkpoint.vocabulary.encode(text))
        let accuracy = Double(result.correct) / Double(result.count)
        if options.json {
            try console.out.write("{\"bits_per_char\": \(result.bitsPerCharacter), \"accuracy\": \(accuracy), \"chars\": \(text.count)}\n")
        } else {
            try console.out.write("\(options.file): " + String(format: "%.4f bits/char, %.2f%%", result.bitsPerCharacter, 100 * accuracy)
                + " of \(result.count) predictions ranked first (\(text.count) characters)\n")
        }
        return 0
    }
}
