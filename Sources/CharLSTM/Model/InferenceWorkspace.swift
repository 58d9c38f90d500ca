import CharLSTMKernels

/// The buffers of a forward-only pass (evaluation) over B streams, for ``RecurrentNetwork/evaluate(_:state:workspace:)``.
///
/// Nothing is kept for a backward pass: the layers run a chunk of up to ``chunkLength`` time steps at a
/// time, each layer keeping only what the next layer and the next time step need (one h buffer that each
/// layer overwrites after the layer above has read it, one gate buffer, the cell state updated in place
/// in the carried ``RecurrentState``). Allocate once, reuse for every batch. Like ``Workspace``, its buffers
/// are one list that both allocates them and counts their memory.
final class InferenceWorkspace {
    let batchSize: Int
    /// Most time steps run per layer at a time.
    let chunkLength: Int
    let config: ModelConfig
    private let buffers: BufferSet<Role>

    /// What each buffer holds. C = chunk length, B streams, H hidden units, G = gate count × H, V characters.
    enum Role: Hashable, Sendable {
        /// h_0…h_C of the layer being run [(C+1)·B, H]: the layer below's output until this layer's input
        /// part is made, then this layer's own.
        case hidden
        /// The gates of the layer being run [C·B, G].
        case gates
        /// Cells that keep the recurrent part apart (GRU): one step's recurrent part [B, G], and of the
        /// ``CellKind/separateRecurrentGates`` (n) [B, separate gates × H].
        case recurrentPart, separatePart
        /// Decoder logits of a chunk [C·B, V].
        case logits
        /// First layer: W_ihᵀ with the input biases folded in [V, G].
        case embedding
        /// Per layer: the bias added to x·W_ihᵀ [G].
        case inputBias
        /// Per layer: W_hhᵀ packed for its per-step products (H × G), once per pass
        /// (``RecurrentNetwork/prepareEvaluation(_:)``): packed per chunk, a pass of one stream and one step at a
        /// time spent most of its time repacking.
        case packedRecurrent
        /// Only when asked for (``keepsCellStates``), for cells with a cell state: c_0…c_C of the layer being
        /// run [(C+1)·B, H], so that a ``ForwardObserver`` sees every step's c.
        case cellStates
    }

    /// Rows (steps × streams) a chunk aims at by default: enough for efficient matrix products.
    static let defaultChunkRows = 512

    static func plan(config: ModelConfig, batchSize B: Int, chunkLength C: Int,
                     keepsCellStates: Bool = false) -> [BufferSet<Role>.Description] {
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize
        var plan: [BufferSet<Role>.Description] = [
            .init(.hidden, .floats((C + 1) * B * H)),
            .init(.gates, .floats(C * B * G)),
            .init(.logits, .floats(C * B * V)),
            .init(.embedding, .floats(V * G)),
            .init(.inputBias, copies: config.layers, .floats(G)),
            .init(.packedRecurrent, copies: config.layers, .packed(k: H, n: G)),
        ]
        if !config.cell.sumsInputAndRecurrentParts {
            plan.append(.init(.recurrentPart, .floats(B * G)))
            plan.append(.init(.separatePart, .floats(B * config.cell.separateRecurrentGates * H)))
        }
        if keepsCellStates && config.cell.hasCellState { plan.append(.init(.cellStates, .floats((C + 1) * B * H))) }
        return plan
    }

    /// The chunk length used when none is given: about ``defaultChunkRows`` rows.
    static func defaultChunkLength(batchSize B: Int) -> Int { max(1, defaultChunkRows / max(B, 1)) }

    /// Bytes the buffers take. O(1).
    static func bytesNeeded(config: ModelConfig, batchSize B: Int, chunkLength: Int? = nil) -> Int {
        bytesNeeded(config: config, batchSize: B, chunkLength: chunkLength, borrowing: .none)
    }

    /// Bytes the buffers take apart from those `spares` lends
    /// (``init(config:batchSize:chunkLength:keepsCellStates:borrowing:)``). O(1).
    static func bytesNeeded(config: ModelConfig, batchSize B: Int, chunkLength: Int? = nil,
                            borrowing spares: SpareBuffers.Sizes) -> Int {
        BufferSet.bytes(plan(config: config, batchSize: B, chunkLength: chunkLength ?? defaultChunkLength(batchSize: B)),
                        borrowing: spares)
    }

    /// Buffers for `batchSize` streams, run `chunkLength` steps at a time (default: about ``defaultChunkRows`` rows).
    /// With `keepsCellStates`, a cell with a cell state keeps every step's c of a chunk for a ``ForwardObserver``
    /// (one more [(C+1)·B, H] buffer; the numbers are the same).
    convenience init(config: ModelConfig, batchSize B: Int, chunkLength: Int? = nil, keepsCellStates: Bool = false) {
        self.init(config: config, batchSize: B, chunkLength: chunkLength, keepsCellStates: keepsCellStates, borrowing: .none)
    }

    /// As ``init(config:batchSize:chunkLength:keepsCellStates:)``, with the buffers that fit in `spares` taken from
    /// there instead of allocated: the memory of a training ``Workspace`` (``Workspace/spares``), which is idle
    /// while validation runs. Use this workspace only while the lender is idle.
    init(config: ModelConfig, batchSize B: Int, chunkLength: Int? = nil, keepsCellStates: Bool = false,
         borrowing spares: SpareBuffers) {
        self.config = config
        batchSize = B
        self.chunkLength = max(1, chunkLength ?? Self.defaultChunkLength(batchSize: B))
        buffers = BufferSet(Self.plan(config: config, batchSize: B, chunkLength: self.chunkLength,
                                      keepsCellStates: keepsCellStates), borrowing: spares)
    }

    var hidden: UnsafeMutablePointer<Float> { buffers.floats(.hidden) }
    var gates: UnsafeMutablePointer<Float> { buffers.floats(.gates) }
    var recurrentPart: UnsafeMutablePointer<Float>? { buffers.has(.recurrentPart) ? buffers.floats(.recurrentPart) : nil }
    var separatePart: UnsafeMutablePointer<Float>? { buffers.has(.separatePart) ? buffers.floats(.separatePart) : nil }
    var logits: UnsafeMutablePointer<Float> { buffers.floats(.logits) }
    var cellStates: UnsafeMutablePointer<Float>? { buffers.has(.cellStates) ? buffers.floats(.cellStates) : nil }
    var embedding: UnsafeMutablePointer<Float> { buffers.floats(.embedding) }
    func inputBias(_ k: Int) -> UnsafeMutablePointer<Float> { buffers.floats(.inputBias, k) }
    func packedRecurrent(_ k: Int) -> SgemmPackedB { buffers.packed(.packedRecurrent, k) }
}
