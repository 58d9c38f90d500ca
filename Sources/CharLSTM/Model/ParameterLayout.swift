/// Where each named parameter tensor sits in the model's one flat parameter buffer.
///
/// Names and shapes are PyTorch's state-dict ones (`lstm.weight_ih_l0` [4H, V], …, `decoder.weight` [V, H],
/// `decoder.bias` [V]), in the order layer by layer (the cell's ``CellKind/layerTensors``: weight_ih,
/// weight_hh, bias_ih, bias_hh), then the decoder. Gradients and optimizer moments use the same layout.
struct ParameterLayout: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        let name: String
        let shape: [Int]
        let offset: Int
        var count: Int { shape.reduce(1, *) }
    }

    /// Offsets of the tensors of one recurrent layer.
    struct Layer: Sendable, Equatable {
        var weightIH = 0, weightHH = 0, biasIH = 0, biasHH = 0
    }

    let entries: [Entry]
    let totalCount: Int
    private let layers: [Layer]
    /// Offsets of the decoder weight and bias.
    let decoder: (weight: Int, bias: Int)

    init(_ config: ModelConfig) {
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
            return entries.last!.offset
        }
        let cell = config.cell, g = cell.gateCount * config.hidden
        layers = (0..<config.layers).map { k in
            var layer = Layer()
            for tensor in cell.layerTensors {
                let at = add("\(cell.tensorPrefix).\(tensor.rawValue)_l\(k)",
                             tensor.shape(gates: g, input: config.inputSize(layer: k), hidden: config.hidden))
                switch tensor {
                case .weightIH: layer.weightIH = at
                case .weightHH: layer.weightHH = at
                case .biasIH: layer.biasIH = at
                case .biasHH: layer.biasHH = at
                }
            }
            return layer
        }
        decoder = (add("decoder.weight", [config.vocabularySize, config.hidden]), add("decoder.bias", [config.vocabularySize]))
        self.entries = entries
        self.totalCount = offset
    }

    static func == (a: ParameterLayout, b: ParameterLayout) -> Bool { a.entries == b.entries }

    /// The entry called `name`, if any. O(entries).
    func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// Offsets of the tensors of recurrent layer `k`.
    func layer(_ k: Int) -> Layer { layers[k] }
}
