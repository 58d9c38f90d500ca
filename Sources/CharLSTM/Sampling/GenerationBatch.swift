import CharLSTMKernels

/// What one stream of a ``GenerationBatch`` generates: its prime, how it samples, and when it ends.
public struct GenerationRequest: Sendable, Equatable {
    /// Text the model reads first (not part of the generated text); may be empty (the zero state).
    public var prime: String
    /// How each character is drawn from the model's distribution (temperature, top-k, top-p).
    public var sampler: Sampler
    /// The seed of the stream's own random generator.
    public var seed: UInt64
    /// Most characters to generate; `nil`: until a stop text or removal.
    public var length: Int?
    /// Texts after which the stream ends (matched on generated text only; the stop text is generated too).
    public var stops: [String]

    /// Throws `.usage` for a negative `length` or an empty stop text.
    public init(prime: String, sampler: Sampler, seed: UInt64, length: Int?, stops: [String] = []) throws(CharLSTMError) {
        if let length, length < 0 { throw .usage("length must be at least 0, got \(length)") }
        if stops.contains(where: \.isEmpty) { throw .usage("the stop text must not be empty") }
        self.prime = prime
        self.sampler = sampler
        self.seed = seed
        self.length = length
        self.stops = stops
    }
}

/// Why a stream of a ``GenerationBatch`` ended.
public enum FinishReason: String, Sendable, Equatable {
    /// It generated its ``GenerationRequest/length``.
    case length
    /// Its generated text ended with one of its stop texts.
    case stop
}

/// Many text streams from one model, advanced together: each ``step(_:)`` reads one character for every stream in
/// one batched step (a matrix product over the streams, which reads the weights once), and streams join
/// (``add(_:)``) and leave (finishing, or ``remove(_:)``) between steps — continuous batching.
///
/// ```swift
/// let batch = try GenerationBatch(model: checkpoint.textModel(), capacity: 8)
/// for seed in 0..<8 as Range<UInt64> {
///     _ = try batch.add(GenerationRequest(prime: "ROMEO:", sampler: Sampler(temperature: 0.8), seed: seed, length: 200))
/// }
/// var texts = [GenerationBatch.StreamID: String]()
/// while !batch.isEmpty {
///     batch.step { event in if let c = event.character { texts[event.stream, default: ""].unicodeScalars.append(c) } }
/// }
/// ```
///
/// The weights are shared read-only; each stream has its own state, sampler, random generator and sampling
/// scratch. A stream's text is the same, character for character, as a ``TextGenerator`` with the same prime,
/// sampler, seed and length gives (``TextGenerator`` also includes the stop text), whatever the other streams
/// and whenever it joined. A prime of n characters takes the stream's first n steps. A step costs
/// O(B·(L·G·H² + H·V)) arithmetic for B streams but one pass over the weights, so B streams cost far less than
/// B separate generators. Used from one thread at a time.
public final class GenerationBatch {
    /// Names a stream for its whole life (never reused by this batch).
    public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible {
        /// The stream's number, counted from 0 in the order streams were added.
        public let value: Int
        public static func < (a: StreamID, b: StreamID) -> Bool { a.value < b.value }
        public var description: String { "stream \(value)" }
    }

    /// What a step did for one stream: the character it generated (nil while it reads its prime, or when it
    /// ended with nothing left to generate) and, on its last event, why it ended.
    public struct Event: Sendable, Equatable {
        /// The stream this event is about.
        public let stream: StreamID
        /// The character generated in this step; nil while the stream reads its prime, or at an end with nothing generated.
        public let character: Unicode.Scalar?
        /// Why the stream ended, on its last event; nil before.
        public let finish: FinishReason?
    }

    /// The characters the model knows: all it generates and all a prime may hold.
    public let vocabulary: Vocabulary
    /// Most streams at once.
    public var capacity: Int { engine.capacity }
    /// Streams generating now.
    public var count: Int { streams.count }
    /// Whether no stream is in the batch.
    public var isEmpty: Bool { streams.isEmpty }

    private let engine: BatchedStep
    /// The streams, stream i in slot i of the engine.
    private var streams: [Stream] = []
    private var nextID = 0

    /// A batch of up to `capacity` (≥ 1) streams over `network`, whose vocabulary is `vocabulary`, its weights
    /// stored as `weights` (as ``TextGenerator`` stores them: the same seed gives the same text), its steps on up to
    /// `threads` threads. Throws `.usage` for a capacity below 1 or a network and vocabulary of different sizes.
    convenience init(network: RecurrentNetwork, vocabulary: Vocabulary, capacity: Int, threads: Int = 1,
                            weights: WeightPrecision = .f32) throws(CharLSTMError) {
        try self.init(network: network, vocabulary: vocabulary, capacity: capacity, threads: threads, weights: weights,
                      streamTile: GateRowsView.preferredStreamTile, parallelMinimumBytes: BatchedStep.parallelMinimumBytes)
    }

    /// As ``init(network:vocabulary:capacity:threads:weights:)`` with the kernel's stream tile and the bytes of arithmetic
    /// from which a step is shared between threads given (tests run every tile, and small models threaded).
    init(network model: RecurrentNetwork, vocabulary: Vocabulary, capacity: Int, threads: Int, weights: WeightPrecision = .f32,
         streamTile: Int, parallelMinimumBytes: Int) throws(CharLSTMError) {
        guard model.config.vocabularySize == vocabulary.count else {
            throw .usage("the model reads \(model.config.vocabularySize) characters, the vocabulary holds \(vocabulary.count)")
        }
        guard capacity >= 1 else { throw .usage("a generation batch holds at least 1 stream, got \(capacity)") }
        self.vocabulary = vocabulary
        engine = BatchedStep(model: model, capacity: capacity, threads: threads, weights: weights, streamTile: streamTile,
                             parallelMinimumBytes: parallelMinimumBytes)
        streams.reserveCapacity(capacity)
    }

    /// A batch over a text model (``Checkpoint/textModel(for:)``), its weights stored as `weights`.
    public convenience init(model: TextModel, capacity: Int, threads: Int = 1,
                            weights: WeightPrecision = .f32) throws(CharLSTMError) {
        try self.init(network: model.makeNetwork(threads: threads), vocabulary: model.vocabulary,
                      capacity: capacity, threads: threads, weights: weights)
    }

    /// Most streams ``planSteps(budget:cache:)`` times a step with: the capacity, up to this (beyond it the
    /// best sharing no longer changes, and planning would take long).
    static let plannedStreams = 64

    /// Times the batched step's chunk sizes and sharing between threads on this machine, with as many streams as
    /// the batch holds (at most ``plannedStreams``), and keeps the fastest
    /// (``BatchedStep/planChunks(streams:candidates:budget:cache:)``); the text is the same whatever it picks.
    /// Nothing once streams have joined. Returns the chunkings measured, fastest first (none where there was
    /// nothing to choose).
    @discardableResult
    package func planSteps(budget: Duration = .milliseconds(100), cache: PlanCache? = nil) -> StepChunkPlan {
        guard streams.isEmpty else { return StepChunkPlan() }
        return engine.planChunks(streams: min(capacity, Self.plannedStreams), budget: budget, cache: cache)
    }

    /// Adds a stream that starts in the next step. Throws `.usage` naming the prime's characters the model does
    /// not know (as ``TextGenerator/prime(_:)``), and `.busy` when ``capacity`` streams are running. O(prime + L·H + V).
    public func add(_ request: GenerationRequest) throws(CharLSTMError) -> StreamID {
        let missing = vocabulary.missingCharacters(in: request.prime.unicodeScalars)
        guard missing.isEmpty else { throw .usage(.init(Vocabulary.lacking(missing, in: "the prime text"))) }
        guard streams.count < capacity else { throw .busy("all \(capacity) generation streams are in use") }
        let id = StreamID(value: nextID)
        nextID += 1
        engine.reset(slot: streams.count)
        streams.append(Stream(id: id, request: request, prime: request.prime.unicodeScalars.map { vocabulary.index(of: $0)! }))
        return id
    }

    /// Ends a stream at once (its client went away); unknown or finished streams are ignored. O(L·H + V).
    public func remove(_ id: StreamID) {
        if let slot = streams.firstIndex(where: { $0.id == id }) { removeSlot(slot) }
    }

    /// Whether `id` is still generating.
    public func contains(_ id: StreamID) -> Bool { streams.contains { $0.id == id } }

    /// Advances every stream by one character: a stream still reading its prime reads its next prime character;
    /// the others sample their next character (reported to `report` in stream order, with the finish reason on
    /// its last one) and read it. Finished streams leave the batch. O(B·(L·G·H² + H·V)).
    public func step(_ report: (Event) -> Void) {
        var slot = 0
        while slot < streams.count {
            let token: Int32
            if streams[slot].isDone {
                // Nothing to generate (length 0): ends without a character, its prime unread.
                report(Event(stream: streams[slot].id, character: nil, finish: .length))
                removeSlot(slot)
                continue
            } else if streams[slot].primeIndex < streams[slot].prime.count {
                token = streams[slot].prime[streams[slot].primeIndex]
                streams[slot].primeIndex += 1
            } else {
                let index = streams[slot].sample(engine.logits(slot: slot))
                let scalar = vocabulary.scalars[index]
                let finish = streams[slot].record(scalar)
                report(Event(stream: streams[slot].id, character: scalar, finish: finish))
                if finish != nil {
                    removeSlot(slot)
                    continue
                }
                token = Int32(index)
            }
            engine.tokens[slot] = token
            slot += 1
        }
        engine.batch = streams.count
        engine.step()
    }

    /// Removes the stream in `slot`, moving the last stream into its place.
    private func removeSlot(_ slot: Int) {
        let last = streams.count - 1
        if slot != last {
            engine.move(slot: last, to: slot)
            streams.swapAt(slot, last)
        }
        streams.removeLast()
    }

    /// One stream's own facts and state.
    private struct Stream {
        let id: StreamID
        let sampler: Sampler
        let length: Int?
        let prime: [Int32]
        var primeIndex = 0
        var rng: RandomGenerator
        var scratch = SamplerScratch()
        var count = 0
        let stops: [[Unicode.Scalar]]
        /// The last (longest stop) generated characters.
        var tail: [Unicode.Scalar] = []
        let tailLength: Int

        init(id: StreamID, request: GenerationRequest, prime: [Int32]) {
            self.id = id
            sampler = request.sampler
            length = request.length
            self.prime = prime
            rng = RandomGenerator(seed: request.seed)
            stops = request.stops.map { Array($0.unicodeScalars) }
            tailLength = stops.map(\.count).max() ?? 0
            tail.reserveCapacity(tailLength + 1)
        }

        /// Whether the stream has generated all it may (only a length of 0 reaches a step).
        var isDone: Bool { length.map { count >= $0 } ?? false }

        mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
            sampler.sample(logits: logits, using: &rng, scratch: &scratch)
        }

        /// Counts a generated character; returns why the stream ends with it, if it does.
        mutating func record(_ scalar: Unicode.Scalar) -> FinishReason? {
            count += 1
            if tailLength > 0 {
                tail.append(scalar)
                if tail.count > tailLength { tail.removeFirst() }
                for stop in stops where tail.count >= stop.count && tail.suffix(stop.count).elementsEqual(stop) {
                    return .stop
                }
            }
            if let length, count >= length { return .length }
            return nil
        }
    }
}

extension Vocabulary {
    /// The prime that starts a fresh line when none is given: a newline if the model knows one (it is not
    /// printed), else nothing (the zero state).
    package var freshLinePrime: String { index(of: "\n") != nil ? "\n" : "" }
}
