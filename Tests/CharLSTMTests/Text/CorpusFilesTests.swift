import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The texts shipped in `Corpora/` load and match the figures in `Corpora/README.md`.
@Suite struct CorpusFilesTests {
    static let corpora = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(4)
        .joined(separator: "/") + "/Corpora"

    @Test func shakespeareMatchesItsReadme() throws {
        let corpus = try Corpus.load(path: Self.corpora + "/shakespeare.txt")
        #expect(corpus.text.count == 5_054_025)
        #expect(Set(corpus.text).count == 84)
        #expect(corpus.text.last == "\n")
        #expect(corpus.text.starts(with: "ALL'S WELL THAT ENDS WELL".unicodeScalars))
    }

    @Test func faustMatchesItsReadmeAndHasCharactersTheShakespeareModelLacks() throws {
        let corpus = try Corpus.load(path: Self.corpora + "/faust.txt")
        #expect(corpus.text.count == 58_513)
        #expect(Set(corpus.text).count == 70)
        #expect(corpus.text.starts(with: "Faust: Der Tragödie erster Teil\n".unicodeScalars))
        #expect(String(String.UnicodeScalarView(corpus.text)).hasSuffix("Und daß ein Pudel mir entsprang?\n"))
        #expect(!String(String.UnicodeScalarView(corpus.text)).lowercased().contains("gutenberg"))
        let shakespeare = try Corpus.load(path: Self.corpora + "/shakespeare.txt")
        let missing = Vocabulary(of: shakespeare.text).missingCharacters(in: corpus.text)
        #expect(Set(missing) == ["Ä", "Ö", "Ü", "ß", "ä", "ö", "ü"])
    }
}
