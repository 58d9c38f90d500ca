import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct ParameterLayoutTests {
    /// PyTorch's state-dict names, shapes and order, packed back to back: layer by layer weight_ih, weight_hh,
    /// bias_ih, bias_hh, then the decoder; and the per-layer offsets point at those entries.
    @Test(arguments: CellKind.allCases)
    func followsPyTorchsStateDict(cell: CellKind) {
        let config = ModelConfig(cell: cell, vocabularySize: 7, hidden: 5, layers: 2)
        let layout = ParameterLayout(config), g = cell.gateCount * 5, name = cell.rawValue
        let expected: [(String, [Int])] = [
            ("\(name).weight_ih_l0", [g, 7]), ("\(name).weight_hh_l0", [g, 5]), ("\(name).bias_ih_l0", [g]), ("\(name).bias_hh_l0", [g]),
            ("\(name).weight_ih_l1", [g, 5]), ("\(name).weight_hh_l1", [g, 5]), ("\(name).bias_ih_l1", [g]), ("\(name).bias_hh_l1", [g]),
            ("decoder.weight", [7, 5]), ("decoder.bias", [7]),
        ]
        #expect(layout.entries.map(\.name) == expected.map(\.0))
        #expect(layout.entries.map(\.shape) == expected.map(\.1))
        var offset = 0
        for e in layout.entries {
            #expect(e.offset == offset)
            offset += e.count
        }
        #expect(layout.totalCount == offset && config.parameterCount == offset)
        for k in 0..<2 {
            let o = layout.layer(k)
            #expect([o.weightIH, o.weightHH, o.biasIH, o.biasHH] == layout.entries[4 * k ..< 4 * k + 4].map(\.offset))
        }
        #expect(layout.decoder.weight == layout.entry(named: "decoder.weight")?.offset)
        #expect(layout.decoder.bias == layout.entry(named: "decoder.bias")?.offset)
    }
}
