import CharLSTMKernels

/// Every buffer a training forward and backward pass over a [T, B] batch needs, allocated once and reused,
/// so that a training step allocates nothing.
///
/// Only what the backward pass cannot recompute cheaply is kept per time step: each layer's gates
/// (overwritten in place by their gradients), the cell state for cells with one, the recurrent part of n
/// for GRU, and the dropout masks as bits. h is kept for one layer at a time (a lower layer's is
/// rebuilt from its gates by its own backward steps), and tanh(c) and the dropped-out outputs are
/// recomputed where they are read: elementwise work, small next to the matrix products. The buffers
/// and their sizes are one list, ``plan(config:sequenceLength:batchSize:)``, which both allocates them and
/// counts their memory. For evaluation, ``InferenceWorkspace`` needs a small fraction of this.
/// Sendable: its fields never change after init; a pass's worker threads (stream groups, the column-split
/// recurrence) write its buffers in disjoint ranges, one pass at a time.
final class Workspace: Sendable {
    let sequenceLength: Int
    let batchSize: Int
    let config: ModelConfig
    private let buffers: BufferSet<Role>

    /// What each buffer holds. T steps, B streams, H hidden units, G = gate count × H, V characters.
    enum Role: Hashable, Sendable {
        /// h_0…h_T of one layer [(T+1)·B, H]; row block 0 is its carried-in state. After the forward, the
        /// top layer's; in the backward, the layer being back-propagated (rebuilt for the lower ones).
        case hidden
        /// Per layer: the carried-in h_0 [B, H], to rebuild h from.
        case initialHidden
        /// Per layer: the gates [T·B, G]: input part, then activations (forward), then ∂pre-activations
        /// (backward).
        case gates
        /// Per layer, cells with a cell state: c_0…c_T [(T+1)·B, H].
        case cellState
        /// Per layer, cells with ``CellKind/separateRecurrentGates`` (GRU: n): the recurrent part of those
        /// gates, then its gradient [T·B, separate gates × H].
        case separatePart
        /// Cells that keep the recurrent part apart: one step's recurrent part, then its gradient [B, G].
        case recurrentPart
        /// Per layer, with dropout: the mask of the layer's output, T·B·H bits.
        case dropoutMask
        /// Decoder logits, overwritten by their gradient in training [T·B, V].
        case logits
        /// ∂L/∂h of the layer being back-propagated [T·B, H]. With dropout it also holds a layer's
        /// dropped-out output whenever that is read: in the forward (by the layer above and the decoder),
        /// and in the backward once the layer's own steps are done (by the gradient of the layer above's
        /// input weights), until the h gradient of the layer below replaces it.
        case hiddenGradient
        /// Cells with a cell state: ∂L/∂c of the step being back-propagated [B, H].
        case cellGradient
        /// First layer: W_ihᵀ with the input biases folded in [V, G], and its gradient.
        case embedding, embeddingGradient
        /// Per layer: the bias added to x·W_ihᵀ (b_ih, plus b_hh when the cell sums its parts) [G].
        case inputBias
        /// The recurrent weights of the layer being processed, packed once per pass for the T per-step
        /// products: W_hhᵀ (H × G) forward, W_hh (G × H) backward, in turn in one buffer.
        case packedRecurrent
    }

    /// The buffers of a [T, B] workspace and their sizes: what is allocated, and what is counted. O(1).
    static func plan(config: ModelConfig, sequenceLength T: Int, batchSize B: Int) -> [BufferSet<Role>.Description] {
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize, L = config.layers
        let TB = T * B
        var plan: [BufferSet<Role>.Description] = [
            .init(.hidden, .floats((T + 1) * B * H)),
            .init(.initialHidden, copies: L, .floats(B * H)),
            .init(.gates, copies: L, .floats(TB * G)),
            .init(.logits, .floats(TB * V)),
            .init(.hiddenGradient, .floats(TB * H)),
            .init(.embedding, .floats(V * G)),
            .init(.embeddingGradient, .floats(V * G)),
            .init(.inputBias, copies: L, .floats(G)),
            .init(.packedRecurrent, .packed([(k: H, n: G), (k: G, n: H)])),
        ]
        if config.cell.hasCellState {
            plan.append(.init(.cellState, copies: L, .floats((T + 1) * B * H)))
            plan.append(.init(.cellGradient, .floats(B * H)))
        }
        if !config.cell.sumsInputAndRecurrentParts {
            plan.append(.init(.separatePart, copies: L, .floats(TB * config.cell.separateRecurrentGates * H)))
            plan.append(.init(.recurrentPart, .floats(B * G)))
        }
        if config.dropout > 0 { plan.append(.init(.dropoutMask, copies: L, .bits(TB * H))) }
        return plan
    }

    /// Bytes the buffers of a [T, B] workspace take. O(1).
    static func bytesNeeded(config: ModelConfig, sequenceLength T: Int, batchSize B: Int) -> Int {
        BufferSet.bytes(plan(config: config, sequenceLength: T, batchSize: B))
    }

    /// Streams a training pass takes at once from a batch of B: all of them, or, when their workspace would
    /// pass ``passBudget``, an equal share of them (B/2, B/3, … for the smallest divisor that fits) as long as
    /// a share keeps ``minimumStreamsPerPass`` streams. A batch in pieces gives the same gradient up to
    /// rounding with a fraction of the memory, but costs more, smaller products: each per-step product streams
    /// W_hh for fewer rows. Config M (2×512, 100×64, a workspace of 165 MB) and L (3×512, 231 MB) go whole: in
    /// two pieces of 32 they took 85 and 118 MB but trained 5–8% slower (Intel Emerald Rapids). Depends only on
    /// the shapes, so a run is the same whatever the thread count. O(B).
    static func streamsPerPass(config: ModelConfig, sequenceLength T: Int, batchSize B: Int) -> Int {
        var streams = B
        for pieces in stride(from: 2, through: B, by: 1) where B % pieces == 0 {
            guard bytesNeeded(config: config, sequenceLength: T, batchSize: streams) > passBudget,
                  B / pieces >= minimumStreamsPerPass else { break }
            streams = B / pieces
        }
        return streams
    }

    /// Workspace size above which a batch is taken in pieces (``streamsPerPass(config:sequenceLength:batchSize:)``).
    static let passBudget = 256 << 20
    /// Fewest streams a piece of a batch keeps.
    static let minimumStreamsPerPass = 32

    init(config: ModelConfig, sequenceLength T: Int, batchSize B: Int) {
        self.config = config
        sequenceLength = T
        batchSize = B
        buffers = BufferSet(Self.plan(config: config, sequenceLength: T, batchSize: B))
    }

    /// Every buffer, to lend to an ``InferenceWorkspace`` used only between training passes (validation): a
    /// pass writes each buffer before it reads it, so nothing carries over from one pass to the next.
    var spares: SpareBuffers { buffers.spares }

    /// The sizes of what a [T, B] workspace lends (``spares``). O(1).
    static func spareSizes(config: ModelConfig, sequenceLength T: Int, batchSize B: Int) -> SpareBuffers.Sizes {
        SpareBuffers.Sizes(lentBy: plan(config: config, sequenceLength: T, batchSize: B))
    }

    var hidden: UnsafeMutablePointer<Float> { buffers.floats(.hidden) }
    func initialHidden(_ k: Int) -> UnsafeMutablePointer<Float> { buffers.floats(.initialHidden, k) }
    func gates(_ k: Int) -> UnsafeMutablePointer<Float> { buffers.floats(.gates, k) }
    /// nil for cells without a cell state.
    func cellState(_ k: Int) -> UnsafeMutablePointer<Float>? { buffers.has(.cellState) ? buffers.floats(.cellState, k) : nil }
    /// nil for cells that sum their parts.
    func separatePart(_ k: Int) -> UnsafeMutablePointer<Float>? { buffers.has(.separatePart) ? buffers.floats(.separatePart, k) : nil }
    var recurrentPart: UnsafeMutablePointer<Float>? { buffers.has(.recurrentPart) ? buffers.floats(.recurrentPart) : nil }
    func dropoutMask(_ k: Int) -> UnsafeMutablePointer<UInt16> { buffers.mask(.dropoutMask, k) }
    var logits: UnsafeMutablePointer<Float> { buffers.floats(.logits) }
    var hiddenGradient: UnsafeMutablePointer<Float> { buffers.floats(.hiddenGradient) }
    var cellGradient: UnsafeMutablePointer<Float> { buffers.floats(.cellGradient) }
    var embedding: UnsafeMutablePointer<Float> { buffers.floats(.embedding) }
    var embeddingGradient: UnsafeMutablePointer<Float> { buffers.floats(.embeddingGradient) }
    func inputBias(_ k: Int) -> UnsafeMutablePointer<Float> { buffers.floats(.inputBias, k) }
    var packedRecurrent: SgemmPackedB { buffers.packed(.packedRecurrent) }

    /// Output of the layer whose h is in ``Role/hidden``, as the layer above and the decoder read it
    /// [T·B, H]: h_1…h_T, or, when dropout was applied, the dropped-out copy in ``Role/hiddenGradient``
    /// (valid only while it is there, see there).
    func layerOutput(dropout applied: Bool) -> UnsafeMutablePointer<Float> {
        applied ? hiddenGradient : hidden + batchSize * config.hidden
    }
}
