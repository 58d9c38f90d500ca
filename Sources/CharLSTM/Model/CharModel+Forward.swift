import CharLSTMKernels

extension CharModel {
    /// Result of a forward pass: summed loss in nats over the T·B predictions, and how many ranked the target first.
    public struct ForwardResult: Sendable {
        public var nats: Double
        public var correct: Int
        public var count: Int
        public var meanNats: Double { nats / Double(max(count, 1)) }
        public var bitsPerCharacter: Double { meanNats / 0.693_147_180_559_945_3 }
    }

    /// Runs the batch forward from `state`, leaves the final state in `state`, and returns the loss.
    ///
    /// With `dropout` (a generator) the masks are drawn and applied, and the logits are replaced by
    /// ∂loss/∂logits for ``backward(_:workspace:)``; without it, this is evaluation. O(T·B·L·G·H²).
    @discardableResult
    public func forward(_ batch: TokenBatch, state: RecurrentState, workspace ws: Workspace,
                        training: Bool, dropout rng: inout RandomGenerator) -> ForwardResult {
        let T = batch.sequenceLength, B = batch.batchSize, TB = T * B
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize
        precondition(ws.sequenceLength == T && ws.batchSize == B && state.batch == B, "workspace does not fit the batch")
        let p = parameters.pointer
        let applyDropout = training && config.dropout > 0

        for k in 0..<config.layers {
            let o = layout.layer(k)
            let acts = ws.acts[k].pointer, hs = ws.hs[k].pointer
            // Input-side bias: b_ih (+ b_hh where the cell adds the two pre-activations).
            let bias = ws.inputBias[k].pointer
            bias.update(from: p + o.biasIH, count: G)
            if config.cell != .gru {
                forEachChunk16(G) { j, w in store16(load16(bias + j, width: w) + load16(p + o.biasHH + j, width: w), bias + j, width: w) }
            }
            // x·W_ihᵀ + bias for the whole sequence: a row lookup for the one-hot first layer, one product after.
            if k == 0 {
                let emb = ws.embedding.pointer
                transpose(p + o.weightIH, rows: G, cols: V, into: emb)
                for v in 0..<V {
                    let row = emb + v * G
                    forEachChunk16(G) { j, w in store16(load16(row + j, width: w) + load16(bias + j, width: w), row + j, width: w) }
                }
                batch.inputs.withUnsafeBufferPointer { x in
                    for r in 0..<TB { (acts + r * G).update(from: emb + Int(x[r]) * G, count: G) }
                }
            } else {
                broadcastRow(bias, to: acts, rows: TB, n: G)
                sgemm(transA: false, transB: true, m: TB, n: G, k: H, alpha: 1,
                      a: ws.output(layer: k - 1, dropout: applyDropout), lda: H, b: p + o.weightIH, ldb: H,
                      beta: 1, c: acts, ldc: G, threads: threads)
            }
            // Carried-in state, then the recurrence.
            hs.update(from: state.h(layer: k), count: B * H)
            if config.cell == .lstm { ws.cs[k].pointer.update(from: state.c(layer: k), count: B * H) }
            let recurrent = ws.packedRecurrent
            recurrent.pack(transB: true, b: p + o.weightHH, ldb: H)
            // The streams are independent through time, so each thread runs the whole recurrence for its own
            // rows b0 ..< b0 + n: no synchronisation per time step.
            forEachStreamGroup(batch: B) { b0, n, gemmThreads in
                for t in 0..<T {
                    let row = t * B + b0
                    let hPrev = hs + row * H, hNext = hs + (row + B) * H, a = acts + row * G
                    switch config.cell {
                    case .lstm:
                        sgemm(transA: false, m: n, alpha: 1, a: hPrev, lda: H, packedB: recurrent, beta: 1, c: a, ldc: G,
                              threads: gemmThreads)
                        let cs = ws.cs[k].pointer
                        lstmCellForward(pre: a, cPrev: cs + row * H, c: cs + (row + B) * H,
                                        tanhC: ws.tanhC[k].pointer + row * H, h: hNext, batch: n, hidden: H)
                    case .rnn:
                        sgemm(transA: false, m: n, alpha: 1, a: hPrev, lda: H, packedB: recurrent, beta: 1, c: a, ldc: G,
                              threads: gemmThreads)
                        rnnCellForward(pre: a, h: hNext, batch: n, hidden: H)
                    case .gru:
                        let ah = ws.ah.pointer + b0 * G
                        broadcastRow(p + o.biasHH, to: ah, rows: n, n: G)
                        sgemm(transA: false, m: n, alpha: 1, a: hPrev, lda: H, packedB: recurrent, beta: 1, c: ah, ldc: G,
                              threads: gemmThreads)
                        gruCellForward(ax: a, ah: ah, ahN: ws.ahN[k].pointer + row * H, hPrev: hPrev, h: hNext,
                                       batch: n, hidden: H)
                    }
                }
            }
            state.h(layer: k).update(from: hs + T * B * H, count: B * H)
            if config.cell == .lstm { state.c(layer: k).update(from: ws.cs[k].pointer + T * B * H, count: B * H) }
            // Inverted dropout on the layer's output.
            if applyDropout {
                let mask = ws.masks[k].pointer, keep = 1 - config.dropout, scale = 1 / keep
                for i in 0..<TB * H { mask[i] = rng.nextUnitFloat() < keep ? scale : 0 }
                multiply(hs + B * H, mask, into: ws.dropped[k].pointer, count: TB * H)
            }
        }
        // Decoder and loss.
        let d = layout.decoder, logits = ws.logits.pointer
        broadcastRow(p + d.bias, to: logits, rows: TB, n: V)
        sgemm(transA: false, transB: true, m: TB, n: V, k: H, alpha: 1,
              a: ws.output(layer: config.layers - 1, dropout: applyDropout), lda: H, b: p + d.weight, ldb: H,
              beta: 1, c: logits, ldc: V, threads: threads)
        let (nats, correct) = batch.targets.withUnsafeBufferPointer { y in
            softmaxCrossEntropy(logits: logits, targets: y.baseAddress!, rows: TB, vocabulary: V,
                                gradientScale: training ? 1 / Float(TB) : nil)
        }
        return ForwardResult(nats: nats, correct: correct, count: TB)
    }

    /// Runs `body(firstStream, streams, gemmThreads)` over the batch's streams: one group using every
    /// thread inside its products when the batch is small, else one group per thread, each single-threaded.
    func forEachStreamGroup(batch B: Int, _ body: (Int, Int, Int) -> Void) {
        let groups = B >= 8 * threads ? threads : 1
        if groups == 1 { return body(0, B, threads) }
        Parallel.forEachDisjoint(groups, threads: groups) { g in
            let b0 = B * g / groups, b1 = B * (g + 1) / groups
            body(b0, b1 - b0, 1)
        }
    }
}
