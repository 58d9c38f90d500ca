/// The shape of a character model: one-hot input of `vocabularySize`, `layers` stacked recurrent layers of
/// `hidden` units, dropout after every layer (between layers and before the decoder), a linear decoder.
public struct ModelConfig: Equatable, Sendable {
    /// The recurrent cell of every layer: LSTM, GRU or plain RNN.
    public var cell: CellKind
    /// Inputs and outputs: the vocabulary's size for a text model, the number of columns for a series model.
    public var vocabularySize: Int
    /// Hidden units per layer.
    public var hidden: Int
    /// Stacked recurrent layers.
    public var layers: Int
    /// Inverted dropout probability in [0, 1), used only while training.
    public var dropout: Float

    /// How many recurrent layers a model may have: 1…16.
    package static let layerRange = 1...16
    /// How many hidden units a layer may have: 1…8192.
    package static let hiddenRange = 1...8192
    /// The dropout probabilities allowed: [0, 1), also once rounded to a `Float` (``validate()`` checks that).
    package static let dropoutInterval = RealInterval.closedOpen(0, 1)

    /// A shape as given; ``validate()`` checks it (a checkpoint and a training run check theirs).
    public init(cell: CellKind = .lstm, vocabularySize: Int, hidden: Int, layers: Int, dropout: Float = 0) {
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.hidden = hidden
        self.layers = layers
        self.dropout = dropout
    }

    /// Input width of layer `k`: the vocabulary for the first layer, the hidden size after.
    func inputSize(layer k: Int) -> Int { k == 0 ? vocabularySize : hidden }

    /// Whether `other` has the same parameters and activations: it differs at most in dropout.
    func hasSameShape(as other: ModelConfig) -> Bool {
        cell == other.cell && vocabularySize == other.vocabularySize && hidden == other.hidden && layers == other.layers
    }

    /// Number of trainable parameters. O(layers).
    public var parameterCount: Int { ParameterLayout(self).totalCount }

    /// Multiply-adds × 2 per character for one forward and backward pass (training), for GFLOP/s figures.
    /// The first layer's one-hot input product is a lookup and not counted.
    package var trainingFLOPsPerCharacter: Double {
        let g = Double(cell.gateCount * hidden), h = Double(hidden), v = Double(vocabularySize)
        var forward = 2 * g * h * Double(layers)            // recurrent products
        forward += 2 * g * h * Double(layers - 1)           // input products of layers ≥ 1
        forward += 2 * h * v                                // decoder
        return 3 * forward                                  // backward ≈ two more products of each
    }

    /// Checks the sizes against ``hiddenRange``, ``layerRange`` and [0, 1) for dropout; throws a `.usage` error
    /// naming the first bad one.
    func validate() throws(CharLSTMError) {
        guard vocabularySize >= 1 else { throw .invalidData("the vocabulary is empty") }
        try requireSetting("hidden size", hidden, in: Self.hiddenRange)
        try requireSetting("layers", layers, in: Self.layerRange)
        // A probability just below 1 can round to 1 as a Float: then 1 / (1 − p), the dropout's scale, is ∞.
        if dropout == 1 { throw .usage("dropout must be below 1, also once rounded to a 32-bit float, which this one is not") }
        try requireSetting("dropout", Double(dropout), in: Self.dropoutInterval)
    }
}
