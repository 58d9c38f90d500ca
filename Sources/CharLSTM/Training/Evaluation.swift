import CharLSTMKernels

/// How well a model predicts a text: what `charlstm eval` reports.
public struct Evaluation: Equatable, Sendable {
    /// Mean cross-entropy of the predictions, in bits per character.
    public var bitsPerCharacter: Double
    /// Share of the predictions whose most likely character was the right one.
    public var accuracy: Double
    /// Characters predicted: all of the text but its first (characters left out not counted).
    public var predictions: Int
    /// The characters of the text the model lacks, left out or replaced (``UnknownCharacters``), and how often
    /// each occurred; empty when the model knows every character.
    public var unknown: [UnknownCharacterCount] = []
}

extension Evaluation {
    /// The figures of a pass's summed loss and counts.
    init(_ result: RecurrentNetwork.ForwardResult) {
        self.init(bitsPerCharacter: result.bitsPerCharacter, accuracy: Double(result.correct) / Double(result.count),
                  predictions: result.count)
    }

    /// This evaluation, or `.invalidData` when its loss is not a finite number: a model whose weights, finite
    /// each, overflow in its sums (a damaged or foreign checkpoint) predicts NaN or infinite probabilities, which
    /// are not a measurement to report. `name` names the text.
    func requiringFiniteLoss(on name: String) throws(CharLSTMError) -> Evaluation {
        try requireFiniteResult(bitsPerCharacter, "loss on \(name) in bits/char")
        return self
    }
}

/// Throws `.invalidData` unless `value`, a result of a model (what `what` names), is a finite number: a model whose
/// weights, finite each, overflow in its sums (a damaged or foreign checkpoint) gives NaN or infinity, which is
/// neither a measurement nor a forecast. The one check of evaluation and forecasting.
func requireFiniteResult(_ value: Double, _ what: String) throws(CharLSTMError) {
    guard value.isFinite else {
        throw .invalidData("the model's \(what) is not a finite number (\(value)): its weights overflow the arithmetic; "
            + "the checkpoint is damaged or was not trained by a sound run")
    }
}

extension TextModel {
    /// The model's bits per character and top-1 accuracy on `text`, read in one continuous pass from a zero state,
    /// predicting every character after the first.
    ///
    /// ```swift
    /// let model = try Checkpoint.load(path: "Checkpoints/shakespeare/best.safetensors").textModel()
    /// let result = try model.evaluate(Array("To be, or not to be".unicodeScalars))
    /// print(result.bitsPerCharacter)
    /// ```
    ///
    /// Characters the vocabulary lacks are refused (`.invalidData` naming them, with `name` for the text), left out
    /// or replaced, as `unknown` says; fewer than 2 characters are refused, and so is a loss that is not a finite
    /// number (`.invalidData`: weights that overflow). O(n·L·G·H²) on up to `threads` threads.
    public func evaluate(_ text: [Unicode.Scalar], named name: String = "the text", unknown: UnknownCharacters = .refuse,
                         threads: Int = 1) throws(CharLSTMError) -> Evaluation {
        let adapted = try vocabulary.adapting(text, unknown: unknown, named: name)
        var result = Evaluation(makeNetwork(threads: threads).evaluateContinuous(try encodeForPass(adapted.text, named: name)))
        result.unknown = adapted.unknown
        return try result.requiringFiniteLoss(on: name)
    }

    /// `text` as vocabulary indices for a continuous pass; throws `.invalidData` when it has characters the
    /// vocabulary lacks (naming them, with `name` for the text) or fewer than 2 characters. O(n).
    func encodeForPass(_ text: [Unicode.Scalar], named name: String) throws(CharLSTMError) -> [Int32] {
        let missing = vocabulary.missingCharacters(in: text)
        guard missing.isEmpty else { throw .invalidData(.init(Vocabulary.lacking(missing, in: name))) }
        guard text.count >= 2 else {
            throw .invalidData("\(name) has \(text.count) character: at least 2 are needed to predict one")
        }
        return try vocabulary.encode(text)
    }

    /// ``evaluate(_:named:threads:)`` of a scanned text file, streamed: the file is read through a small buffer
    /// as the model goes, so memory does not grow with it. `progress` is called every few thousand characters
    /// with the characters predicted so far (of ``CorpusFile/characterCount`` − 1).
    ///
    /// ```swift
    /// let file = try CorpusFile.scan(path: "held-out.txt")
    /// let result = try model.evaluate(file)
    /// ```
    ///
    /// Characters the vocabulary lacks are refused (`.invalidData` naming them), left out or replaced, as `unknown`
    /// says (one more pass over the file then counts them); fewer than 2 characters are refused, a loss that is not
    /// a finite number (`.invalidData`), and a file that changes while it is read (`.io`). O(n·L·G·H²) on up to
    /// `threads` threads.
    public func evaluate(_ file: CorpusFile, unknown: UnknownCharacters = .refuse, threads: Int = 1,
                         progress: ((Int) -> Void)? = nil) throws(CharLSTMError) -> Evaluation {
        let text = try TokenText(file: file, vocabulary: vocabulary, unknown: unknown)
        guard text.count >= 2 else {
            throw .invalidData("'\(file.path)' has \(text.count) character: at least 2 are needed to predict one")
        }
        let result = try makeNetwork(threads: threads).evaluateContinuous(text.whole, progress: progress)
        return try Evaluation(bitsPerCharacter: result.bitsPerCharacter, accuracy: Double(result.correct) / Double(result.count),
                              predictions: result.count, unknown: text.unknown).requiringFiniteLoss(on: "'\(file.path)'")
    }

    /// The model's bits per character on `file` read one character at a time by generation's step
    /// (``StepRunner``), its weights stored as `weights`: what compact generation weights cost in quality, against
    /// ``evaluate(_:unknown:threads:progress:)``'s fp32 figure. The text is held in memory as tokens. Throws as
    /// that does. O(n·L·G·H²).
    package func evaluateStepwise(_ file: CorpusFile, weights: WeightPrecision, unknown: UnknownCharacters = .refuse,
                                 threads: Int = 1) throws(CharLSTMError) -> Evaluation {
        let text = try TokenText(file: file, vocabulary: vocabulary, unknown: unknown)
        let tokens = try text.whole.tokens()
        guard tokens.count >= 2 else {
            throw .invalidData("'\(file.path)' has \(tokens.count) character: at least 2 are needed to predict one")
        }
        let runner = StepRunner(model: makeNetwork(threads: threads), weights: weights)
        return try Evaluation(bitsPerCharacter: runner.bitsPerCharacter(of: tokens), accuracy: .nan,
                              predictions: tokens.count - 1, unknown: text.unknown).requiringFiniteLoss(on: "'\(file.path)'")
    }
}
