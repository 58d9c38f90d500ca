import CharLSTMKernels

/// Streams text sampled from a trained model, one character (Unicode scalar) at a time: a single-pass `Sequence`.
///
/// ```swift
/// let model = try Checkpoint.load(path: "Checkpoints/shakespeare/best.safetensors").textModel()
/// let generator = try TextGenerator(model: model, sampler: Sampler(temperature: 0.8, topK: 20),
///                                   seed: 7, length: 500, stop: "\n\n")
/// try generator.prime("ROMEO:")
/// for character in generator { print(character, terminator: "") }
/// ```
///
/// The sequence ends after ``length`` characters, or right after the generated text ends with ``stop``; with
/// neither it never ends. The same model, prime, sampler and seed always give the same text. Each character costs
/// one step of the model, O(L·G·H² + H·V), and allocates nothing. Used from one thread at a time.
public final class TextGenerator: Sequence, IteratorProtocol {
    /// The characters the model knows, which are all it generates and all a prime may hold.
    public let vocabulary: Vocabulary
    /// How each next character is chosen from the model's logits.
    public let sampler: Sampler
    /// The seed of the random draws: the one given, or a fresh one (print it to reproduce the text).
    public let seed: UInt64
    /// Most characters to generate; `nil`: no limit.
    public let length: Int?
    /// The text after which generation ends (matched on generated text, not the prime); `nil`: none.
    public let stop: String?
    /// Characters generated so far.
    public private(set) var count = 0
    /// Whether the sequence has ended (``length`` reached or ``stop`` generated).
    public private(set) var isFinished = false
    private var rng: RandomGenerator
    private let runner: StepRunner
    private var scratch = SamplerScratch()
    /// Logits for the next character: from the last character fed, or the zero-state decoder output.
    private var logits: [Float]
    private let stopScalars: [Unicode.Scalar]
    /// The last `stopScalars.count` generated characters.
    private var tail: [Unicode.Scalar] = []

    /// A generator over `network`, whose vocabulary is `vocabulary`, its weights stored as `weights` (fp32: exactly
    /// the model; bf16 and int8: a half and a quarter of the memory read per character, see ``WeightPrecision``).
    /// Throws `.usage` for a model and vocabulary of different sizes, a negative `length` or an empty `stop`.
    init(network model: RecurrentNetwork, vocabulary: Vocabulary, sampler: Sampler, seed: UInt64? = nil,
                length: Int? = nil, stop: String? = nil, weights: WeightPrecision = .f32) throws(CharLSTMError) {
        guard model.config.vocabularySize == vocabulary.count else {
            throw .usage("the model reads \(model.config.vocabularySize) characters, the vocabulary holds \(vocabulary.count)")
        }
        if let length, length < 0 { throw .usage("length must be at least 0, got \(length)") }
        if stop?.isEmpty == true { throw .usage("the stop text must not be empty") }
        self.vocabulary = vocabulary
        self.sampler = sampler
        self.seed = seed ?? Self.freshSeed()
        self.length = length
        self.stop = stop
        stopScalars = Array((stop ?? "").unicodeScalars)
        tail.reserveCapacity(stopScalars.count + 1)
        rng = RandomGenerator(seed: self.seed)
        runner = StepRunner(model: model, weights: weights)
        // With nothing read yet the hidden state is zero, so the decoder sees only its bias.
        let d = model.layout.decoder
        logits = Array(UnsafeBufferPointer(start: model.parameters.pointer + d.bias, count: vocabulary.count))
        isFinished = length == 0
    }

    /// A generator over a text model (``Checkpoint/textModel(for:)``), its matrix products on up to `threads` threads.
    public convenience init(model: TextModel, sampler: Sampler, seed: UInt64? = nil, length: Int? = nil,
                            stop: String? = nil, threads: Int = 1, weights: WeightPrecision = .f32) throws(CharLSTMError) {
        try self.init(network: model.makeNetwork(threads: threads), vocabulary: model.vocabulary, sampler: sampler,
                      seed: seed, length: length, stop: stop, weights: weights)
    }

    /// How the model's weights are stored for generation.
    var weights: WeightPrecision { runner.weights }

    /// Times the step's chunk sizes and sharing on this machine and keeps the fastest (``StepRunner/planChunks(candidates:budget:cache:)``);
    /// the text is the same whatever it picks.
    @discardableResult
    package func planSteps(budget: Duration = .milliseconds(60), cache: PlanCache? = nil) -> StepChunkPlan {
        runner.planChunks(budget: budget, cache: cache)
    }

    /// Reads `text` into the state: the model "has just seen" it, and the next character continues it. Throws
    /// `.usage`, naming them, for characters the vocabulary lacks, before reading anything. O(n) steps.
    public func prime(_ text: String) throws(CharLSTMError) {
        let missing = vocabulary.missingCharacters(in: text.unicodeScalars)
        guard missing.isEmpty else { throw .usage(.init(Vocabulary.lacking(missing, in: "the prime text"))) }
        for s in text.unicodeScalars { feed(vocabulary.index(of: s)!) }
    }

    /// Samples the next character and reads it into the state; `nil` once the sequence has ended.
    public func next() -> Unicode.Scalar? {
        guard !isFinished else { return nil }
        let index = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, using: &rng, scratch: &scratch) }
        feed(Int32(index))
        let scalar = vocabulary.scalars[index]
        count += 1
        if let length, count >= length { isFinished = true }
        if !stopScalars.isEmpty {
            tail.append(scalar)
            if tail.count > stopScalars.count { tail.removeFirst() }
            if tail == stopScalars { isFinished = true }
        }
        return scalar
    }

    private func feed(_ token: Int32) {
        let out = runner.step(token)
        logits.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: out.baseAddress!, count: out.count) }
    }

    /// A seed from the system's random source.
    package static func freshSeed() -> UInt64 {
        var system = SystemRandomNumberGenerator()
        return system.next()
    }
}
