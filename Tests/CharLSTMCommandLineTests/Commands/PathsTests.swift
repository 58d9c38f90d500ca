import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine

/// The command line's default places: run folders named after the corpus.
@Suite struct PathsTests {
    @Test func defaultRunFoldersAreAlwaysUsableNames() {
        #expect(Paths.defaultRunFolder(forCorpus: "Corpora/shakespeare.txt") == "Checkpoints/shakespeare")
        #expect(Paths.defaultRunFolder(forCorpus: "/dev/stdin") == "Checkpoints/stdin")
        #expect(Paths.defaultRunFolder(forCorpus: "my novel.v2.txt") == "Checkpoints/my novel.v2")
        for odd in ["", "/", ".", "..", "a/..", "x/"] {
            let folder = Paths.defaultRunFolder(forCorpus: odd)
            #expect(folder == "Checkpoints/run" || folder == "Checkpoints/x", "\(odd) → \(folder)")
        }
    }
}
