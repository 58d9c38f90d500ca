import CharLSTMKernels
import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Public calls given what they cannot use throw a ``CharLSTMError``; they never trap.
@Suite struct MisuseTests {
    @Test func aSeriesForecasterThrowsOnAnotherTableOrImpossibleCounts() throws {
        let folder = TemporaryFolder()
        let (checkpoint, _, csv) = try sineSeriesRun(in: folder)
        let forecaster = try SeriesForecaster(model: checkpoint.seriesModel())
        let table = try SeriesTable.load(path: csv, columns: ["y"]), other = try SeriesTable.load(path: csv, columns: ["t"])
        #expect(throws: CharLSTMError.self) { try forecaster.forecast(other, steps: 3) }
        #expect(throws: CharLSTMError.self) { try forecaster.forecast(table, steps: -1) }
        #expect(throws: CharLSTMError.self) { try forecaster.evaluate(table, warmup: 300) }
        #expect(throws: CharLSTMError.self) { try forecaster.evaluate(table, warmup: 10, season: 0) }
        #expect(try forecaster.forecast(table, steps: 3).count == 3)
        #expect(try forecaster.evaluate(table, warmup: 10).count == 290)
    }

    /// A model whose weights are finite but overflow its sums (a damaged or foreign checkpoint) is refused with
    /// `.invalidData` when it would report NaN or infinity as a measurement or a forecast.
    @Test func weightsThatOverflowGiveAnErrorNotANaNResult() throws {
        var rng = RandomGenerator(seed: 5)
        let vocabulary = try Vocabulary(scalars: Array(" abc".unicodeScalars))
        let config = ModelConfig(cell: .lstm, vocabularySize: vocabulary.count, hidden: 8, layers: 1, dropout: 0)
        let parameters = RecurrentNetwork(config: config, rng: &rng).parameters
        let text = Array("abc abc cab".unicodeScalars)
        let sound = try Checkpoint(config: config, vocabulary: vocabulary, parameters: parameters).textModel()
        #expect(try sound.evaluate(text).bitsPerCharacter.isFinite)
        for i in 0..<parameters.count { parameters[i] = i % 2 == 0 ? 3e38 : -3e38 }
        let damaged = try Checkpoint(config: config, vocabulary: vocabulary, parameters: parameters).textModel()
        #expect(throws: CharLSTMError.self) { try damaged.evaluate(text) }
        let folder = TemporaryFolder()
        let path = folder.file("text.txt", Array("abc abc cab".utf8))
        #expect { try damaged.evaluate(CorpusFile.scan(path: path)) } throws: { ($0 as? CharLSTMError)?.kind == .invalidData }

        let (checkpoint, _, csv) = try sineSeriesRun(in: folder)
        let weights = checkpoint.parameters
        for i in 0..<weights.count { weights[i] = i % 2 == 0 ? 3e38 : -3e38 }
        let forecaster = try SeriesForecaster(model: checkpoint.seriesModel())
        let table = try SeriesTable.load(path: csv, columns: ["y"])
        #expect { try forecaster.forecast(table, steps: 3) } throws: { ($0 as? CharLSTMError)?.kind == .invalidData }
        #expect { try forecaster.evaluate(table, warmup: 10) } throws: { ($0 as? CharLSTMError)?.kind == .invalidData }
    }

    @Test func aTextGeneratorThrowsForAVocabularyOfAnotherSize() throws {
        var rng = RandomGenerator(seed: 1)
        let model = RecurrentNetwork(config: ModelConfig(cell: .lstm, vocabularySize: 3, hidden: 4, layers: 1, dropout: 0), rng: &rng, threads: 1)
        let vocabulary = try Vocabulary(scalars: ["a", "b"])
        #expect(throws: CharLSTMError.self) { _ = try TextGenerator(network: model, vocabulary: vocabulary, sampler: Sampler(temperature: 1)) }
        #expect(throws: CharLSTMError.self) { _ = try GenerationBatch(network: model, vocabulary: vocabulary, capacity: 2) }
    }

    @Test func modelsAndCheckpointsOfInconsistentPartsAreRefused() throws {
        var rng = RandomGenerator(seed: 1)
        let config = ModelConfig(cell: .lstm, vocabularySize: 3, hidden: 4, layers: 1, dropout: 0)
        let network = RecurrentNetwork(config: config, rng: &rng, threads: 1)
        let three = try Vocabulary(scalars: ["a", "b", "c"]), two = try Vocabulary(scalars: ["a", "b"])
        let short = FloatBuffer(count: network.parameters.count - 1)
        #expect(throws: CharLSTMError.self) { _ = try RecurrentNetwork(config: config, parameters: short) }
        #expect(throws: CharLSTMError.self) { _ = try Checkpoint(config: config, vocabulary: three, parameters: short) }
        #expect(throws: CharLSTMError.self) { _ = try Checkpoint(config: config, vocabulary: two, parameters: network.parameters) }
        #expect(try RecurrentNetwork(config: config, parameters: network.parameters).parameters === network.parameters)
        #expect(try Checkpoint(config: config, vocabulary: three, parameters: network.parameters).kind == .text)
    }

    @Test func seriesTablesScalingsAndSlicesOutOfShapeAreRefused() throws {
        #expect(throws: CharLSTMError.self) { _ = try SeriesTable(columns: ["a", "b"], values: [1, 2, 3]) }
        #expect(throws: CharLSTMError.self) { _ = try SeriesTable(columns: [], values: []) }
        #expect(try SeriesTable(columns: ["a", "b"], values: [1, 2, 3, 4]).count == 2)
        #expect(throws: CharLSTMError.self) { _ = try SeriesScaling(columns: ["a"], mean: [0], deviation: [0]) }
        #expect(throws: CharLSTMError.self) { _ = try SeriesScaling(columns: ["a"], mean: [.nan], deviation: [1]) }
        #expect(throws: CharLSTMError.self) { _ = try SeriesScaling(columns: ["a", "a"], mean: [0, 0], deviation: [1, 1]) }
        #expect(throws: CharLSTMError.self) { _ = try SeriesScaling(columns: ["a"], mean: [0, 1], deviation: [1]) }
        #expect(throws: CharLSTMError.self) { _ = try SeriesScaling(columns: ["a"], mean: [0], deviation: [1], lag: -1) }
        #expect(try SeriesScaling(columns: ["a"], mean: [2], deviation: [3], lag: 1).lag == 1)
        let text = TokenText(tokens: [0, 1, 2, 1])
        #expect(throws: CharLSTMError.self) { _ = try TextSlice(text: text, start: 2, count: 3) }
        #expect(throws: CharLSTMError.self) { _ = try TextSlice(text: text, start: -1, count: 1) }
        #expect(throws: CharLSTMError.self) { _ = try TextSlice(text: text, start: 1, count: Int.max) }
        #expect(try TextSlice(text: text, start: 1, count: 3).count == 3)
    }
}
