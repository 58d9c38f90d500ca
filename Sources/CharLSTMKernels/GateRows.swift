// A recurrent cell's stacked weight matrix packed by hidden unit, for batch-1 steps split over threads by unit.
//
//     y[g·H + j] += Σ_k A[g·H + j, k] · x[k]          g < gates, j ∈ units, k < n
//
// A [gates·H, n] row-major: row g·H + j is gate g of unit j (PyTorch's stacking), x [n], y [gates·H].
// Units are packed in groups of u = max(1, 4 / gates) (4 for the RNN's one gate, 1 for GRU and LSTM); a group's
// r = u·gates rows (unit by unit, gate by gate) are interleaved 16 columns at a time,
//
//     [row 0, cols 0..<16][row 1, cols 0..<16] … [row r−1, cols 0..<16][row 0, cols 16..<32] …
//
// followed by each row's last n mod 16 columns, so a group is one run of r·n floats read once from start to end
// (no strided streams), and a range of units is one contiguous range of memory.
//
// Each row is summed exactly as `sgemv` (trans false, alpha 1, beta 1) sums it: one SIMD16 accumulator over the
// 16-column blocks in order, its lane sum, the leftover columns one by one, then + y. The result is the same bit
// for bit (the tests compare with `sgemv`, and with `naiveSgemv` within rounding).
// Memory-bound: O(|units|·gates·n), every packed element read once.

/// A cell's gate rows [gates·H, n] packed unit by unit (see the file header), for ``accumulate(_:into:units:)``.
public final class PackedGateRows: @unchecked Sendable {
    /// Gate blocks of the matrix (4 LSTM, 3 GRU, 1 RNN).
    public let gates: Int
    /// Hidden units H: the matrix has gates·H rows.
    public let hidden: Int
    /// Columns n (the length of x).
    public let columns: Int
    /// Units per packed group; a unit range given to ``accumulate(_:into:units:)`` starts at a multiple of it.
    public let unitsPerGroup: Int
    private let storage: FloatBuffer

    /// Packs the matrix whose row i (0 ≤ i < gates·hidden) `row(i, destination)` writes as `columns` floats.
    /// O(gates·hidden·columns) time and memory.
    public init(gates: Int, hidden: Int, columns: Int, row: (Int, UnsafeMutablePointer<Float>) -> Void) {
        precondition(gates > 0 && hidden > 0 && columns > 0, "gate rows need a positive shape")
        self.gates = gates
        self.hidden = hidden
        self.columns = columns
        unitsPerGroup = max(1, 4 / gates)
        storage = FloatBuffer(count: gates * hidden * columns)
        let scratch = FloatBuffer(count: columns), n16 = columns & ~15, tail = columns - n16
        var j = 0
        while j < hidden {
            let units = min(unitsPerGroup, hidden - j), r = units * gates, base = storage.pointer + j * gates * columns
            for q in 0..<r {
                row((q % gates) * hidden + j + q / gates, scratch.pointer)
                for c in stride(from: 0, to: n16, by: 16) {
                    (base + c * r + q * 16).update(from: scratch.pointer + c, count: 16)
                }
                (base + n16 * r + q * tail).update(from: scratch.pointer + n16, count: tail)
            }
            j += units
        }
    }

    /// The packed rows as a plain value for hot loops (no reference counting), valid while this object lives.
    public var view: GateRowsView {
        GateRowsView(pointer: UnsafePointer(storage.pointer), gates: gates, hidden: hidden, columns: columns,
                     unitsPerGroup: unitsPerGroup)
    }

    /// ``GateRowsView/accumulate(_:into:units:)`` on ``view``.
    public func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, units: Range<Int>) {
        view.accumulate(x, into: y, units: units)
    }
}

/// The memory and shape of a ``PackedGateRows``, a trivial value (no reference counting) for threads' hot loops.
public struct GateRowsView: @unchecked Sendable {
    public let pointer: UnsafePointer<Float>
    public let gates: Int, hidden: Int, columns: Int, unitsPerGroup: Int

    /// y[g·H + j] += row g·H + j of the matrix · x, for every gate g and unit j in `units` (see the file header).
    /// `units.lowerBound` is a multiple of ``unitsPerGroup``, and so is `units.upperBound` unless it is `hidden`.
    /// O(|units|·gates·columns).
    public func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, units: Range<Int>) {
        precondition(units.lowerBound >= 0 && units.upperBound <= hidden && units.lowerBound % unitsPerGroup == 0
                     && (units.upperBound % unitsPerGroup == 0 || units.upperBound == hidden), "unit range off the groups")
        let H = hidden, n = columns
        var j = units.lowerBound
        while j < units.upperBound {
            let count = min(unitsPerGroup, H - j), r = count * gates, a = pointer + j * gates * n
            if r == 4 && (gates == 4 || gates == 1) {
                // Rows: one LSTM unit's gates i, f, g, o (y stride H), or RNN units j…j+3 (stride 1).
                let s = Self.dot4(a, rows: 4, x, n)
                let y0 = y + j, stride = gates == 4 ? H : 1
                y0[0] = s.0 + y0[0]; y0[stride] = s.1 + y0[stride]
                y0[2 * stride] = s.2 + y0[2 * stride]; y0[3 * stride] = s.3 + y0[3 * stride]
            } else if r == 3 && gates == 3 {
                let s = Self.dot4(a, rows: 3, x, n)
                y[j] = s.0 + y[j]; y[H + j] = s.1 + y[H + j]; y[2 * H + j] = s.2 + y[2 * H + j]
            } else {
                for q in 0..<r {
                    let i = (q % gates) * H + j + q / gates
                    y[i] = Self.dot(a, row: q, of: r, x, n) + y[i]
                }
            }
            j += count
        }
    }

    /// The sums of the r = 3 or 4 interleaved rows of a group at `a` with x (for r = 3 the fourth repeats the third).
    @inline(__always)
    private static func dot4(_ a: UnsafePointer<Float>, rows r: Int, _ x: UnsafePointer<Float>, _ n: Int)
        -> (Float, Float, Float, Float) {
        typealias V = SIMD16<Float>
        let n16 = n & ~15, last = 64 * (r - 1), step = 64 * r
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var p = UnsafeRawPointer(a)
        let xr = UnsafeRawPointer(x)
        var off = 0
        while off < n16 * 4 {
            let xv = xr.loadUnaligned(fromByteOffset: off, as: V.self)
            s0.addProduct(p.loadUnaligned(as: V.self), xv)
            s1.addProduct(p.loadUnaligned(fromByteOffset: 64, as: V.self), xv)
            s2.addProduct(p.loadUnaligned(fromByteOffset: 128, as: V.self), xv)
            s3.addProduct(p.loadUnaligned(fromByteOffset: last, as: V.self), xv)
            p += step
            off += 64
        }
        var t0 = s0.sum(), t1 = s1.sum(), t2 = s2.sum(), t3 = s3.sum()
        let tail = n - n16, t = a + r * n16
        for k in n16..<n {
            let xk = x[k], c = k - n16
            t0 += t[c] * xk; t1 += t[tail + c] * xk
            t2 += t[2 * tail + c] * xk; t3 += t[(r - 1) * tail + c] * xk
        }
        return (t0, t1, t2, t3)
    }

    /// The sum of row `q` of the `r` interleaved rows of a group at `a` with x.
    private static func dot(_ a: UnsafePointer<Float>, row q: Int, of r: Int, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        typealias V = SIMD16<Float>
        let n16 = n & ~15
        var s = V()
        var c = 0
        while c < n16 {
            s.addProduct(load16(a + c * r + q * 16), load16(x + c))
            c += 16
        }
        var t = s.sum()
        let tail = n - n16, tp = a + r * n16 + q * tail
        for k in n16..<n { t += tp[k - n16] * x[k] }
        return t
    }
}
