import CharLSTMKernels

extension RecurrentNetwork {
    /// Result of a forward pass: summed loss in nats over the T·B predictions, and how many ranked the target first.
    struct ForwardResult: Sendable {
        var nats: Double
        var correct: Int
        var count: Int
        var meanNats: Double { nats / Double(max(count, 1)) }
        var bitsPerCharacter: Double { meanNats / 0.693_147_180_559_945_3 }

        /// Nothing measured yet.
        static let zero = ForwardResult(nats: 0, correct: 0, count: 0)

        /// Adds `other`'s counts to these (nats summed in call order).
        mutating func add(_ other: ForwardResult) {
            nats += other.nats
            correct += other.correct
            count += other.count
        }
    }

    /// Runs the batch forward from `state`, keeping every activation the backward pass needs in `ws`, leaves
    /// the final state in `state`, and returns the loss.
    ///
    /// With `training`, dropout masks are drawn from `rng` and applied, and the logits are replaced by
    /// ∂(mean loss)/∂logits for ``backward(_:workspace:accumulate:)``, the mean taken over `gradientRows`
    /// predictions (default: this batch's T·B; a batch taken in pieces of streams passes the whole batch's).
    /// Without it, this evaluates (dropout off); ``evaluate(_:state:workspace:)`` does the same with far less
    /// memory. O(T·B·L·G·H²), no allocation.
    @discardableResult
    func forward(_ batch: TokenBatch, state: RecurrentState, workspace ws: Workspace,
                        training: Bool, dropout rng: inout RandomGenerator, gradientRows: Int? = nil) -> ForwardResult {
        let T = batch.sequenceLength, B = batch.batchSize, TB = T * B, V = config.vocabularySize
        precondition(ws.sequenceLength == T && ws.batchSize == B && state.batch == B, "workspace does not fit the batch")
        let applyDropout = training && config.dropout > 0
        batch.inputs.withUnsafeBufferPointer { tokens in
            runLayers(first: .tokens(tokens.baseAddress!), steps: T, batch: B, state: state, workspace: ws,
                      applyDropout: applyDropout, rng: &rng)
        }
        // Decoder and loss.
        let logits = ws.logits
        writeLogits(input: ws.layerOutput(dropout: applyDropout), rows: TB, into: logits)
        let (nats, correct) = batch.targets.withUnsafeBufferPointer { y in
            softmaxCrossEntropy(logits: logits, targets: y.baseAddress!, rows: TB, vocabulary: V,
                                gradientScale: training ? 1 / Float(gradientRows ?? TB) : nil, threads: threads)
        }
        return ForwardResult(nats: nats, correct: correct, count: TB)
    }

    /// The recurrent layers of a training-shaped pass over `T` steps of `B` streams from `state`: every
    /// activation the backward needs stays in `ws`, the final state goes to `state`, and the top layer's
    /// output (dropped out when `applyDropout`) is left where ``Workspace/layerOutput(dropout:)`` finds it.
    /// Shared by the character model and the series model, which differ only in `first` and the head's loss.
    /// O(T·B·L·G·H²), no allocation.
    func runLayers(first: FirstLayerInput, steps T: Int, batch B: Int, state: RecurrentState, workspace ws: Workspace,
                   applyDropout: Bool, rng: inout RandomGenerator) {
        let H = config.hidden, TB = T * B, hidden = ws.hidden
        prepareInputTables(embedding: ws.embedding, bias: ws.inputBias)
        for k in 0..<config.layers {
            let cellState = ws.cellState(k)
            // The layer below's output is read here; then this layer's h takes its place.
            writeInputPart(layer: k, rows: TB, first: first, input: k == 0 ? nil : ws.layerOutput(dropout: applyDropout),
                           embedding: ws.embedding, bias: ws.inputBias(k), gates: ws.gates(k))
            // Carried-in state, the recurrence keeping every step, carried-out state.
            hidden.update(from: state.h(layer: k), count: B * H)
            ws.initialHidden(k).update(from: state.h(layer: k), count: B * H)
            cellState?.update(from: state.c(layer: k), count: B * H)
            runRecurrence(layer: k, steps: T, batch: B, gates: ws.gates(k), hidden: hidden,
                          cellState: StepRows(cellState, stepStride: B * H),
                          separatePart: StepRows(ws.separatePart(k), stepStride: B * config.cell.separateRecurrentGates * H),
                          recurrentPart: ws.recurrentPart, packed: ws.packedRecurrent)
            state.h(layer: k).update(from: hidden + TB * H, count: B * H)
            if let cellState { state.c(layer: k).update(from: cellState + TB * H, count: B * H) }
            // Inverted dropout on the layer's output: the mask kept as bits, the dropped-out copy where
            // the layer above reads it.
            if applyDropout {
                let keep = 1 - config.dropout
                Self.drawDropoutMask(ws.dropoutMask(k), count: TB * H, keep: keep, rng: &rng, threads: threads)
                applyDropoutMask(hidden + B * H, mask: ws.dropoutMask(k), scale: 1 / keep,
                                 into: ws.layerOutput(dropout: true), count: TB * H, threads: threads)
            }
        }
    }

    // MARK: Pieces shared by the training forward and the forward-only evaluation

    /// Fills the input-side tables of a pass: per layer the bias added to x·W_ihᵀ (b_ih, plus b_hh when the
    /// cell sums its parts), and for the one-hot first layer W_ih0ᵀ with that bias folded in [V, G], which
    /// makes its input product a row lookup. O(L·G + V·G).
    func prepareInputTables(embedding: UnsafeMutablePointer<Float>, bias: (Int) -> UnsafeMutablePointer<Float>) {
        let G = config.cell.gateCount * config.hidden, V = config.vocabularySize, p = parameters.pointer
        for k in 0..<config.layers {
            let o = layout.layer(k), b = bias(k)
            b.update(from: p + o.biasIH, count: G)
            if config.cell.sumsInputAndRecurrentParts {
                forEachChunk16(G) { j, w in store16(load16(b + j, width: w) + load16(p + o.biasHH + j, width: w), b + j, width: w) }
            }
        }
        let b0 = bias(0)
        transpose(p + layout.layer(0).weightIH, rows: G, cols: V, into: embedding)
        for v in 0..<V {
            let row = embedding + v * G
            forEachChunk16(G) { j, w in store16(load16(row + j, width: w) + load16(b0 + j, width: w), row + j, width: w) }
        }
    }

    /// gates[r] = x_r·W_ihᵀ + bias for `rows` rows: for the first layer the embedding row of token r (one-hot
    /// input) or the product with the value rows [rows, F] (a series), after it one product with the layer
    /// below's output `input` [rows, H]. O(rows·G·H), O(rows·G·F) for the first layer of a series.
    func writeInputPart(layer k: Int, rows: Int, first: FirstLayerInput, input: UnsafePointer<Float>?,
                        embedding: UnsafePointer<Float>, bias: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>) {
        let H = config.hidden, G = config.cell.gateCount * H
        switch (k, first) {
        case (0, .tokens(let tokens)):
            Parallel.forEachRange(rows, parts: rowOpsParts(elements: rows * G, threads: threads, most: rows)) { range in
                for r in range {
                    (gates + r * G).update(from: embedding + Int(tokens[r]) * G, count: G)
                }
            }
        case (0, .values(let x)):
            let F = config.vocabularySize
            broadcastRow(bias, to: gates, rows: rows, n: G, threads: threads)
            sgemm(transA: false, transB: true, m: rows, n: G, k: F, alpha: 1, a: x, lda: F,
                  b: parameters.pointer + layout.layer(0).weightIH, ldb: F, beta: 1, c: gates, ldc: G, threads: threads)
        default:
            broadcastRow(bias, to: gates, rows: rows, n: G, threads: threads)
            sgemm(transA: false, transB: true, m: rows, n: G, k: H, alpha: 1, a: input!, lda: H,
                  b: parameters.pointer + layout.layer(k).weightIH, ldb: H, beta: 1, c: gates, ldc: G, threads: threads)
        }
    }

    /// Per-step rows of a buffer the recurrence writes: step t's [B, ·] block starts at base + t·stepStride.
    /// A stride of 0 is one block updated in place, when the steps need not be kept.
    struct StepRows {
        let base: UnsafeMutablePointer<Float>?
        let stepStride: Int
        init(_ base: UnsafeMutablePointer<Float>?, stepStride: Int) {
            self.base = base
            self.stepStride = stepStride
        }
        func step(_ t: Int) -> UnsafeMutablePointer<Float> { base! + t * stepStride }
    }

    /// The recurrence of layer `k` over `T` steps of `B` streams. On entry `gates` [T·B, G] holds the input
    /// part and `hidden` row block 0 the carried-in h_0, `cellState` step 0 the carried-in c_0 (cells with a
    /// cell state). On return `gates` holds the activations, `hidden` h_1…h_T, `cellState` step t c_t, and
    /// `separatePart` step t the recurrent part of n (GRU). `recurrentPart` [B, G] is scratch (GRU). `packed` gets
    /// W_hhᵀ packed here, unless `split` says it already holds it, packed for that split (``packRecurrentWeights``).
    /// O(T·B·G·H).
    func runRecurrence(layer k: Int, steps T: Int, batch B: Int, gates: UnsafeMutablePointer<Float>,
                       hidden: UnsafeMutablePointer<Float>, cellState: StepRows, separatePart: StepRows,
                       recurrentPart: UnsafeMutablePointer<Float>?, packed: SgemmPackedB, split: RecurrenceSplit? = nil) {
        let H = config.hidden, G = config.cell.gateCount * H, cell = config.cell
        let p = parameters.pointer, o = layout.layer(k)
        let split = split ?? packRecurrentWeights(layer: k, forward: true, batch: B, into: packed)
        if case .columns(let parts) = split {
            ColumnSplitRecurrence(cell: cell, batch: B, hidden: H, parts: parts, packed: packed, gates: gates,
                                  hiddenStates: hidden, cellState: cellState.base, cellStride: cellState.stepStride)
                .run(steps: 0..<T, threads: threads) { $0.forward($1) }
            return
        }
        // The streams are independent through time, so each thread runs the whole recurrence for its own
        // rows b0 ..< b0 + n: no synchronisation per time step.
        forEachStreamGroup(batch: B) { b0, n, gemmThreads in
            for t in 0..<T {
                let row = t * B + b0
                let hPrev = hidden + row * H, h = hPrev + B * H, a = gates + row * G
                // h_{t−1}·W_hhᵀ, added to the gates when the cell sums its parts, else kept apart with b_hh.
                let part = cell.sumsInputAndRecurrentParts ? a : recurrentPart! + b0 * G
                if !cell.sumsInputAndRecurrentParts { broadcastRow(p + o.biasHH, to: part, rows: n, n: G) }
                sgemm(transA: false, m: n, alpha: 1, a: hPrev, lda: H, packedB: packed, beta: 1, c: part, ldc: G,
                      threads: gemmThreads)
                switch cell {
                case .lstm:
                    lstmCellForward(gates: a, cPrev: cellState.step(t) + b0 * H, c: cellState.step(t + 1) + b0 * H,
                                    h: h, batch: n, hidden: H)
                case .rnn:
                    rnnCellForward(gates: a, h: h, batch: n, hidden: H)
                case .gru:
                    gruCellForward(gates: a, recurrentPart: part, nPart: separatePart.step(t) + b0 * H, hPrev: hPrev, h: h,
                                   batch: n, hidden: H)
                }
            }
        }
    }

    /// logits = input·W_decᵀ + b_dec for `rows` rows: [rows, H] → [rows, V]. O(rows·V·H).
    func writeLogits(input: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>) {
        let H = config.hidden, V = config.vocabularySize, d = layout.decoder, p = parameters.pointer
        broadcastRow(p + d.bias, to: logits, rows: rows, n: V, threads: threads)
        sgemm(transA: false, transB: true, m: rows, n: V, k: H, alpha: 1, a: input, lda: H, b: p + d.weight, ldb: H,
              beta: 1, c: logits, ldc: V, threads: threads)
    }

    /// Mask elements drawn from one generator: a mask is cut into blocks of this many (4,096 words), block b
    /// drawn from stream b (``RandomGenerator/init(seed:stream:)``) of one seed taken from the run's generator,
    /// so that threads draw blocks at once and the mask is the same on any number of them.
    static let dropoutBlock = 1 << 16

    /// Draws a dropout mask of `count` bits, each kept (1) with probability `keep` ∈ (0, 1]: one draw from `rng`
    /// (the seed), then each block of ``dropoutBlock`` elements from its own stream, two elements a 64-bit draw
    /// (its bits 40–63 for the even one, 8–31 for the odd one: a uniform 24-bit u, kept when u·2⁻²⁴ < keep), on
    /// up to `threads` threads. O(count).
    static func drawDropoutMask(_ words: UnsafeMutablePointer<UInt16>, count: Int, keep: Float, rng: inout RandomGenerator,
                                threads: Int = 1) {
        precondition(keep > 0 && keep <= 1, "keep is a probability above 0")
        let seed = rng.next()
        // u·2⁻²⁴ < keep ⇔ u < keep·2²⁴ (exact in Float) ⇔ u < ⌈keep·2²⁴⌉ for an integer u.
        let threshold = UInt64((keep * 16_777_216).rounded(.up))
        let blocks = (count + dropoutBlock - 1) / dropoutBlock
        Parallel.forEachRange(blocks, parts: rowOpsParts(elements: count, threads: threads, most: blocks)) { range in
            for block in range {
                var generator = RandomGenerator(seed: seed, stream: block)
                let start = block * dropoutBlock, n = min(count - start, dropoutBlock)
                let out = words + start / 16
                for w in 0..<((n + 15) / 16) {
                    var bits: UInt16 = 0
                    for pair in 0..<8 {
                        let x = generator.next()
                        let even: UInt16 = x >> 40 < threshold ? 1 : 0  // no branch on the random outcome
                        let odd: UInt16 = (x >> 8) & 0xFF_FFFF < threshold ? 1 : 0
                        bits |= (even | odd << 1) << UInt16(2 * pair)
                    }
                    let valid = min(16, n - 16 * w)  // the last word's bits past `count` stay 0
                    out[w] = valid == 16 ? bits : bits & UInt16((1 << valid) - 1)
                }
            }
        }
    }

    /// Runs `body(firstStream, streams, gemmThreads)` over the batch's streams: one group using every
    /// thread inside its products when the batch is small, else one group per thread, each single-threaded
    /// (what ``RecurrenceSplit`` does with a GRU's recurrence, and with the rebuild of its hidden states).
    func forEachStreamGroup(batch B: Int, _ body: (Int, Int, Int) -> Void) {
        let groups = B >= 8 * threads ? threads : 1
        if groups == 1 { return body(0, B, threads) }
        Parallel.forEachDisjoint(groups, threads: groups) { g in
            let b0 = B * g / groups, b1 = B * (g + 1) / groups
            body(b0, b1 - b0, 1)
        }
    }
}

/// What a model's first recurrent layer reads, time-major (row r = t·B + b): token indices, one-hot over the
/// vocabulary (a character model), or rows of F = ``ModelConfig/vocabularySize`` real values (a series model).
enum FirstLayerInput {
    case tokens(UnsafePointer<Int32>)
    case values(UnsafePointer<Float>)

    /// The same input from row `r` on, given `width` values per row for `.values`.
    func advanced(byRows r: Int, width: Int) -> FirstLayerInput {
        switch self {
        case .tokens(let p): .tokens(p + r)
        case .values(let p): .values(p + r * width)
        }
    }
}
