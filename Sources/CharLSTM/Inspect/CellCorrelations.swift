/// Pearson correlations between every cell's activation and each ``TextProperty``, accumulated one step at a
/// time (sums in Double), so that no activation needs to be kept.
///
///     r = (n·Σxy − Σx·Σy) / √((n·Σx² − (Σx)²) · (n·Σy² − (Σy)²))
///
/// with x a cell's activation and y the property's value over the same n steps. Memory O(P·L·H).
struct CellCorrelations {
    let properties: [TextProperty]
    let layers: Int, hidden: Int
    /// Per property, the value after each character.
    let values: [[Float]]
    private var sumX: [Double], sumXX: [Double]   // [L·H]
    private var sumXY: [Double]                   // [P·L·H]

    init(properties: [TextProperty], text: [Unicode.Scalar], layers: Int, hidden: Int) {
        self.properties = properties
        self.layers = layers
        self.hidden = hidden
        values = properties.map { $0.values(in: text) }
        sumX = Array(repeating: 0, count: layers * hidden)
        sumXX = sumX
        sumXY = Array(repeating: 0, count: properties.count * layers * hidden)
    }

    /// Adds step `t`'s activations `x` [H] of layer `k`. O(P·H).
    mutating func add(layer k: Int, step t: Int, activations x: UnsafePointer<Float>) {
        let H = hidden, LH = layers * hidden, o = k * H
        for j in 0..<H {
            let v = Double(x[j])
            sumX[o + j] += v
            sumXX[o + j] += v * v
        }
        for p in 0..<properties.count {
            let y = Double(values[p][t])
            if y == 0 { continue }
            let base = p * LH + o
            for j in 0..<H { sumXY[base + j] += Double(x[j]) * y }
        }
    }

    /// The correlation of cell `j` of layer `k` with property `p` over the first `n` steps, given the property's
    /// sums; nil where the cell or the property does not vary.
    private func correlation(property p: Int, layer k: Int, cell j: Int, steps n: Int, sumY sy: Double, sumYY syy: Double) -> Double? {
        let i = k * hidden + j, N = Double(n)
        let sx = sumX[i], sxx = sumXX[i], sxy = sumXY[p * layers * hidden + i]
        let varianceX = N * sxx - sx * sx, varianceY = N * syy - sy * sy
        // Below rounding noise of the sums, the cell (or the property) is constant.
        guard varianceX > 1e-9 * max(N * sxx, 1e-30), varianceY > 1e-9 * max(N * syy, 1e-30) else { return nil }
        return max(-1, min(1, (N * sxy - sx * sy) / (varianceX * varianceY).squareRoot()))
    }

    /// Per property, every cell's r over the first `n` steps [L·H] (cell j of layer k at k·H + j); nil where the
    /// cell or the property does not vary. O(P·(n + L·H)).
    func all(steps n: Int) -> [[Double?]] {
        properties.indices.map { p in
            var sy = 0.0, syy = 0.0
            for y in values[p].prefix(n) { sy += Double(y); syy += Double(y) * Double(y) }
            return (0..<(layers * hidden)).map { i in
                correlation(property: p, layer: i / hidden, cell: i % hidden, steps: n, sumY: sy, sumYY: syy)
            }
        }
    }

    /// Per property, the `count` cells of any layer with the largest |r| in `all` (from ``all(steps:)`` over
    /// the same `n` steps),
    /// largest first (ties: lower layer, then lower cell); empty for a property that does not vary.
    /// O(P·L·H·log(L·H)).
    func ranked(_ all: [[Double?]], steps n: Int, count: Int) -> [PropertyCells] {
        properties.indices.map { p in
            var cells = all[p].enumerated().compactMap { i, r in
                r.map { CorrelatedCell(layer: i / hidden, cell: i % hidden, correlation: $0) }
            }
            cells.sort { a, b in
                abs(a.correlation) != abs(b.correlation) ? abs(a.correlation) > abs(b.correlation)
                    : (a.layer, a.cell) < (b.layer, b.cell)
            }
            return PropertyCells(property: properties[p], varies: Set(values[p].prefix(n)).count > 1,
                                 cells: Array(cells.prefix(count)))
        }
    }
}

/// A cell and its correlation with a property of the text.
public struct CorrelatedCell: Equatable, Sendable {
    /// The layer, from 0 (the one reading the characters).
    public let layer: Int
    /// The cell (hidden unit) in its layer, from 0.
    public let cell: Int
    /// Pearson's r between the cell's activation and the property, in [−1, 1].
    public let correlation: Double
}

/// The cells that follow one property of the text best.
public struct PropertyCells: Equatable, Sendable {
    /// The property the cells follow.
    public let property: TextProperty
    /// Whether the property changes in the text at all (there are no cells to find when it does not).
    public let varies: Bool
    /// Largest |r| first.
    public let cells: [CorrelatedCell]
}
