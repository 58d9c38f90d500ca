import Testing
@testable import CharLSTM

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
}
