/// Streams text from a trained model, one character at a time, with carried state.
///
/// ```swift
/// let checkpoint = try Checkpoint.load(path: "Checkpoints/shakespeare/best.safetensors")
/// let generator = try Generator(checkpoint: checkpoint, sampler: Sampler(temperature: 0.8), seed: 7)
/// try generator.prime("ROMEO:")
/// var text = "ROMEO:"
/// for _ in 0..<200 { text.unicodeScalars.append(generator.next()) }
/// ```
///
/// The same checkpoint, prime, sampler and seed always give the same text. Each ``next()`` costs one
/// step of the model, O(L·G·H² + H·V), and allocates nothing.
public final class Generator: @unchecked Sendable {
    public let vocabulary: Vocabulary
    public let sampler: Sampler
    public var rng: RandomGenerator
    private let runner: StepRunner
    private var scratch = SamplerScratch()
    /// Logits for the next character: from the last character fed, or the zero-state decoder output.
    private var logits: [Float]

    public init(model: CharModel, vocabulary: Vocabulary, sampler: Sampler, seed: UInt64) {
        precondition(model.config.vocabularySize == vocabulary.count, "model and vocabulary disagree")
        self.vocabulary = vocabulary
        self.sampler = sampler
        rng = RandomGenerator(seed: seed)
        runner = StepRunner(model: model)
        // With nothing read yet the hidden state is zero, so the decoder sees only its bias.
        let d = model.layout.decoder
        logits = Array(UnsafeBufferPointer(start: model.parameters.pointer + d.bias, count: vocabulary.count))
    }

    public convenience init(checkpoint: Checkpoint, sampler: Sampler, seed: UInt64, threads: Int = 1) throws {
        self.init(model: checkpoint.makeModel(threads: threads), vocabulary: checkpoint.vocabulary, sampler: sampler, seed: seed)
    }

    /// Reads `text` into the state (the model "has just seen" it). Throws, naming them, for characters the
    /// vocabulary lacks, before reading anything. O(n) steps.
    public func prime(_ text: String) throws(CharLSTMError) {
        let missing = vocabulary.missingCharacters(in: text.unicodeScalars)
        guard missing.isEmpty else {
            throw .usage("the prime text's \(Vocabulary.describe(missing)) not in the model's vocabulary")
        }
        for s in text.unicodeScalars { feed(vocabulary.index(of: s)!) }
    }

    /// Samples the next character and reads it into the state.
    public func next() -> Unicode.Scalar {
        let index = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, using: &rng, scratch: &scratch) }
        feed(Int32(index))
        return vocabulary.scalars[index]
    }

    private func feed(_ token: Int32) {
        let out = runner.step(token)
        logits.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: out.baseAddress!, count: out.count) }
    }
}
