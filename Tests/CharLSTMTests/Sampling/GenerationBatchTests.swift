import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport
import Foundation

/// ``GenerationBatch``: many streams in one batched step give each stream exactly what it gets alone.
@Suite struct GenerationBatchTests {
    static let alphabet = "abcdefghijklmnopqrstuvwxyz .,;:!?'\nABCDEFGH"

    /// A random model of `cell` with leftover columns and units (hidden 37) and 44 characters.
    static func model(_ cell: CellKind, hidden: Int = 37, layers: Int = 2, threads: Int = 1) -> (RecurrentNetwork, Vocabulary) {
        let vocabulary = Vocabulary(of: alphabet.unicodeScalars)
        var rng = RandomGenerator(seed: 5)
        let model = RecurrentNetwork(config: ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: hidden, layers: layers),
                              rng: &rng, threads: threads)
        // Larger weights than the initialisation's, so that the logits are far from uniform and any difference shows.
        for i in 0..<model.parameters.count { model.parameters[i] *= 3 }
        return (model, vocabulary)
    }

    /// The batched step's logits are `StepRunner`'s bit for bit for every stream, on one thread and on a team,
    /// with every stream tile and any chunks (claimed in turn or in own runs, changed between steps), while
    /// streams of different histories share the step.
    @Test(arguments: CellKind.allCases)
    func batchedLogitsAreTheSingleStreamLogitsBitForBit(cell: CellKind) {
        let (model, _) = Self.model(cell)
        let B = 6, V = model.config.vocabularySize
        for (threads, tile) in [(1, 1), (1, 2), (1, 4), (2, 4), (2, 2)] {
            let step = BatchedStep(model: model, capacity: B, threads: threads, streamTile: tile, parallelMinimumBytes: 0)
            let runners = (0..<B).map { _ in StepRunner(model: model) }
            step.batch = B
            for b in 0..<B { step.reset(slot: b) }
            for t in 0..<12 {
                if t % 3 == 2 { step.useChunks(bytes: [1, 4 << 10, 64 << 10, 1 << 30][t / 3], ownRuns: t % 2 == 0) }
                for b in 0..<B { step.tokens[b] = Int32((t * 7 + b * 5) % V) }
                step.step()
                for b in 0..<B {
                    let alone = runners[b].step(step.tokens[b])
                    #expect(Array(step.logits(slot: b)).map(\.bitPattern) == Array(alone).map(\.bitPattern),
                            "\(cell) threads \(threads) tile \(tile) step \(t) stream \(b)")
                }
            }
        }
    }

    private static func alone(_ model: RecurrentNetwork, _ vocabulary: Vocabulary, _ request: GenerationRequest) throws -> String {
        let generator = try TextGenerator(network: model, vocabulary: vocabulary, sampler: request.sampler, seed: request.seed,
                                          length: request.length, stop: request.stops.first)
        try generator.prime(request.prime)
        return String(String.UnicodeScalarView(generator))
    }

    /// Streams with their own primes, samplers, seeds and lengths, joining at different steps and leaving as they
    /// finish, each generate the text a `TextGenerator` generates alone; `n` streams of one request differ by seed.
    @Test(arguments: CellKind.allCases)
    func eachStreamGeneratesWhatItGeneratesAlone(cell: CellKind) throws {
        let (model, vocabulary) = Self.model(cell, threads: 2)
        let requests = [
            try GenerationRequest(prime: "the cat", sampler: Sampler(temperature: 1), seed: 1, length: 90),
            try GenerationRequest(prime: "", sampler: Sampler(temperature: 0.7, topK: 5), seed: 2, length: 60),
            try GenerationRequest(prime: "A", sampler: Sampler(temperature: 0), seed: 3, length: 40),
            try GenerationRequest(prime: "quick brown fox, ", sampler: Sampler(temperature: 1.3, topP: 0.9), seed: 4, length: 120),
            try GenerationRequest(prime: "\n", sampler: Sampler(temperature: 1), seed: 5, length: 0),
            try GenerationRequest(prime: "x", sampler: Sampler(temperature: 1), seed: 1, length: 90),
        ]
        let batch = try GenerationBatch(network: model, vocabulary: vocabulary, capacity: 4, threads: 2, streamTile: 4,
                                        parallelMinimumBytes: 0)
        batch.planSteps(budget: .milliseconds(20))  // leaves every slot as new
        var texts = [GenerationBatch.StreamID: String](), finished = [GenerationBatch.StreamID: FinishReason]()
        var ids = [GenerationBatch.StreamID](), pending = requests[...], steps = 0
        while !pending.isEmpty || !batch.isEmpty {
            // Join at different steps, as many as there is room for.
            if steps % 7 == 0 {
                while batch.count < batch.capacity, let next = pending.popFirst() { ids.append(try batch.add(next)) }
            }
            batch.step { event in
                #expect(finished[event.stream] == nil)
                if let c = event.character { texts[event.stream, default: ""].unicodeScalars.append(c) }
                if let f = event.finish { finished[event.stream] = f }
            }
            steps += 1
            #expect(steps < 10_000)
        }
        for (id, request) in zip(ids, requests) {
            #expect(texts[id, default: ""] == (try Self.alone(model, vocabulary, request)), "\(cell) \(id)")
            #expect(finished[id] == .length)
            #expect(texts[id, default: ""].unicodeScalars.count == request.length)
        }
        #expect(texts[ids[0]] != texts[ids[5]])
    }

    /// Planning a batched step times every chunk size, claimed in turn and in own runs, with the batch's streams
    /// (at most its capacity), keeps the fastest, and is remembered in the cache per number of streams; it stops at
    /// its budget; a batch with streams in it is not planned (its slots are in use).
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2, "a team needs two cores"))
    func chunkPlanIsMeasuredKeptAndCached() throws {
        let (model, vocabulary) = Self.model(.lstm, threads: 2)
        let folder = TemporaryFolder()
        // Settled after one run: this is about what is cached (RecurrenceSplitTests and GemmPlannerTests settle over runs).
        let cache = PlanCache(directory: folder.path + "/cache", build: "test", runsToSettle: 1)
        let candidates = [1 << 10, 8 << 10]
        let step = BatchedStep(model: model, capacity: 5, threads: 2, parallelMinimumBytes: 0)
        let measured = step.planChunks(streams: 9, candidates: candidates, budget: .seconds(1), cache: cache).ranked
        #expect(Set(measured.map(\.label)) == ["1024", "1024 own", "8192", "8192 own"] && measured.allSatisfy { $0.stepsPerSecond > 0 })
        #expect(step.chunkBytes == measured[0].bytes && step.ownRuns == measured[0].ownRuns && step.batch == 0)
        let again = BatchedStep(model: model, capacity: 5, threads: 2, parallelMinimumBytes: 0)
        let cached = again.planChunks(streams: 5, candidates: candidates, budget: .zero, cache: cache).ranked
        #expect(cached.map(\.label) == measured.map(\.label) && again.chunkBytes == measured[0].bytes
                && again.ownRuns == measured[0].ownRuns)
        let fewer = BatchedStep(model: model, capacity: 5, threads: 2, parallelMinimumBytes: 0)
        // Planning stops at ten times its budget even in its first round: with none, one candidate is measured,
        // and a ranking so partial is not cached.
        let hurried = fewer.planChunks(streams: 2, candidates: candidates, budget: .zero, cache: cache)
        #expect(!hurried.fromCache && hurried.ranked.count == 1 && fewer.chunkBytes == hurried.ranked[0].bytes)
        #expect(!fewer.planChunks(streams: 2, candidates: candidates, budget: .zero, cache: cache).fromCache)
        let batch = try GenerationBatch(network: model, vocabulary: vocabulary, capacity: 2, threads: 2, streamTile: 4,
                                        parallelMinimumBytes: 0)
        _ = try batch.add(GenerationRequest(prime: "a", sampler: Sampler(temperature: 1), seed: 1, length: 5))
        #expect(batch.planSteps(budget: .zero, cache: cache).chosen == nil)
    }

    /// A stop text ends a stream right after it (as `TextGenerator`'s), any of several; removal ends one at once.
    @Test func stopTextsEndAStreamAndRemovalEndsItAtOnce() throws {
        let (model, vocabulary) = Self.model(.lstm)
        let free = try GenerationRequest(prime: "a", sampler: Sampler(temperature: 1), seed: 11, length: 400)
        let full = try Self.alone(model, vocabulary, free)
        let first = try #require(full.unicodeScalars.first { $0 != " " })
        let second = full.unicodeScalars.dropFirst(10).first!
        var stopped = free
        stopped.stops = ["ZZZZZZ", String(first), String(second)]
        let batch = try GenerationBatch(network: model, vocabulary: vocabulary, capacity: 2)
        let a = try batch.add(stopped), b = try batch.add(free)
        var text = "", reason: FinishReason?
        batch.step { if $0.stream == a { text.unicodeScalars.append($0.character!); reason = $0.finish } }
        for _ in 0..<20 where batch.contains(a) {
            batch.step { if $0.stream == a { text.unicodeScalars.append($0.character!); reason = $0.finish } }
        }
        let cut = full.unicodeScalars.firstIndex(where: { $0 == first || $0 == second })!
        #expect(text == String(full.unicodeScalars[...cut]))
        #expect(reason == .stop && !batch.contains(a) && batch.contains(b))
        batch.remove(b)
        #expect(batch.isEmpty)
        batch.step { _ in Issue.record("no stream should report") }
    }

    @Test func badRequestsAreRefusedInASentence() throws {
        let (model, vocabulary) = Self.model(.gru, hidden: 16, layers: 1)
        let batch = try GenerationBatch(network: model, vocabulary: vocabulary, capacity: 1)
        #expect(throws: CharLSTMError(.usage, "the prime text has a character that is not in the model's vocabulary: 'ß' (U+00DF)")) {
            try batch.add(GenerationRequest(prime: "aßb", sampler: Sampler(), seed: 1, length: 5))
        }
        _ = try batch.add(GenerationRequest(prime: "a", sampler: Sampler(), seed: 1, length: 5))
        #expect(throws: CharLSTMError(.busy, "all 1 generation streams are in use")) {
            try batch.add(GenerationRequest(prime: "a", sampler: Sampler(), seed: 1, length: 5))
        }
        #expect(throws: CharLSTMError(.usage, "the stop text must not be empty")) {
            try GenerationRequest(prime: "", sampler: Sampler(), seed: 1, length: 5, stops: ["x", ""])
        }
        #expect(throws: CharLSTMError(.usage, "a generation batch holds at least 1 stream, got 0")) {
            try GenerationBatch(network: model, vocabulary: vocabulary, capacity: 0)
        }
    }
}
