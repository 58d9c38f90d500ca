/// How well a model predicts a text: what `charlstm eval` reports.
public struct Evaluation: Equatable, Sendable {
    /// Mean cross-entropy of the predictions, in bits per character.
    public var bitsPerCharacter: Double
    /// Share of the predictions whose most likely character was the right one.
    public var accuracy: Double
    /// Characters predicted: all of the text but its first.
    public var predictions: Int
}

extension Checkpoint {
    /// The model's bits per character and top-1 accuracy on `text`, read in one continuous pass from a zero state,
    /// predicting every character after the first.
    ///
    /// ```swift
    /// let checkpoint = try Checkpoint.load(path: "Checkpoints/shakespeare/best.safetensors")
    /// let result = try checkpoint.evaluate(Array("To be, or not to be".unicodeScalars))
    /// print(result.bitsPerCharacter)
    /// ```
    ///
    /// Throws `.invalidData` when the text has characters the vocabulary lacks (naming them, with `name` for the
    /// text) or fewer than 2 characters. O(n·L·G·H²) on up to `threads` threads.
    public func evaluate(_ text: [Unicode.Scalar], named name: String = "the text", threads: Int = 1) throws(CharLSTMError) -> Evaluation {
        try requireTextModel(for: "measuring bits per character")
        let missing = vocabulary.missingCharacters(in: text)
        guard missing.isEmpty else { throw .invalidData(Vocabulary.lacking(missing, in: name)) }
        guard text.count >= 2 else {
            throw .invalidData("\(name) has \(text.count) character: at least 2 are needed to predict one")
        }
        let result = makeModel(threads: threads).evaluateContinuous(try vocabulary.encode(text))
        return Evaluation(bitsPerCharacter: result.bitsPerCharacter, accuracy: Double(result.correct) / Double(result.count),
                          predictions: result.count)
    }
}
