/// The recurrent cell of a model. Each has PyTorch's semantics and parameter layout.
///
/// The model's code asks the cell for its facts (below) instead of comparing cases; only the fused step
/// kernels are chosen by an exhaustive `switch`.
public enum CellKind: String, CaseIterable, Sendable {
    /// Long short-term memory, gates i, f, g, o (`torch.nn.LSTM`).
    case lstm
    /// Gated recurrent unit, gates r, z, n (`torch.nn.GRU`).
    case gru
    /// Plain tanh recurrent network (`torch.nn.RNN`).
    case rnn

    /// How many H-sized blocks the stacked gate matrices have: 4, 3 or 1.
    var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnn: 1
        }
    }

    /// Whether the cell carries a cell state c beside h (carried between batches, and kept for every time
    /// step of a training pass).
    var hasCellState: Bool {
        switch self {
        case .lstm: true
        case .gru, .rnn: false
        }
    }

    /// The gate block of the forget gate, whose bias a new model starts at 1 (LSTM's f, block 1 of i, f, g, o);
    /// `nil` for cells without one. A forget gate open from the start lets the cell state carry information
    /// across time steps before the gate has learned to (Gers et al. 2000; Jozefowicz et al. 2015; Keras's
    /// `unit_forget_bias`), which shortens the plateau at the start of training.
    var forgetGate: Int? {
        switch self {
        case .lstm: 1
        case .gru, .rnn: nil
        }
    }

    /// How many gate blocks, counted from the last, use the recurrent part h·W_hhᵀ + b_hh on its own rather
    /// than through its sum with the input part x·W_ihᵀ + b_ih: GRU's n (its reset gate scales the recurrent
    /// part of n), none for LSTM and RNN. A training pass keeps that part for every time step, since the
    /// backward needs it, and its gradient differs from the gate gradient there.
    var separateRecurrentGates: Int {
        switch self {
        case .lstm, .rnn: 0
        case .gru: 1
        }
    }

    /// Whether the gates see the input and recurrent parts only through their sum (no
    /// ``separateRecurrentGates``). Then b_hh folds into the input bias, one product over [x; h] can make
    /// both parts, and one gate gradient serves both. Otherwise the recurrent part is made apart, with b_hh,
    /// in a per-step buffer.
    var sumsInputAndRecurrentParts: Bool { separateRecurrentGates == 0 }

    /// Whether a layer above the first makes its two weight gradients as one product, [dW_hh | dW_ih] =
    /// dGᵀ·[h_{t−1} | x_t], reading its gate gradients once: when one gate gradient serves both parts
    /// (``sumsInputAndRecurrentParts``). Otherwise (GRU) dW_hh reads only the shared gates' rows of it.
    var fusesWeightGradients: Bool { sumsInputAndRecurrentParts }

    /// The gate blocks of the stacked gate matrices, in PyTorch's order, with the function that squashes each:
    /// i, f, g, o (g by tanh), r, z, n (n by tanh), or the plain RNN's one tanh block, its h.
    var gateBlocks: [GateBlock] {
        switch self {
        case .lstm: [.init("i", .sigmoid), .init("f", .sigmoid), .init("g", .tanh), .init("o", .sigmoid)]
        case .gru: [.init("r", .sigmoid), .init("z", .sigmoid), .init("n", .tanh)]
        case .rnn: [.init("h", .tanh)]
        }
    }

    /// The tensors of one recurrent layer, in PyTorch's state-dict order.
    var layerTensors: [LayerTensor] { [.weightIH, .weightHH, .biasIH, .biasHH] }

    /// The prefix of the layers' tensor names in a PyTorch state dict (`lstm.weight_ih_l0`).
    var tensorPrefix: String { rawValue }
}

/// One tensor of a recurrent layer, named as PyTorch names it.
enum LayerTensor: String, CaseIterable, Sendable {
    case weightIH = "weight_ih", weightHH = "weight_hh", biasIH = "bias_ih", biasHH = "bias_hh"

    /// Its shape for a layer of `gates` stacked gate rows (gate count × H), input width `input` and `hidden` units.
    func shape(gates: Int, input: Int, hidden: Int) -> [Int] {
        switch self {
        case .weightIH: [gates, input]
        case .weightHH: [gates, hidden]
        case .biasIH, .biasHH: [gates]
        }
    }
}

/// One H-sized block of a cell's gates: its name and the function that squashes its activation.
public struct GateBlock: Equatable, Sendable {
    /// The function that squashes a block's pre-activation.
    public enum Squash: String, Sendable {
        /// Values in (0, 1).
        case sigmoid
        /// Values in (−1, 1).
        case tanh
    }
    /// PyTorch's letter for the block: i, f, g, o; r, z, n; h for the plain RNN.
    public let name: String
    /// The function applied to the block's pre-activation.
    public let squash: Squash

    init(_ name: String, _ squash: Squash) {
        self.name = name
        self.squash = squash
    }
}
