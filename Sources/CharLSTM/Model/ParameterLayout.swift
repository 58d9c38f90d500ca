/// Where each named parameter tensor sits in the model's one flat parameter buffer.
///
/// Names and shapes are PyTorch's state-dict ones (`lstm.weight_ih_l0` [4H, V], …, `decoder.weight` [V, H],
/// `decoder.bias` [V]), in the order layer by layer (weight_ih, weight_hh, bias_ih, bias_hh), then the decoder.
/// Gradients and optimizer moments use the same layout.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let totalCount: Int

    public init(_ config: ModelConfig) {
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        let g = config.cell.gateCount * config.hidden, h = config.hidden, prefix = config.cell.rawValue
        for k in 0..<config.layers {
            add("\(prefix).weight_ih_l\(k)", [g, config.inputSize(layer: k)])
            add("\(prefix).weight_hh_l\(k)", [g, h])
            add("\(prefix).bias_ih_l\(k)", [g])
            add("\(prefix).bias_hh_l\(k)", [g])
        }
        add("decoder.weight", [config.vocabularySize, h])
        add("decoder.bias", [config.vocabularySize])
        self.entries = entries
        self.totalCount = offset
    }

    /// The entry called `name`, if any. O(entries).
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// Offsets of the four tensors of recurrent layer `k`.
    func layer(_ k: Int) -> (weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int) {
        let e = entries[4 * k ..< 4 * k + 4].map(\.offset)
        return (e[0], e[1], e[2], e[3])
    }

    /// Offsets of the decoder weight and bias.
    var decoder: (weight: Int, bias: Int) {
        (entries[entries.count - 2].offset, entries[entries.count - 1].offset)
    }
}
