import CharLSTMKernels

extension CharModel {
    /// Backpropagation through time over the batch of the preceding training ``forward(_:state:workspace:training:dropout:)``:
    /// overwrites ``gradients`` with ∂(mean loss)/∂parameters. The gradient is cut at the carried-in state
    /// (truncated BPTT). O(T·B·L·G·H²), no allocation.
    public func backward(_ batch: TokenBatch, workspace ws: Workspace) {
        let T = batch.sequenceLength, B = batch.batchSize, TB = T * B
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize, L = config.layers
        let p = parameters.pointer, g = gradients.pointer
        let dropout = config.dropout > 0

        // Decoder: dW = dZᵀ·Y, db = Σ dZ, dY = dZ·W; then through the top layer's dropout mask.
        let d = layout.decoder, dZ = ws.logits.pointer
        let top = ws.output(layer: L - 1, dropout: dropout)
        sgemm(transA: true, transB: false, m: V, n: H, k: TB, alpha: 1, a: dZ, lda: V, b: top, ldb: H,
              beta: 0, c: g + d.weight, ldc: H, threads: threads)
        columnSums(dZ, rows: TB, n: V, into: g + d.bias, accumulate: false)
        var dH = ws.dH[0].pointer
        sgemm(transA: false, transB: false, m: TB, n: H, k: V, alpha: 1, a: dZ, lda: V, b: p + d.weight, ldb: H,
              beta: 0, c: dH, ldc: H, threads: threads)
        if dropout { multiplyInPlace(dH, by: ws.masks[L - 1].pointer, count: TB * H) }

        for k in stride(from: L - 1, through: 0, by: -1) {
            let o = layout.layer(k)
            let acts = ws.acts[k].pointer, hs = ws.hs[k].pointer
            let dA = ws.dA.pointer, dAh = config.cell == .gru ? ws.dAh.pointer : dA
            if config.cell == .lstm { ws.dC.zero() }
            let recurrent = ws.packedRecurrentBackward
            recurrent.pack(transB: false, b: p + o.weightHH, ldb: H)
            // Through time, last step first. dH[t] is complete when step t is reached: the layer above and
            // step t+1 have both added into it.
            forEachStreamGroup(batch: B) { b0, n, gemmThreads in
                for t in stride(from: T - 1, through: 0, by: -1) {
                    let row = t * B + b0
                    let dh = dH + row * H, dPrev: UnsafeMutablePointer<Float>? = t > 0 ? dH + (row - B) * H : nil
                    switch config.cell {
                    case .lstm:
                        lstmCellBackward(dh: dh, dc: ws.dC.pointer + b0 * H, acts: acts + row * G,
                                         cPrev: ws.cs[k].pointer + row * H, tanhC: ws.tanhC[k].pointer + row * H,
                                         dPre: dA + row * G, batch: n, hidden: H)
                    case .rnn:
                        rnnCellBackward(dh: dh, acts: acts + row * G, dPre: dA + row * G, batch: n, hidden: H)
                    case .gru:
                        gruCellBackward(dh: dh, acts: acts + row * G, ahN: ws.ahN[k].pointer + row * H,
                                        hPrev: hs + row * H, dAx: dA + row * G, dAh: dAh + row * G,
                                        dhPrev: dPrev, batch: n, hidden: H)
                    }
                    if let dPrev {
                        sgemm(transA: false, m: n, alpha: 1, a: dAh + row * G, lda: G, packedB: recurrent,
                              beta: 1, c: dPrev, ldc: H, threads: gemmThreads)
                    }
                }
            }
            // Weight and bias gradients of the whole sequence at once.
            sgemm(transA: true, transB: false, m: G, n: H, k: TB, alpha: 1, a: dAh, lda: G, b: hs, ldb: H,
                  beta: 0, c: g + o.weightHH, ldc: H, threads: threads)
            columnSums(dA, rows: TB, n: G, into: g + o.biasIH, accumulate: false)
            columnSums(dAh, rows: TB, n: G, into: g + o.biasHH, accumulate: false)
            if k == 0 {
                // One-hot input: scatter rows of dA into the rows of the transposed W_ih gradient.
                let dE = ws.dEmbedding.pointer
                ws.dEmbedding.zero()
                batch.inputs.withUnsafeBufferPointer { x in
                    for r in 0..<TB {
                        let src = dA + r * G, dst = dE + Int(x[r]) * G
                        forEachChunk16(G) { j, w in store16(load16(dst + j, width: w) + load16(src + j, width: w), dst + j, width: w) }
                    }
                }
                transpose(dE, rows: V, cols: G, into: g + o.weightIH)
            } else {
                let input = ws.output(layer: k - 1, dropout: dropout)
                sgemm(transA: true, transB: false, m: G, n: H, k: TB, alpha: 1, a: dA, lda: G, b: input, ldb: H,
                      beta: 0, c: g + o.weightIH, ldc: H, threads: threads)
                let dBelow = ws.dH[(L - k) % 2].pointer
                sgemm(transA: false, transB: false, m: TB, n: H, k: G, alpha: 1, a: dA, lda: G, b: p + o.weightIH,
                      ldb: H, beta: 0, c: dBelow, ldc: H, threads: threads)
                if dropout { multiplyInPlace(dBelow, by: ws.masks[k - 1].pointer, count: TB * H) }
                dH = dBelow
            }
        }
    }
}
