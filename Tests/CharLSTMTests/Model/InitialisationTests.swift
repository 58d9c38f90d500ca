import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// A new model's parameters: PyTorch's uniform ±1/√H everywhere, except the LSTM forget gate's bias, which starts at 1.
@Suite struct InitialisationTests {
    @Test(arguments: CellKind.allCases)
    func forgetGateBiasStartsAtOneAndEverythingElseIsUniform(cell: CellKind) throws {
        let config = ModelConfig(cell: cell, vocabularySize: 7, hidden: 12, layers: 2)
        var rng = RandomGenerator(seed: 5)
        let model = RecurrentNetwork(config: config, rng: &rng)
        let H = config.hidden, bound = 1 / Float(H).squareRoot()
        #expect(cell.forgetGate == (cell == .lstm ? 1 : nil))
        var forgetRange: Range<Int>? = nil
        if let gate = cell.forgetGate { forgetRange = gate * H..<(gate + 1) * H }
        for entry in model.layout.entries {
            let values = try #require(model.parameter(entry.name))
            for (j, value) in values.enumerated() {
                if let forgetRange, forgetRange.contains(j), entry.name.contains(".bias_ih_l") {
                    #expect(value == 1, "\(entry.name)[\(j)]")
                } else if let forgetRange, forgetRange.contains(j), entry.name.contains(".bias_hh_l") {
                    #expect(value == 0, "\(entry.name)[\(j)]")
                } else {
                    #expect(abs(value) <= bound, "\(entry.name)[\(j)] = \(value)")
                }
            }
        }
        // The draws are PyTorch's order and count whatever the cell: the same seed gives the same weights.
        var again = RandomGenerator(seed: 5)
        #expect(RecurrentNetwork(config: config, rng: &again).parameters.array == model.parameters.array)
        #expect(again == rng)
    }

    /// The decoder's bias set from a text predicts its character frequencies (add-one smoothed): softmax of the
    /// bias is the unigram distribution. Nothing else changes.
    @Test func decoderBiasFromFrequenciesPredictsTheUnigramDistribution() throws {
        let config = ModelConfig(cell: .gru, vocabularySize: 4, hidden: 6, layers: 1)
        var rng = RandomGenerator(seed: 3)
        let model = RecurrentNetwork(config: config, rng: &rng)
        let before = model.parameters.array
        let text: [Int32] = [0, 0, 0, 1, 1, 2, 0, 0, 1, 0]  // counts 6, 3, 1, 0 → smoothed 7, 4, 2, 1 of 14
        model.setDecoderBiasToFrequencies(of: text)
        let bias = try #require(model.parameter("decoder.bias")).map(Double.init)
        let exps = bias.map { Foundation.exp($0) }, sum = exps.reduce(0, +)
        for (p, expected) in zip(exps.map { $0 / sum }, [7.0, 4, 2, 1].map { $0 / 14 }) { #expect(abs(p - expected) < 1e-6) }
        #expect(abs(bias.reduce(0, +)) < 1e-5, "centred on zero")
        let offset = try #require(model.layout.entry(named: "decoder.bias")).offset
        let after = model.parameters.array
        #expect(Array(after[..<offset]) == Array(before[..<offset]))
    }

    /// A new run's model starts from the training text's frequencies; the validation text does not count.
    @Test func aNewRunStartsFromTheTrainingTextsFrequencies() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        var configuration = TrainingRun.Configuration(corpus: corpus, folder: folder.path + "/run")
        configuration.hidden = 8
        configuration.layers = 1
        configuration.batchSize = 4
        configuration.sequenceLength = 12
        let run = try TrainingRun(configuration)
        var rng = RandomGenerator(seed: run.training.seed)
        let expected = RecurrentNetwork(config: run.model, rng: &rng)
        expected.setDecoderBiasToFrequencies(of: try run.textTrainer!.objective.streams.text.tokens())
        #expect(run.textTrainer!.model.parameters.array == expected.parameters.array)
    }
}
