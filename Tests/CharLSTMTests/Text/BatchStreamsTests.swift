import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Batches read from a corpus file through the per-stream readers are the batches cut from the same text in
/// memory: in order, across epochs, and after any jump (a resume), with the offset index sparse enough that
/// every seek decodes, and readers whose buffers refill in the middle of multi-byte characters.
@Suite struct BatchStreamsTests {
    static let text = TestCorpus.english(characters: 6000) + TestCorpus.chinese(characters: 3000) + "😀 é ß\n"
        + TestCorpus.english(characters: 2000)

    /// The file scanned with an offset every 8 characters, and the same text's tokens in memory.
    static func both(_ folder: TemporaryFolder) throws -> (file: TokenText, memory: [Int32]) {
        let path = TestCorpus.write(text, in: folder)
        let file = try CorpusFile.scan(try InputFile(path: path), path: path, chunkSize: 1024, indexStride: 8)
        let vocabulary = try Vocabulary(scalars: file.scalars)
        return (try TokenText(file: file, vocabulary: vocabulary), try vocabulary.encode(text.unicodeScalars))
    }

    @Test(arguments: [(1, 1), (4, 50), (7, 13), (50, 3)])
    func fileBatchesEqualMemoryBatches(batchSize: Int, sequenceLength: Int) throws {
        let folder = TemporaryFolder()
        let (file, memory) = try Self.both(folder)
        let split = try CorpusSplit(file, validationFraction: 0.1), reference = try CorpusSplit(memory, validationFraction: 0.1)
        let streams = try BatchStreams(text: split.training, batchSize: batchSize, sequenceLength: sequenceLength)
        let expected = try BatchStreams(text: reference.training, batchSize: batchSize, sequenceLength: sequenceLength)
        #expect(streams.batchesPerEpoch == expected.batchesPerEpoch && streams.batchesPerEpoch > 2)
        var a = TokenBatch(sequenceLength: sequenceLength, batchSize: batchSize), b = a
        // Two epochs in order, then jumps as a resume makes them.
        let P = streams.batchesPerEpoch
        var rng = RandomGenerator(seed: 8)
        let positions = Array(0..<P) + Array(0..<P) + (0..<40).map { _ in Int(rng.next() % UInt64(P)) } + [P - 1, 0, P - 1]
        for p in positions {
            try streams.fill(&a, position: p)
            try expected.fill(&b, position: p)
            #expect(a.inputs == b.inputs && a.targets == b.targets, "position \(p)")
        }
        let validation = try split.validation.tokens(), expectedValidation = try reference.validation.tokens()
        #expect(validation == expectedValidation)
        let all = try file.whole.tokens()
        #expect(all == memory)
    }

    /// Random slices read after random seeks equal the tokens in memory.
    @Test func readerSeeksAnywhere() throws {
        let folder = TemporaryFolder()
        let (file, memory) = try Self.both(folder)
        var rng = RandomGenerator(seed: 2)
        for _ in 0..<300 {
            let start = Int(rng.next() % UInt64(memory.count)), count = Int(rng.next() % UInt64(min(700, memory.count - start + 1)))
            let tokens = try TextSlice(text: file, start: start, count: count).tokens()
            #expect(tokens == Array(memory[start..<(start + count)]))
        }
    }
}
