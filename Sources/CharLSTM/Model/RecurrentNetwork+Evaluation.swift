import CharLSTMKernels

extension RecurrentNetwork {
    /// Loss of the batch from `state`, dropout off, leaving the final state in `state`: the forward-only
    /// pass, which keeps no activations (see ``InferenceWorkspace``).
    ///
    /// The same numbers, bit for bit, as ``forward(_:state:workspace:training:dropout:)`` without training:
    /// the same products row for row, and the loss summed row by row in the same order. O(T·B·L·G·H²), no
    /// allocation.
    ///
    /// An `observer` sees each layer's activations and each row's logits and loss as they are made (see
    /// ``ForwardObserver``); the numbers are the same with or without one. `prepared`: the workspace's
    /// ``prepareEvaluation(_:)`` for the weights as they are (made here when nil). When `shouldStop` says so between
    /// chunks, the pass ends early, with the loss of the rows done: the caller, who asked, discards it.
    func evaluate(_ batch: TokenBatch, state: RecurrentState, workspace ws: InferenceWorkspace,
                  observer: (any ForwardObserver)? = nil, prepared: PreparedEvaluation? = nil,
                  shouldStop: () -> Bool = { false }) -> ForwardResult {
        let V = config.vocabularySize
        var total = ForwardResult.zero
        batch.inputs.withUnsafeBufferPointer { inputs in
            batch.targets.withUnsafeBufferPointer { targets in
                runChunks(first: .tokens(inputs.baseAddress!), steps: batch.sequenceLength, batch: batch.batchSize,
                          state: state, workspace: ws, prepared: prepared, observer: observer,
                          shouldStop: shouldStop) { firstRow, rows, logits in
                    for r in 0..<rows {
                        let (nats, correct) = softmaxCrossEntropy(logits: logits + r * V, targets: targets.baseAddress! + firstRow + r,
                                                                  rows: 1, vocabulary: V, gradientScale: nil)
                        total.add(ForwardResult(nats: nats, correct: correct, count: 1))
                        observer?.rowDidPredict(logits: logits + r * V, target: targets[firstRow + r], nats: nats, correct: correct == 1)
                    }
                }
            }
        }
        return total
    }

    /// The forward-only pass over `T` steps of `B` streams from `state` (dropout off), up to
    /// ``InferenceWorkspace/chunkLength`` steps at a time, leaving the final state in `state`. After each chunk,
    /// `body(firstRow, rows, outputs)` gets the decoder outputs [rows, V] of rows firstRow ..< firstRow + rows
    /// (time-major), valid until it returns; `observer` sees each layer's activations. `prepared` is the
    /// workspace's ``prepareEvaluation(_:)`` for the weights as they are (made here, once for all the chunks, when
    /// nil). Before each chunk after the first, `shouldStop` may end the pass (the state then is that of the rows
    /// done). Shared by the character and the series model. O(T·B·L·G·H²), no allocation beyond a preparation.
    func runChunks(first: FirstLayerInput, steps T: Int, batch B: Int, state: RecurrentState, workspace ws: InferenceWorkspace,
                   prepared: PreparedEvaluation? = nil, observer: (any ForwardObserver)? = nil,
                   shouldStop: () -> Bool = { false }, body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let H = config.hidden
        precondition(ws.batchSize == B && state.batch == B && ws.config.hasSameShape(as: config), "workspace does not fit the batch")
        let prepared = prepared ?? prepareEvaluation(ws)
        precondition(prepared.workspace === ws, "prepared for another workspace")
        let hidden = ws.hidden, logits = ws.logits
        var t0 = 0
        while t0 < T {
            if t0 > 0 && shouldStop() { return }
            let steps = min(ws.chunkLength, T - t0), rows = steps * B
            for k in 0..<config.layers {
                // The layer below's output (rows 1…) is read here, then overwritten by this layer's.
                writeInputPart(layer: k, rows: rows, first: first.advanced(byRows: t0 * B, width: config.vocabularySize),
                               input: k == 0 ? nil : hidden + B * H, embedding: ws.embedding,
                               bias: ws.inputBias(k), gates: ws.gates)
                hidden.update(from: state.h(layer: k), count: B * H)
                // c is updated in place, or kept for every step when the workspace keeps cell states.
                let keptC = ws.cellStates
                keptC?.update(from: state.c(layer: k), count: B * H)
                let cellState = keptC.map { StepRows($0, stepStride: B * H) }
                    ?? StepRows(config.cell.hasCellState ? state.c(layer: k) : nil, stepStride: 0)
                runRecurrence(layer: k, steps: steps, batch: B, gates: ws.gates, hidden: hidden,
                              cellState: cellState, separatePart: StepRows(ws.separatePart, stepStride: 0),
                              recurrentPart: ws.recurrentPart, packed: ws.packedRecurrent(k), split: prepared.splits[k])
                state.h(layer: k).update(from: hidden + rows * H, count: B * H)
                if let keptC { state.c(layer: k).update(from: keptC + rows * H, count: B * H) }
                observer?.layerDidRun(k, rows: rows, gates: ws.gates, hidden: hidden + B * H,
                                      cellStates: keptC.map { UnsafePointer($0 + B * H) })
            }
            writeLogits(input: hidden + B * H, rows: rows, into: logits)
            body(t0 * B, rows, logits)
            t0 += steps
        }
    }

    /// Makes what a forward-only pass in `ws` reads besides the weights from the weights as they are: the input
    /// tables, and every layer's W_hhᵀ packed for the per-step products of ``InferenceWorkspace/batchSize``
    /// streams. Once per pass (an evaluation, a validation), not per chunk or batch. O(L·G·H + V·G).
    func prepareEvaluation(_ ws: InferenceWorkspace) -> PreparedEvaluation {
        prepareInputTables(embedding: ws.embedding, bias: ws.inputBias)
        return PreparedEvaluation(workspace: ws, splits: (0..<config.layers).map { k in
            packRecurrentWeights(layer: k, forward: true, batch: ws.batchSize, into: ws.packedRecurrent(k))
        })
    }

    /// The streams ``evaluateStreams(_:batchSize:sequenceLength:workspace:shouldStop:)`` reads `count` characters as:
    /// `batchSize` streams of `sequenceLength` steps, fewer streams or one shorter stream when the text is
    /// short; nil below two characters.
    static func evaluationShape(characters count: Int, batchSize: Int, sequenceLength: Int)
        -> (batchSize: Int, sequenceLength: Int)? {
        guard count >= 2 else { return nil }
        let B = min(batchSize, (count - 1) / sequenceLength)
        return B == 0 ? (1, count - 1) : (B, sequenceLength)
    }

    /// Loss of the model on `text` read as `batchSize` parallel streams from a zero state (dropout off),
    /// carrying the state from chunk to chunk: how validation is measured during training. Uses fewer
    /// streams, or shorter chunks, when the text is short (``evaluationShape(characters:batchSize:sequenceLength:)``).
    /// `workspace` is used when it fits that shape, else one is allocated. `shouldStop` is asked between chunks
    /// and batches: nil when it said to stop (within one chunk of ``InferenceWorkspace/chunkLength`` steps,
    /// whatever the sizes). Throws `.io` when the file behind the text changed since it was scanned. O(n·L·G·H²).
    func evaluateStreams(_ text: TextSlice, batchSize: Int, sequenceLength: Int, workspace: InferenceWorkspace? = nil,
                         shouldStop: () -> Bool = { false }) throws(CharLSTMError) -> ForwardResult? {
        guard let (B, T) = Self.evaluationShape(characters: text.count, batchSize: batchSize, sequenceLength: sequenceLength),
              let streams = try? BatchStreams(text: text, batchSize: B, sequenceLength: T) else { return .zero }
        let ws = workspace.flatMap { $0.batchSize == B && $0.config.hasSameShape(as: config) ? $0 : nil }
            ?? InferenceWorkspace(config: config, batchSize: B)
        let state = RecurrentState(config: config, batch: B)
        var batch = TokenBatch(sequenceLength: T, batchSize: B)
        var total = ForwardResult.zero
        let prepared = prepareEvaluation(ws)
        for p in 0..<streams.batchesPerEpoch {
            if shouldStop() { return nil }
            try streams.fill(&batch, position: p)
            total.add(evaluate(batch, state: state, workspace: ws, prepared: prepared, shouldStop: shouldStop))
        }
        return shouldStop() ? nil : total
    }

    /// Loss of the model on `text` in one continuous pass from a zero state, predicting characters 2…n
    /// (what `charlstm eval` reports). The loss is summed per `chunk` characters, then over chunks.
    /// O(n·L·G·H²), memory independent of n beyond the text.
    ///
    /// An `observer` sees every step's activations, logits and loss in text order (see ``ForwardObserver``);
    /// the result is the same, bit for bit.
    func evaluateContinuous(_ text: [Int32], chunk: Int = 256, observer: (any ForwardObserver)? = nil) -> ForwardResult {
        do {
            return try evaluateContinuous(TokenText(tokens: text).whole, chunk: chunk, observer: observer)
        } catch {
            preconditionFailure("tokens in memory are always read: \(error)")
        }
    }

    /// ``evaluateContinuous(_:chunk:observer:)`` of a text read as it goes (a file is streamed through a 64 KiB
    /// buffer: memory independent of n). `progress` is called after each chunk with the characters predicted so far.
    /// Throws `.io` when the file behind the text changed since it was scanned. O(n·L·G·H²).
    func evaluateContinuous(_ text: TextSlice, chunk: Int = 256, observer: (any ForwardObserver)? = nil,
                                   progress: ((Int) -> Void)? = nil) throws(CharLSTMError) -> ForwardResult {
        var total = ForwardResult.zero
        guard text.count >= 2 else { return total }
        let n = text.count - 1, length = min(chunk, n)
        let state = RecurrentState(config: config, batch: 1)
        let ws = InferenceWorkspace(config: config, batchSize: 1, chunkLength: length,
                                    keepsCellStates: observer != nil)
        let reader = TokenReader(text: text.text)
        try reader.seek(to: text.start)
        var row = [Int32](repeating: 0, count: length + 1)
        var batch = TokenBatch(sequenceLength: length, batchSize: 1)
        let prepared = prepareEvaluation(ws)
        try row.withUnsafeMutableBufferPointer { (r) throws(CharLSTMError) in
            try reader.read(1, into: r.baseAddress!)
            var start = 0
            while start < n {
                let T = min(length, n - start)
                try reader.read(T, into: r.baseAddress! + 1)
                if T < batch.sequenceLength { batch = TokenBatch(sequenceLength: T, batchSize: 1) }
                for t in 0..<T {
                    batch.inputs[t] = r[t]
                    batch.targets[t] = r[t + 1]
                }
                total.add(evaluate(batch, state: state, workspace: ws, observer: observer, prepared: prepared))
                r[0] = r[T]
                start += T
                progress?(start)
            }
        }
        // A file rewritten in place while it was read would have given numbers of no text in particular.
        try text.text.checkUnchanged()
        return total
    }
}

/// What ``RecurrentNetwork/prepareEvaluation(_:)`` made in `workspace` (the input tables, each layer's packed W_hhᵀ)
/// and the split of each layer's recurrence: valid for the weights it was made from, until they change.
struct PreparedEvaluation {
    let workspace: InferenceWorkspace
    let splits: [RecurrenceSplit]
}

/// Sees a forward-only pass (``RecurrentNetwork/evaluate(_:state:workspace:observer:prepared:shouldStop:)``) as it
/// runs, for tools that look inside a model (`charlstm inspect`). Called on the evaluating thread, chunk by chunk;
/// the pointers are valid only during the call. Rows are time-major: row r of a chunk is step r / B of stream r % B.
protocol ForwardObserver: AnyObject {
    /// Layer `k` has run a chunk of `rows` rows: `gates` [rows, G] holds the gate activations (after their
    /// sigmoid or tanh, in the order of ``CellKind/gateBlocks``), `hidden` [rows, H] each row's h, and
    /// `cellStates` [rows, H] each row's c (cells with a cell state, when the workspace keeps them).
    func layerDidRun(_ k: Int, rows: Int, gates: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
                     cellStates: UnsafePointer<Float>?)
    /// The next row's prediction: its decoder `logits` [V], the `target` character, the loss in nats and
    /// whether the target ranked first. Called after every ``layerDidRun(_:rows:gates:hidden:cellStates:)`` of
    /// its chunk.
    func rowDidPredict(logits: UnsafePointer<Float>, target: Int32, nats: Double, correct: Bool)
}
