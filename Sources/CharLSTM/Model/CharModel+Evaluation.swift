import CharLSTMKernels

extension CharModel {
    /// Loss of the batch from `state`, dropout off, leaving the final state in `state`: the forward-only
    /// pass, which keeps no activations (see ``InferenceWorkspace``).
    ///
    /// The same numbers, bit for bit, as ``forward(_:state:workspace:training:dropout:)`` without training:
    /// the same products row for row, and the loss summed row by row in the same order. O(T·B·L·G·H²), no
    /// allocation.
    public func evaluate(_ batch: TokenBatch, state: RecurrentState, workspace ws: InferenceWorkspace) -> ForwardResult {
        let V = config.vocabularySize
        var total = ForwardResult.zero
        batch.inputs.withUnsafeBufferPointer { inputs in
            batch.targets.withUnsafeBufferPointer { targets in
                runChunks(first: .tokens(inputs.baseAddress!), steps: batch.sequenceLength, batch: batch.batchSize,
                          state: state, workspace: ws) { firstRow, rows, logits in
                    for r in 0..<rows {
                        let (nats, correct) = softmaxCrossEntropy(logits: logits + r * V, targets: targets.baseAddress! + firstRow + r,
                                                                  rows: 1, vocabulary: V, gradientScale: nil)
                        total.add(ForwardResult(nats: nats, correct: correct, count: 1))
                    }
                }
            }
        }
        return total
    }

    /// The forward-only pass over `T` steps of `B` streams from `state` (dropout off), up to
    /// ``InferenceWorkspace/chunkLength`` steps at a time, leaving the final state in `state`. After each chunk,
    /// `body(firstRow, rows, outputs)` gets the decoder outputs [rows, V] of rows firstRow ..< firstRow + rows
    /// (time-major), valid until it returns. Shared by the character and the series model. O(T·B·L·G·H²), no
    /// allocation.
    func runChunks(first: FirstLayerInput, steps T: Int, batch B: Int, state: RecurrentState, workspace ws: InferenceWorkspace,
                   body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let H = config.hidden
        precondition(ws.batchSize == B && state.batch == B && ws.config.hasSameShape(as: config), "workspace does not fit the batch")
        prepareInputTables(embedding: ws.embedding, bias: ws.inputBias)
        let hidden = ws.hidden, logits = ws.logits
        var t0 = 0
        while t0 < T {
            let steps = min(ws.chunkLength, T - t0), rows = steps * B
            for k in 0..<config.layers {
                // The layer below's output (rows 1…) is read here, then overwritten by this layer's.
                writeInputPart(layer: k, rows: rows, first: first.advanced(byRows: t0 * B, width: config.vocabularySize),
                               input: k == 0 ? nil : hidden + B * H, embedding: ws.embedding,
                               bias: ws.inputBias(k), gates: ws.gates)
                hidden.update(from: state.h(layer: k), count: B * H)
                runRecurrence(layer: k, steps: steps, batch: B, gates: ws.gates, hidden: hidden,
                              cellState: StepRows(config.cell.hasCellState ? state.c(layer: k) : nil, stepStride: 0),
                              separatePart: StepRows(ws.separatePart, stepStride: 0),
                              recurrentPart: ws.recurrentPart, packed: ws.packedRecurrent)
                state.h(layer: k).update(from: hidden + rows * H, count: B * H)
            }
            writeLogits(input: hidden + B * H, rows: rows, into: logits)
            body(t0 * B, rows, logits)
            t0 += steps
        }
    }

    /// The streams ``evaluateStreams(_:batchSize:sequenceLength:workspace:)`` reads `count` characters as:
    /// `batchSize` streams of `sequenceLength` steps, fewer streams or one shorter stream when the text is
    /// short; nil below two characters.
    public static func evaluationShape(characters count: Int, batchSize: Int, sequenceLength: Int)
        -> (batchSize: Int, sequenceLength: Int)? {
        guard count >= 2 else { return nil }
        let B = min(batchSize, (count - 1) / sequenceLength)
        return B == 0 ? (1, count - 1) : (B, sequenceLength)
    }

    /// Loss of the model on `text` read as `batchSize` parallel streams from a zero state (dropout off),
    /// carrying the state from chunk to chunk: how validation is measured during training. Uses fewer
    /// streams, or shorter chunks, when the text is short (``evaluationShape(characters:batchSize:sequenceLength:)``).
    /// `workspace` is used when it fits that shape, else one is allocated. O(n·L·G·H²).
    public func evaluateStreams(_ text: [Int32], batchSize: Int, sequenceLength: Int,
                                workspace: InferenceWorkspace? = nil) -> ForwardResult {
        guard let (B, T) = Self.evaluationShape(characters: text.count, batchSize: batchSize, sequenceLength: sequenceLength),
              let streams = try? BatchStreams(text: text, batchSize: B, sequenceLength: T) else { return .zero }
        let ws = workspace.flatMap { $0.batchSize == B && $0.config.hasSameShape(as: config) ? $0 : nil }
            ?? InferenceWorkspace(config: config, batchSize: B)
        let state = RecurrentState(config: config, batch: B)
        var batch = TokenBatch(sequenceLength: T, batchSize: B)
        var total = ForwardResult.zero
        for p in 0..<streams.batchesPerEpoch {
            streams.fill(&batch, position: p)
            total.add(evaluate(batch, state: state, workspace: ws))
        }
        return total
    }

    /// Loss of the model on `text` in one continuous pass from a zero state, predicting characters 2…n
    /// (what `charlstm eval` reports). The loss is summed per `chunk` characters, then over chunks.
    /// O(n·L·G·H²), memory independent of n beyond the text.
    public func evaluateContinuous(_ text: [Int32], chunk: Int = 256) -> ForwardResult {
        var total = ForwardResult.zero
        guard text.count >= 2 else { return total }
        let state = RecurrentState(config: config, batch: 1)
        let ws = InferenceWorkspace(config: config, batchSize: 1, chunkLength: min(chunk, text.count - 1))
        var start = 0
        while start < text.count - 1 {
            let T = min(chunk, text.count - 1 - start)
            let batch = TokenBatch(sequenceLength: T, batchSize: 1, inputs: Array(text[start..<(start + T)]),
                                   targets: Array(text[(start + 1)...(start + T)]))
            total.add(evaluate(batch, state: state, workspace: ws))
            start += T
        }
        return total
    }
}
