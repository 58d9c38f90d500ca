/// The recurrent cell of a model. Each has PyTorch's semantics and parameter layout.
///
/// The model's code asks the cell for its facts (below) instead of comparing cases; only the fused step
/// kernels are chosen by an exhaustive `switch`.
public enum CellKind: String, CaseIterable, Sendable, Codable {
    /// Long short-term memory, gates i, f, g, o (`torch.nn.LSTM`).
    case lstm
    /// Gated recurrent unit, gates r, z, n (`torch.nn.GRU`).
    case gru
    /// Plain tanh recurrent network (`torch.nn.RNN`).
    case rnn

    /// How many H-sized blocks the stacked gate matrices have: 4, 3 or 1.
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnn: 1
        }
    }

    /// Whether the cell carries a cell state c beside h (carried between batches, and kept for every time
    /// step of a training pass).
    public var hasCellState: Bool {
        switch self {
        case .lstm: true
        case .gru, .rnn: false
        }
    }

    /// Whether the gates see the input part x·W_ihᵀ + b_ih and the recurrent part h·W_hhᵀ + b_hh only
    /// through their sum (LSTM, RNN). Then b_hh folds into the input bias, one product over [x; h] can make
    /// both parts, and one gate gradient serves both. GRU keeps the recurrent part apart (its reset gate
    /// scales the recurrent part of n), so it needs a per-step buffer for that part and keeps the recurrent
    /// part of n for every time step of a training pass.
    public var sumsInputAndRecurrentParts: Bool {
        switch self {
        case .lstm, .rnn: true
        case .gru: false
        }
    }

    /// The tensors of one recurrent layer, in PyTorch's state-dict order.
    public var layerTensors: [LayerTensor] { [.weightIH, .weightHH, .biasIH, .biasHH] }

    /// The prefix of the layers' tensor names in a PyTorch state dict (`lstm.weight_ih_l0`).
    public var tensorPrefix: String { rawValue }
}

/// One tensor of a recurrent layer, named as PyTorch names it.
public enum LayerTensor: String, CaseIterable, Sendable {
    case weightIH = "weight_ih", weightHH = "weight_hh", biasIH = "bias_ih", biasHH = "bias_hh"

    /// Its shape for a layer of `gates` stacked gate rows (gate count × H), input width `input` and `hidden` units.
    public func shape(gates: Int, input: Int, hidden: Int) -> [Int] {
        switch self {
        case .weightIH: [gates, input]
        case .weightHH: [gates, hidden]
        case .biasIH, .biasHH: [gates]
        }
    }
}
