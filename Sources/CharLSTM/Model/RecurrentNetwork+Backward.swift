import CharLSTMKernels

extension RecurrentNetwork {
    /// Backpropagation through time over the batch of the preceding training ``forward(_:state:workspace:training:dropout:)``:
    /// overwrites ``gradients`` with ∂(mean loss)/∂parameters, or adds it to them with `accumulate` (a batch
    /// taken in pieces of streams, see ``Workspace/streamsPerPass(config:sequenceLength:batchSize:)``). The
    /// gradient is cut at the carried-in state (truncated BPTT). Each layer's gates are overwritten by their
    /// gradients. O(T·B·L·G·H²), no allocation.
    func backward(_ batch: TokenBatch, workspace ws: Workspace, accumulate: Bool = false) {
        batch.inputs.withUnsafeBufferPointer { tokens in
            backpropagate(first: .tokens(tokens.baseAddress!), steps: batch.sequenceLength, batch: batch.batchSize,
                          workspace: ws, accumulate: accumulate)
        }
    }

    /// The backward pass of ``backward(_:workspace:)`` for any first-layer input, from ∂loss/∂outputs in the
    /// workspace's logits [T·B, V] (the character model's softmax gradient, or the series model's MSE one):
    /// writes every parameter's gradient into ``gradients``, or adds it there with `accumulate`.
    /// O(T·B·L·G·H²), no allocation.
    func backpropagate(first: FirstLayerInput, steps T: Int, batch B: Int, workspace ws: Workspace, accumulate: Bool = false) {
        let TB = T * B
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize, L = config.layers
        let p = parameters.pointer, g = gradients.pointer, cell = config.cell
        let dropout = config.dropout > 0, scale = 1 / (1 - config.dropout)
        let gradientBeta: Float = accumulate ? 1 : 0  // for the products that write a parameter's gradient

        // Decoder: dW = dZᵀ·Y, db = Σ dZ, dY = dZ·W; then through the top layer's dropout mask. dY goes
        // where the forward left the dropped-out Y, after dW has read it.
        let d = layout.decoder, dZ = ws.logits, dH = ws.hiddenGradient
        sgemm(transA: true, transB: false, m: V, n: H, k: TB, alpha: 1, a: dZ, lda: V, b: ws.layerOutput(dropout: dropout),
              ldb: H, beta: gradientBeta, c: g + d.weight, ldc: H, threads: threads)
        columnSums(dZ, rows: TB, n: V, into: g + d.bias, accumulate: accumulate, threads: threads)
        sgemm(transA: false, transB: false, m: TB, n: H, k: V, alpha: 1, a: dZ, lda: V, b: p + d.weight, ldb: H,
              beta: 0, c: dH, ldc: H, threads: threads)
        if dropout { applyDropoutMask(dH, mask: ws.dropoutMask(L - 1), scale: scale, into: dH, count: TB * H, threads: threads) }

        for k in stride(from: L - 1, through: 0, by: -1) {
            let o = layout.layer(k)
            let dA = ws.gates(k), hs = ws.hidden, cellState = ws.cellState(k), separatePart = ws.separatePart(k)
            // ws.hidden must hold this layer's h: the forward left the top layer's there; a lower layer's is
            // rebuilt from its gates, by the backward steps themselves where h_t follows from the step's
            // activations, else forward in time first.
            var rebuildInStep = false
            if k < L - 1 {
                hs.update(from: ws.initialHidden(k), count: B * H)
                switch cell {
                case .lstm, .rnn:
                    rebuildInStep = true
                case .gru:
                    forEachStreamGroup(batch: B) { b0, n, _ in
                        for t in 0..<T {
                            let row = t * B + b0
                            gruCellHidden(gates: dA + row * G, hPrev: hs + row * H, h: hs + (row + B) * H, batch: n, hidden: H)
                        }
                    }
                }
            }
            let dC: UnsafeMutablePointer<Float>? = cell.hasCellState ? ws.cellGradient : nil
            let recurrentPart = ws.recurrentPart
            dC?.update(repeating: 0, count: B * H)
            let recurrent = ws.packedRecurrent
            let split = packRecurrentWeights(layer: k, forward: false, batch: B, into: recurrent)
            // Through time, last step first. dH[t] is complete when step t is reached: the layer above and
            // step t+1 have both added into it. The gates of step t become their gradients.
            if case .columns(let parts) = split {
                ColumnSplitRecurrence(cell: cell, batch: B, hidden: H, parts: parts, packed: recurrent, gates: dA,
                                      hiddenStates: hs, cellState: cellState, cellStride: B * H,
                                      backward: .init(hidden: dH, cell: dC, rebuildsHidden: rebuildInStep))
                    .run(steps: stride(from: T - 1, through: 0, by: -1), threads: threads) { $0.backward($1) }
            } else {
                forEachStreamGroup(batch: B) { b0, n, gemmThreads in
                    for t in stride(from: T - 1, through: 0, by: -1) {
                        let row = t * B + b0
                        let dh = dH + row * H, dPrev: UnsafeMutablePointer<Float>? = t > 0 ? dH + (row - B) * H : nil
                        let h: UnsafeMutablePointer<Float>? = rebuildInStep ? hs + (row + B) * H : nil
                        switch cell {
                        case .lstm:
                            lstmCellBackward(dh: dh, dc: dC! + b0 * H, gates: dA + row * G, cPrev: cellState! + row * H,
                                             c: cellState! + (row + B) * H, h: h, batch: n, hidden: H)
                        case .rnn:
                            rnnCellBackward(dh: dh, gates: dA + row * G, h: h, batch: n, hidden: H)
                        case .gru:
                            gruCellBackward(dh: dh, gates: dA + row * G, nPart: separatePart! + row * H, hPrev: hs + row * H,
                                            recurrentGradient: recurrentPart! + b0 * G, dhPrev: dPrev, batch: n, hidden: H)
                        }
                        if let dPrev {
                            // dh_{t−1} += ∂(recurrent part)·W_hh: the gate gradients themselves when the cell sums
                            // its parts.
                            let dPart = cell.sumsInputAndRecurrentParts ? dA + row * G : recurrentPart! + b0 * G
                            sgemm(transA: false, m: n, alpha: 1, a: dPart, lda: G, packedB: recurrent,
                                  beta: 1, c: dPrev, ldc: H, threads: gemmThreads)
                        }
                    }
                }
            }
            // This layer's output as the layer above read it, for the layer above's input weights (whose
            // gradient waited for it, unless made with its recurrent weights' below): h, or its dropped-out copy
            // in dH, which this layer no longer needs.
            if k < L - 1 && !cell.fusesWeightGradients {
                if dropout {
                    applyDropoutMask(hs + B * H, mask: ws.dropoutMask(k), scale: scale, into: dH, count: TB * H, threads: threads)
                }
                sgemm(transA: true, transB: false, m: G, n: H, k: TB, alpha: 1, a: ws.gates(k + 1), lda: G,
                      b: ws.layerOutput(dropout: dropout), ldb: H, beta: gradientBeta, c: g + layout.layer(k + 1).weightIH, ldc: H,
                      threads: threads)
            }
            // Weight and bias gradients of the whole sequence at once. The recurrent part's gradient is the
            // gates' one, except for the separate recurrent gates (GRU: n), whose own is in separatePart.
            let separate = cell.separateRecurrentGates * H, shared = G - separate
            if k > 0 && cell.fusesWeightGradients {
                // Both weight gradients of the layer from one pass over dA, whose rows are the gradient of both
                // parts: [dW_hh | dW_ih] = dAᵀ·[h_{t−1} | x_t], x being the layer below's output as this layer
                // read it, rebuilt into dH (free until the layer below's gradient is written there).
                rebuildOutput(layer: k - 1, steps: T, batch: B, workspace: ws, into: dH)
                if dropout {
                    applyDropoutMask(dH, mask: ws.dropoutMask(k - 1), scale: scale, into: dH, count: TB * H, threads: threads)
                }
                sgemm(transA: true, m: G, n: H, k: TB, alpha: 1, a: dA, lda: G, b: (UnsafePointer(hs), UnsafePointer(dH)),
                      ldb: H, beta: gradientBeta, c: (g + o.weightHH, g + o.weightIH), ldc: H, threads: threads)
            } else {
                sgemm(transA: true, transB: false, m: shared, n: H, k: TB, alpha: 1, a: dA, lda: G, b: hs, ldb: H,
                      beta: gradientBeta, c: g + o.weightHH, ldc: H, threads: threads)
            }
            if k == 0, case .tokens(let x) = first {
                // One-hot input: the bias gradient, and the rows of dA scattered into the rows of the transposed
                // W_ih gradient (dE [V, G]), in one pass over dA.
                columnSums(dA, rows: TB, n: G, into: g + o.biasIH, accumulate: accumulate, scatteringRowsInto: ws.embeddingGradient,
                           tableRows: V, at: x, threads: threads)
                transpose(ws.embeddingGradient, rows: V, cols: G, into: g + o.weightIH, accumulate: accumulate)
            } else {
                columnSums(dA, rows: TB, n: G, into: g + o.biasIH, accumulate: accumulate, threads: threads)
            }
            (g + o.biasHH).update(from: g + o.biasIH, count: shared)  // equal before, so equal after accumulating
            if let separatePart {
                sgemm(transA: true, transB: false, m: separate, n: H, k: TB, alpha: 1, a: separatePart, lda: separate, b: hs,
                      ldb: H, beta: gradientBeta, c: g + o.weightHH + shared * H, ldc: H, threads: threads)
                columnSums(separatePart, rows: TB, n: separate, into: g + o.biasHH + shared, accumulate: accumulate,
                           threads: threads)
            }
            switch (k, first) {
            case (0, .values(let x)):
                // Real-valued input rows X [TB, F]: dW_ih = dAᵀ·X.
                sgemm(transA: true, transB: false, m: G, n: V, k: TB, alpha: 1, a: dA, lda: G, b: x, ldb: V,
                      beta: gradientBeta, c: g + o.weightIH, ldc: V, threads: threads)
            case (0, .tokens):
                break  // one-hot input: its weights' gradient is made above, with the bias's
            default:
                // dH of the layer below; the gradient of this layer's input weights waits for the layer below's
                // h, which its backward rebuilds.
                sgemm(transA: false, transB: false, m: TB, n: H, k: G, alpha: 1, a: dA, lda: G, b: p + o.weightIH,
                      ldb: H, beta: 0, c: dH, ldc: H, threads: threads)
                if dropout { applyDropoutMask(dH, mask: ws.dropoutMask(k - 1), scale: scale, into: dH, count: TB * H, threads: threads) }
            }
        }
    }

    /// Layer `j`'s output h_1…h_T [T·B, H] as its forward computed it, rebuilt bit for bit from what a training
    /// pass keeps of it into `h`: an LSTM's from its activations and c_t, an RNN's are its activations, a GRU's
    /// follow forward in time from the carried-in h_0. Before layer `j`'s backward (which overwrites its gates).
    /// O(T·B·H).
    func rebuildOutput(layer j: Int, steps T: Int, batch B: Int, workspace ws: Workspace, into h: UnsafeMutablePointer<Float>) {
        let H = config.hidden, G = config.cell.gateCount * H, rows = T * B, gates = ws.gates(j)
        switch config.cell {
        case .lstm:
            let c = ws.cellState(j)!
            Parallel.forEachRange(rows, parts: rowOpsParts(elements: rows * H, threads: threads, most: rows)) { range in
                let r = range.lowerBound
                lstmCellHidden(gates: gates + r * G, c: c + (r + B) * H, h: h + r * H, batch: range.count, hidden: H)
            }
        case .rnn:
            h.update(from: gates, count: rows * H)
        case .gru:
            for t in 0..<T {
                let hPrev = t == 0 ? UnsafePointer(ws.initialHidden(j)) : UnsafePointer(h + (t - 1) * B * H)
                gruCellHidden(gates: gates + t * B * G, hPrev: hPrev, h: h + t * B * H, batch: B, hidden: H)
            }
        }
    }
}
