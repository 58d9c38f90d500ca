import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Public calls given what they cannot use throw a ``CharLSTMError``; they never trap.
@Suite struct MisuseTests {
    @Test func aSeriesForecasterThrowsOnAnotherTableOrImpossibleCounts() throws {
        let folder = TemporaryFolder()
        let rows = (0..<300).map { "\($0),\(sin(Double($0) / 4))" }.joined(separator: "\n")
        let csv = folder.file("s.csv", Array(("t,y\n" + rows + "\n").utf8))
        var configuration = TrainingRun.Configuration(corpus: csv, folder: folder.path + "/run")
        configuration.hidden = 8
        configuration.threads = 1
        let outcome = try TrainingRun(configuration, series: SeriesSource(column: "y")).train(budget: .steps(2))
        let forecaster = try SeriesForecaster(checkpoint: try Checkpoint.load(path: outcome.latest))
        let table = try SeriesTable.load(path: csv, columns: ["y"]), other = try SeriesTable.load(path: csv, columns: ["t"])
        #expect(throws: CharLSTMError.self) { try forecaster.forecast(other, steps: 3) }
        #expect(throws: CharLSTMError.self) { try forecaster.forecast(table, steps: -1) }
        #expect(throws: CharLSTMError.self) { try forecaster.evaluate(table, warmup: 300) }
        #expect(throws: CharLSTMError.self) { try forecaster.evaluate(table, warmup: 10, season: 0) }
        #expect(try forecaster.forecast(table, steps: 3).count == 3)
        #expect(try forecaster.evaluate(table, warmup: 10).count == 290)
    }

    @Test func aTextGeneratorThrowsForAVocabularyOfAnotherSize() throws {
        var rng = RandomGenerator(seed: 1)
        let model = CharModel(config: ModelConfig(cell: .lstm, vocabularySize: 3, hidden: 4, layers: 1, dropout: 0), rng: &rng, threads: 1)
        let vocabulary = try Vocabulary(scalars: ["a", "b"])
        #expect(throws: CharLSTMError.self) { _ = try TextGenerator(model: model, vocabulary: vocabulary, sampler: Sampler(temperature: 1)) }
    }
}
