import CharLSTMKernels

/// Every activation buffer a forward and backward pass over a [T, B] batch needs, allocated once and reused,
/// so that a training step allocates nothing.
public final class Workspace: @unchecked Sendable {
    public let sequenceLength: Int
    public let batchSize: Int
    let config: ModelConfig

    /// Per layer: h_0…h_T ([(T+1)·B, H]; row block 0 is the carried-in state).
    let hs: [FloatBuffer]
    /// Per layer (LSTM): c_0…c_T, and tanh(c_1)…tanh(c_T).
    let cs: [FloatBuffer], tanhC: [FloatBuffer]
    /// Per layer: gate activations [T·B, G·H].
    let acts: [FloatBuffer]
    /// Per layer (GRU): the saved h-part of the n gate [T·B, H]; and one step's h-part scratch [B, 3H].
    let ahN: [FloatBuffer]
    let ah: FloatBuffer
    /// Per layer (dropout > 0): the mask (0 or 1/(1−p)) and the masked output [T·B, H].
    let masks: [FloatBuffer], dropped: [FloatBuffer]
    /// Decoder logits, overwritten by their gradient in training [T·B, V].
    let logits: FloatBuffer
    /// Backward scratch: gate gradients [T·B, G·H] (x-part and, for GRU, h-part), h gradients [T·B, H] ×2,
    /// c gradient [B, H].
    let dA: FloatBuffer, dAh: FloatBuffer, dH: [FloatBuffer], dC: FloatBuffer
    /// First layer: W_ihᵀ with the input biases folded in [V, G·H], and its gradient.
    let embedding: FloatBuffer, dEmbedding: FloatBuffer
    /// Per layer: the bias added to x·W_ihᵀ (b_ih + b_hh for LSTM/RNN, b_ih for GRU) [G·H].
    let inputBias: [FloatBuffer]
    /// The recurrent weights of the layer being processed, packed once per pass for the T per-step products:
    /// W_hhᵀ (H × G) forward, W_hh (G × H) backward.
    let packedRecurrent: SgemmPackedB, packedRecurrentBackward: SgemmPackedB

    /// Bytes the buffers of a [T, B] workspace take. O(1).
    public static func bytesNeeded(config: ModelConfig, sequenceLength T: Int, batchSize B: Int) -> Int {
        floatsNeeded(config: config, T: T, B: B).multipliedReportingOverflow(by: 4).partialValue
    }

    static func floatsNeeded(config: ModelConfig, T: Int, B: Int) -> Int {
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize, L = config.layers
        let TB = T * B
        var perLayer = (T + 1) * B * H + TB * G
        if config.cell == .lstm { perLayer += (T + 1) * B * H + TB * H }
        if config.cell == .gru { perLayer += TB * H }
        if config.dropout > 0 { perLayer += 2 * TB * H }
        var total = L * perLayer + TB * V + TB * G * (config.cell == .gru ? 2 : 1) + 2 * TB * H + B * H
        total += 2 * V * G + L * G + B * 3 * H + 2 * (G + 16) * (H + 16)
        return total
    }

    public init(config: ModelConfig, sequenceLength T: Int, batchSize B: Int) {
        self.config = config
        sequenceLength = T
        batchSize = B
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize, L = config.layers
        let TB = T * B
        func buffers(_ n: Int, _ present: Bool = true) -> [FloatBuffer] {
            (0..<L).map { _ in FloatBuffer(count: present ? n : 0) }
        }
        hs = buffers((T + 1) * B * H)
        cs = buffers((T + 1) * B * H, config.cell == .lstm)
        tanhC = buffers(TB * H, config.cell == .lstm)
        acts = buffers(TB * G)
        ahN = buffers(TB * H, config.cell == .gru)
        ah = FloatBuffer(count: config.cell == .gru ? B * G : 0)
        masks = buffers(TB * H, config.dropout > 0)
        dropped = buffers(TB * H, config.dropout > 0)
        logits = FloatBuffer(count: TB * V)
        dA = FloatBuffer(count: TB * G)
        dAh = FloatBuffer(count: config.cell == .gru ? TB * G : 0)
        dH = [FloatBuffer(count: TB * H), FloatBuffer(count: TB * H)]
        dC = FloatBuffer(count: B * H)
        embedding = FloatBuffer(count: V * G)
        dEmbedding = FloatBuffer(count: V * G)
        inputBias = buffers(G)
        packedRecurrent = SgemmPackedB(k: H, n: G)
        packedRecurrentBackward = SgemmPackedB(k: G, n: H)
    }

    /// Output of layer k as seen by the layer above (after dropout when it was applied) [T·B, H].
    func output(layer k: Int, dropout applied: Bool) -> UnsafeMutablePointer<Float> {
        applied ? dropped[k].pointer : hs[k].pointer + batchSize * config.hidden
    }
}
