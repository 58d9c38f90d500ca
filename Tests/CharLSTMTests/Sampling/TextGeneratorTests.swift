import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// ``TextGenerator`` as a sequence: reproducible, bounded by its length and its stop text, primed by name-checked text.
@Suite struct TextGeneratorTests {
    private func generator(seed: UInt64? = 9, length: Int? = nil, stop: String? = nil) throws -> TextGenerator {
        try TextGenerator(model: SharedRun.latest.textModel(), sampler: Sampler(temperature: 0.9, topK: 12), seed: seed,
                          length: length, stop: stop)
    }

    private func text(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        String(String.UnicodeScalarView(scalars))
    }

    @Test func sameSeedSameCharactersAndTheLengthEndsTheSequence() throws {
        let a = try generator(length: 200), b = try generator(length: 200)
        let x = text(a), y = text(b)
        #expect(x.unicodeScalars.count == 200 && x == y)
        #expect(a.isFinished && a.count == 200 && a.next() == nil)
        #expect(text(try generator(seed: 10, length: 200)) != x)
        // Without a length the sequence goes on; prefix takes what it needs.
        #expect(text(try generator().prefix(200)) == x)
        #expect(try generator(length: 0).next() == nil)
    }

    @Test func theStopTextEndsTheSequenceRightAfterIt() throws {
        let full = text(try generator(length: 2000))
        let stop = "e "
        let cut = try #require(full.range(of: stop), "the sample has no '\(stop)'")
        let stopped = try generator(length: 2000, stop: stop)
        #expect(text(stopped) == String(full[..<cut.upperBound]))
        #expect(stopped.isFinished && stopped.next() == nil)
    }

    @Test func aFreshSeedIsReportedAndReproducesTheText() throws {
        let fresh = try generator(seed: nil, length: 100)
        let again = try generator(seed: fresh.seed, length: 100)
        #expect(text(fresh) == text(again))
    }

    @Test func primeNamesTheCharactersTheModelLacksInASentence() throws {
        let g = try generator(length: 10)
        #expect(throws: CharLSTMError(.usage, "the prime text has 2 characters that are not in the model's vocabulary: "
            + "'ß' (U+00DF), '🦓' (U+1F993)")) { try g.prime("To ß🦓ß") }
        #expect(g.count == 0)
        #expect(throws: CharLSTMError(.usage, "length must be at least 0, got -1")) { try generator(length: -1) }
        #expect(throws: CharLSTMError(.usage, "the stop text must not be empty")) { try generator(stop: "") }
    }
}
