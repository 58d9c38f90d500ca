/// How often each gate of each cell is saturated, per layer: the gate statistics of Karpathy, Johnson and
/// Fei-Fei (2015). A gate is left-saturated at a step when its activation is below 0.1, right-saturated when
/// above 0.9; for tanh blocks (LSTM's g, GRU's n, the RNN's h) the same thresholds apply to (a + 1) / 2, that
/// is a below −0.8 or above 0.8.
public struct GateSaturation: Equatable, Sendable {
    /// Activations below this (after mapping a tanh block to (0, 1)) count as left-saturated.
    public static let leftThreshold: Float = 0.1
    /// Activations above this count as right-saturated.
    public static let rightThreshold: Float = 0.9

    /// One gate block of one layer.
    public struct Gate: Equatable, Sendable {
        /// Which gate: its name and squashing function.
        public let block: GateBlock
        /// Per cell, the share of steps the gate was left-saturated [H].
        public let left: [Double]
        /// Per cell, the share of steps the gate was right-saturated [H].
        public let right: [Double]

        /// Mean over the layer's cells of ``left``.
        public var meanLeft: Double { left.reduce(0, +) / Double(max(left.count, 1)) }
        /// Mean over the layer's cells of ``right``.
        public var meanRight: Double { right.reduce(0, +) / Double(max(right.count, 1)) }
    }

    /// Per layer, per gate block in the cell's order.
    public let layers: [[Gate]]
}

/// Counts saturated gate activations step by step. Memory O(L·G).
struct GateSaturationCounter {
    let blocks: [GateBlock]
    let hidden: Int
    private var left: [[Int32]], right: [[Int32]]    // per layer [G]
    private(set) var steps: [Int]                    // per layer

    init(cell: CellKind, layers: Int, hidden: Int) {
        blocks = cell.gateBlocks
        self.hidden = hidden
        left = Array(repeating: Array(repeating: 0, count: blocks.count * hidden), count: layers)
        right = left
        steps = Array(repeating: 0, count: layers)
    }

    /// Adds one step's gate activations `a` [G] of layer `k`. O(G).
    mutating func add(layer k: Int, gates a: UnsafePointer<Float>) {
        let lo = GateSaturation.leftThreshold, hi = GateSaturation.rightThreshold
        for (b, block) in blocks.enumerated() {
            let o = b * hidden
            for j in 0..<hidden {
                let u = block.squash == .sigmoid ? a[o + j] : (a[o + j] + 1) / 2
                if u < lo { left[k][o + j] += 1 }
                if u > hi { right[k][o + j] += 1 }
            }
        }
        steps[k] += 1
    }

    var result: GateSaturation {
        GateSaturation(layers: left.indices.map { k in
            let n = Double(max(steps[k], 1))
            return blocks.enumerated().map { b, block in
                let cells = (b * hidden)..<((b + 1) * hidden)
                return GateSaturation.Gate(block: block, left: cells.map { Double(left[k][$0]) / n },
                                           right: cells.map { Double(right[k][$0]) / n })
            }
        })
    }
}
