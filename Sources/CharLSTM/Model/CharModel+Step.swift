import CharLSTMKernels

/// Runs a model one character at a time (batch 1) with carried state: the engine of generation.
///
/// Matrix–vector products on the weights as they are; the one-hot first layer is a row lookup in a
/// transposed copy of W_ih made once. Per character O(L·G·H² + H·V), no allocation.
public final class StepRunner: @unchecked Sendable {
    public let model: CharModel
    /// The carried state of the single stream.
    public let state: RecurrentState
    private let embedding: FloatBuffer           // [V, G·H]: W_ih0ᵀ + input bias
    private let inputBias: [FloatBuffer]         // per layer [G·H]
    /// Layers ≥ 1 of cells that sum their parts: [W_ih | W_hh] side by side [G, 2H], so one product with
    /// [x; h] does both.
    private let fused: [FloatBuffer?]
    private let xh: FloatBuffer                  // [2H]: the input and the previous h of the layer
    private let gates: FloatBuffer, h: FloatBuffer
    /// Cells that keep the recurrent part apart (GRU): the step's recurrent part [G·H], and that of the
    /// separate recurrent gates (n) [H].
    private let recurrentPart: FloatBuffer, separatePart: FloatBuffer
    private let logitsBuffer: FloatBuffer

    /// Takes a snapshot of the model's current weights (call again after they change).
    public init(model: CharModel) {
        self.model = model
        let config = model.config, H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize
        state = RecurrentState(config: config, batch: 1)
        let p = model.parameters.pointer
        let biases = (0..<config.layers).map { _ in FloatBuffer(count: G) }, table = FloatBuffer(count: V * G)
        model.prepareInputTables(embedding: table.pointer, bias: { biases[$0].pointer })
        inputBias = biases
        embedding = table
        fused = (0..<config.layers).map { k in
            guard k > 0, config.cell.sumsInputAndRecurrentParts else { return nil }
            let o = model.layout.layer(k), w = FloatBuffer(count: G * 2 * H)
            for r in 0..<G {
                (w.pointer + r * 2 * H).update(from: p + o.weightIH + r * H, count: H)
                (w.pointer + r * 2 * H + H).update(from: p + o.weightHH + r * H, count: H)
            }
            return w
        }
        xh = FloatBuffer(count: 2 * H)
        gates = FloatBuffer(count: G)
        h = FloatBuffer(count: H)
        let apart = !config.cell.sumsInputAndRecurrentParts
        recurrentPart = FloatBuffer(count: apart ? G : 0)
        separatePart = FloatBuffer(count: config.cell.separateRecurrentGates * H)
        logitsBuffer = FloatBuffer(count: V)
    }

    /// Feeds one character; returns the logits of the next (valid until the next call).
    @discardableResult
    public func step(_ token: Int32) -> UnsafeBufferPointer<Float> {
        let config = model.config, H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize
        let p = model.parameters.pointer, threads = model.threads
        var input: UnsafePointer<Float> = UnsafePointer(embedding.pointer)  // unused for k = 0
        for k in 0..<config.layers {
            let o = model.layout.layer(k), a = gates.pointer, hk = state.h(layer: k)
            if k == 0 {
                a.update(from: embedding.pointer + Int(token) * G, count: G)
            } else {
                a.update(from: inputBias[k].pointer, count: G)
            }
            if let w = fused[k] {
                // x·W_ihᵀ + h·W_hhᵀ as one product over [x; h].
                xh.pointer.update(from: input, count: H)
                (xh.pointer + H).update(from: hk, count: H)
                sgemv(trans: false, m: G, n: 2 * H, alpha: 1, a: w.pointer, lda: 2 * H, x: xh.pointer, beta: 1, y: a, threads: threads)
            } else {
                if k > 0 {
                    sgemv(trans: false, m: G, n: H, alpha: 1, a: p + o.weightIH, lda: H, x: input, beta: 1, y: a, threads: threads)
                }
                // h·W_hhᵀ: into the gates when the cell sums its parts, else apart with b_hh.
                let part = config.cell.sumsInputAndRecurrentParts ? a : recurrentPart.pointer
                if !config.cell.sumsInputAndRecurrentParts { part.update(from: p + o.biasHH, count: G) }
                sgemv(trans: false, m: G, n: H, alpha: 1, a: p + o.weightHH, lda: H, x: hk, beta: 1, y: part, threads: threads)
            }
            switch config.cell {
            case .lstm:
                let ck = state.c(layer: k)
                lstmCellForward(gates: a, cPrev: ck, c: ck, h: h.pointer, batch: 1, hidden: H)
            case .rnn:
                rnnCellForward(gates: a, h: h.pointer, batch: 1, hidden: H)
            case .gru:
                gruCellForward(gates: a, recurrentPart: recurrentPart.pointer, nPart: separatePart.pointer, hPrev: hk, h: h.pointer,
                               batch: 1, hidden: H)
            }
            hk.update(from: h.pointer, count: H)
            input = UnsafePointer(hk)
        }
        let d = model.layout.decoder
        logitsBuffer.pointer.update(from: p + d.bias, count: V)
        sgemv(trans: false, m: V, n: H, alpha: 1, a: p + d.weight, lda: H, x: input, beta: 1, y: logitsBuffer.pointer, threads: 1)
        return UnsafeBufferPointer(start: logitsBuffer.pointer, count: V)
    }

    /// Back to the zero state.
    public func reset() { state.reset() }
}
