/// The recurrent cell of a model. Each has PyTorch's semantics and parameter layout.
public enum CellKind: String, CaseIterable, Sendable {
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

    /// Whether the cell carries a cell state c beside h.
    public var hasCellState: Bool { self == .lstm }
}
