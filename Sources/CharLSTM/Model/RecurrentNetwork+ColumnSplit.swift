import CharLSTMKernels

/// One layer's recurrence cut by columns (``RecurrenceSplit/columns(_:)``): each time step is one job of a
/// ``ChunkTeam`` in two phases of `parts` chunks. Forward: the product h_{t−1}·W_hhᵀ added into the gates, cut
/// into column ranges of the 4H gate columns, then the cell update, cut into stream ranges. Backward (steps in
/// reverse): the cell backward by stream ranges, then dh_{t−1} += dG_t·W_hh by column ranges of H.
/// Holds raw pointers into the workspace; lives for one call of the recurrence.
/// @unchecked Sendable: the team's threads write disjoint column and stream ranges of one step; `t` is set between jobs.
final class ColumnSplitRecurrence: @unchecked Sendable {
    let cell: CellKind, B: Int, H: Int, G: Int
    let packed: SgemmPackedB
    let columns: [Range<Int>], streams: [Range<Int>]
    /// [T·B, G]: the gates (their gradients in the backward).
    let gates: UnsafeMutablePointer<Float>
    /// [(T + 1)·B, H]: h_0…h_T.
    let hidden: UnsafeMutablePointer<Float>
    /// c_t (LSTM) at cellState + t·cellStride, [B, H] each; nil for cells without a cell state. A stride of 0 is
    /// one block updated in place (a forward that keeps no steps).
    let cellState: UnsafeMutablePointer<Float>?, cellStride: Int
    /// What a backward recurrence adds: [T·B, H] ∂L/∂h_t, [B, H] ∂L/∂c carried back (LSTM; nil without a cell
    /// state), and whether the step rebuilds h_t into the hidden states (a lower layer's, from its activations).
    struct Gradients {
        let hidden: UnsafeMutablePointer<Float>
        let cell: UnsafeMutablePointer<Float>?
        let rebuildsHidden: Bool
    }
    /// Given for a backward recurrence, nil for a forward one.
    let gradients: Gradients?
    /// The step the team's next job is.
    var t = 0
    /// Whether another step follows it, whose product the cell phase packs its rows for.
    var hasNextStep = false

    init(cell: CellKind, batch B: Int, hidden H: Int, parts: Int, packed: SgemmPackedB, gates: UnsafeMutablePointer<Float>,
         hiddenStates: UnsafeMutablePointer<Float>, cellState: UnsafeMutablePointer<Float>?, cellStride: Int,
         backward gradients: Gradients? = nil) {
        self.cell = cell
        self.B = B
        self.H = H
        G = cell.gateCount * H
        self.packed = packed
        columns = packed.columnRanges(parts: parts)
        // Stream ranges on whole slivers of the product's A, so that each thread packs the rows it computed.
        streams = packed.aRowRanges(m: B, parts: parts)
        packed.prepareA(rows: B)
        self.gates = gates
        hidden = hiddenStates
        self.cellState = cellState
        self.cellStride = cellStride
        self.gradients = gradients
    }

    /// Runs `order`'s steps, each one job of `work(chunk)` on a team of `threads`. A forward packs h of its first
    /// step first; after that every step's cell phase but the last packs the rows it computed for the next product.
    func run(steps order: some Sequence<Int>, threads: Int, work: @escaping @Sendable (ColumnSplitRecurrence, Int) -> Void) {
        var steps = order.makeIterator()
        var next = steps.next()
        guard let first = next else { return }
        if gradients == nil { packed.packA(rows: 0..<B, a: hidden + first * B * H, lda: H) }
        let parts = columns.count
        // Each thread keeps its column range (its part of W_hh, in its own cache) and its streams step after step.
        let team = ChunkTeam(threads: threads, phases: [parts, parts], affinity: true) { [self] chunk in work(self, chunk) }
        while let step = next {
            next = steps.next()
            t = step
            hasNextStep = next != nil
            team.run()
        }
    }

    /// Chunk `chunk` of forward step t: a column range of the product, then a stream range of the cell update.
    func forward(_ chunk: Int) {
        let parts = columns.count, rows = t * B
        if chunk < parts {
            // h_{t−1} · W_hhᵀ, with h_{t−1} packed by the cell phase before (or by `run`).
            sgemm(packedAOf: packed, m: B, columns: columns[chunk], beta: 1, c: gates + rows * G, ldc: G)
            return
        }
        let s = streams[chunk - parts], row = rows + s.lowerBound, n = s.count
        guard n > 0 else { return }
        switch cell {
        case .lstm:
            let c = cellState! + s.lowerBound * H
            lstmCellForward(gates: gates + row * G, cPrev: c + t * cellStride, c: c + (t + 1) * cellStride,
                            h: hidden + (row + B) * H, batch: n, hidden: H)
        case .rnn:
            rnnCellForward(gates: gates + row * G, h: hidden + (row + B) * H, batch: n, hidden: H)
        case .gru:
            preconditionFailure("a GRU's recurrence is split by streams")
        }
        if hasNextStep { packed.packA(rows: s, a: hidden + (rows + B) * H, lda: H) }
    }

    /// Chunk `chunk` of backward step t: a stream range of the cell backward, then a column range of
    /// dh_{t−1} += dG_t·W_hh (none at t = 0).
    func backward(_ chunk: Int) {
        let parts = streams.count, rows = t * B, gradients = gradients!, dH = gradients.hidden
        if chunk < parts {
            let s = streams[chunk], row = rows + s.lowerBound, n = s.count
            guard n > 0 else { return }
            let h: UnsafeMutablePointer<Float>? = gradients.rebuildsHidden ? hidden + (row + B) * H : nil
            switch cell {
            case .lstm:
                let c = cellState! + s.lowerBound * H
                lstmCellBackward(dh: dH + row * H, dc: gradients.cell! + s.lowerBound * H, gates: gates + row * G,
                                 cPrev: c + t * cellStride, c: c + (t + 1) * cellStride, h: h, batch: n, hidden: H)
            case .rnn:
                rnnCellBackward(dh: dH + row * H, gates: gates + row * G, h: h, batch: n, hidden: H)
            case .gru:
                preconditionFailure("a GRU's recurrence is split by streams")
            }
            if hasNextStep { packed.packA(rows: s, a: gates + rows * G, lda: G) }
            return
        }
        guard t > 0 else { return }
        // dG_t · W_hh, with dG_t packed by the cell phase.
        sgemm(packedAOf: packed, m: B, columns: columns[chunk - parts], beta: 1, c: dH + (rows - B) * H, ldc: H)
    }
}

extension RecurrentNetwork {
    /// Packs layer `k`'s W_hh for the per-step products of a recurrence of `B` streams (the forward's W_hhᵀ
    /// [H, G], or the backward's W_hh [G, H]) with the plan for the products this network's split makes of them,
    /// and returns that split. O(G·H).
    func packRecurrentWeights(layer k: Int, forward: Bool, batch B: Int, into packed: SgemmPackedB) -> RecurrenceSplit {
        let H = config.hidden, G = config.cell.gateCount * H
        let split = RecurrenceSplit(cell: config.cell, batch: B, hidden: H, threads: threads,
                                    measured: splitChoices[B]?.direction(forward: forward))
        let product = split.products(batch: B, columns: forward ? G : H)
        packed.reshape(k: forward ? H : G, n: forward ? G : H)
        packed.pack(transB: forward, b: parameters.pointer + layout.layer(k).weightHH, ldb: H, rows: product.rows,
                    columns: product.columns, threads: product.threads)
        return split
    }
}
