import Testing
@testable import CharLSTM

/// A new model's parameters: PyTorch's uniform ±1/√H everywhere, except the LSTM forget gate's bias, which starts at 1.
@Suite struct InitialisationTests {
    @Test(arguments: CellKind.allCases)
    func forgetGateBiasStartsAtOneAndEverythingElseIsUniform(cell: CellKind) throws {
        let config = ModelConfig(cell: cell, vocabularySize: 7, hidden: 12, layers: 2)
        var rng = RandomGenerator(seed: 5)
        let model = CharModel(config: config, rng: &rng)
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
        #expect(CharModel(config: config, rng: &again).parameters.array == model.parameters.array)
        #expect(again == rng)
    }
}
