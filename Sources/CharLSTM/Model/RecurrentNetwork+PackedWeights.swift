import CharLSTMKernels

extension RecurrentNetwork {
    /// Layer `k`'s weights packed unit by unit for steps of generation (``PackedGateRows``): [W_ih | W_hh] as one
    /// matrix for layers ≥ 1 of cells that sum their parts (`input`, with `recurrent` nil); else W_ih (nil for
    /// layer 0, whose input is a lookup) and W_hh apart, stored at `precision`. A snapshot of the current weights.
    /// O(G·H·2H).
    func packedStepWeights(layer k: Int, precision: WeightPrecision = .f32) -> (input: PackedGateRows?, recurrent: PackedGateRows?) {
        let H = config.hidden, gates = config.cell.gateCount, p = parameters.pointer, o = layout.layer(k)
        func pack(_ columns: Int, _ row: (Int, UnsafeMutablePointer<Float>) -> Void) -> PackedGateRows {
            PackedGateRows(gates: gates, hidden: H, columns: columns, precision: precision, row: row)
        }
        if config.cell.sumsInputAndRecurrentParts && k > 0 {
            return (pack(2 * H) { r, row in
                row.update(from: p + o.weightIH + r * H, count: H)
                (row + H).update(from: p + o.weightHH + r * H, count: H)
            }, nil)
        }
        return (k > 0 ? pack(H) { r, row in row.update(from: p + o.weightIH + r * H, count: H) } : nil,
                pack(H) { r, row in row.update(from: p + o.weightHH + r * H, count: H) })
    }
}
