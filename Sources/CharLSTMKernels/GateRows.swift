// A recurrent cell's stacked weight matrix packed by hidden unit, for batch-1 steps split over threads by unit.
//
//     y[g·H + j] += Σ_k A[g·H + j, k] · x[k]          g < gates, j ∈ units, k < n
//
// A [gates·H, n] row-major: row g·H + j is gate g of unit j (PyTorch's stacking), x [n], y [gates·H].
// Units are packed in groups of u = max(1, 4 / gates) (4 for the RNN's one gate and a decoder, 1 for GRU and
// LSTM); a group's r = u·gates rows (unit by unit, gate by gate) are interleaved 16 columns at a time,
//
//     [row 0, cols 0..<16][row 1, cols 0..<16] … [row r−1, cols 0..<16][row 0, cols 16..<32] …
//
// followed by each row's last n mod 16 columns, so a group is one run of r·n weights read once from start to
// end (no strided streams), and a range of units is one contiguous range of memory.
//
// The weights are stored as fp32, or as bf16 (``WeightPrecision``): the upper 16 bits of each float, rounded
// to nearest even, expanded back to a float as they are loaded (exact), so the arithmetic is fp32 on weights
// rounded to 8 significant bits, and the memory read per step is halved: generation reads every weight once per
// character, and where the weights outgrow L2 it runs at the speed of L3. A block of 16 bf16 weights is stored
// as 8 pairs (w_i, w_{i+8}), so that its 8 32-bit words give w_0…w_7 by a 16-bit left shift and w_8…w_15 by
// masking the low half: two vector operations, no lane shuffle.
//
// Each row is summed exactly as `sgemv` (trans false, alpha 1, beta 1) sums it: one SIMD16 accumulator over the
// 16-column blocks in order, its lane sum, the leftover columns one by one, then + y. The result is the same bit
// for bit (the tests compare with `sgemv`, and with `naiveSgemv` within rounding; bf16 with `sgemv` on the
// rounded weights). Memory-bound: O(|units|·gates·n), every packed element read once.

/// How packed weights are stored.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// 32-bit floats: exactly the model's weights.
    case f32
    /// bfloat16: the upper half of each float, rounded to nearest even (8 significant bits, fp32's range).
    case bf16

    /// Bytes per weight.
    public var bytes: Int { self == .f32 ? 4 : 2 }

    /// `x` rounded to bf16 and expanded back: what a bf16 weight computes with (NaN stays NaN, ±∞ stays).
    public static func bf16Rounded(_ x: Float) -> Float { Float(bitPattern: UInt32(bf16Bits(x)) << 16) }

    /// The bf16 bits of `x`, rounded to nearest, ties to even.
    @inline(__always)
    static func bf16Bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if x.isNaN { return UInt16(u >> 16) | 0x40 } // stays a (quiet) NaN
        return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }
}

/// A cell's gate rows [gates·H, n] packed unit by unit (see the file header), for ``accumulate(_:into:units:)``.
public final class PackedGateRows: @unchecked Sendable {
    /// Gate blocks of the matrix (4 LSTM, 3 GRU, 1 RNN or a decoder).
    public let gates: Int
    /// Hidden units H: the matrix has gates·H rows.
    public let hidden: Int
    /// Columns n (the length of x).
    public let columns: Int
    /// Units per packed group; a unit range given to ``accumulate(_:into:units:)`` starts at a multiple of it.
    public let unitsPerGroup: Int
    /// How the weights are stored.
    public let precision: WeightPrecision
    private let storage: UnsafeMutableRawPointer

    /// Packs the matrix whose row i (0 ≤ i < gates·hidden) `row(i, destination)` writes as `columns` floats,
    /// stored as `precision`. O(gates·hidden·columns) time and memory.
    public init(gates: Int, hidden: Int, columns: Int, precision: WeightPrecision = .f32,
                row: (Int, UnsafeMutablePointer<Float>) -> Void) {
        precondition(gates > 0 && hidden > 0 && columns > 0, "gate rows need a positive shape")
        self.gates = gates
        self.hidden = hidden
        self.columns = columns
        self.precision = precision
        unitsPerGroup = max(1, 4 / gates)
        let count = gates * hidden * columns
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(64, count * precision.bytes), alignment: 64)
        let scratch = FloatBuffer(count: columns), n16 = columns & ~15, tail = columns - n16
        func put(_ values: UnsafePointer<Float>, count: Int, at element: Int) {
            if precision == .f32 {
                (storage.assumingMemoryBound(to: Float.self) + element).update(from: values, count: count)
            } else if count == 16 {
                // A whole block as pairs (w_i, w_{i+8}) (see the file header).
                let d = storage.assumingMemoryBound(to: UInt16.self) + element
                for i in 0..<8 {
                    d[2 * i] = WeightPrecision.bf16Bits(values[i])
                    d[2 * i + 1] = WeightPrecision.bf16Bits(values[i + 8])
                }
            } else {
                let d = storage.assumingMemoryBound(to: UInt16.self) + element
                for i in 0..<count { d[i] = WeightPrecision.bf16Bits(values[i]) }
            }
        }
        var j = 0
        while j < hidden {
            let units = min(unitsPerGroup, hidden - j), r = units * gates, base = j * gates * columns
            for q in 0..<r {
                row((q % gates) * hidden + j + q / gates, scratch.pointer)
                for c in stride(from: 0, to: n16, by: 16) { put(scratch.pointer + c, count: 16, at: base + c * r + q * 16) }
                put(scratch.pointer + n16, count: tail, at: base + n16 * r + q * tail)
            }
            j += units
        }
    }

    deinit { storage.deallocate() }

    /// Bytes of packed weights.
    public var bytes: Int { gates * hidden * columns * precision.bytes }

    /// The packed rows as a plain value for hot loops (no reference counting), valid while this object lives.
    public var view: GateRowsView {
        GateRowsView(pointer: UnsafeRawPointer(storage), gates: gates, hidden: hidden, columns: columns,
                     unitsPerGroup: unitsPerGroup, precision: precision)
    }

    /// ``GateRowsView/accumulate(_:into:units:)`` on ``view``.
    public func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, units: Range<Int>) {
        view.accumulate(x, into: y, units: units)
    }
}

/// The memory and shape of a ``PackedGateRows``, a trivial value (no reference counting) for threads' hot loops.
public struct GateRowsView: @unchecked Sendable {
    public let pointer: UnsafeRawPointer
    public let gates: Int, hidden: Int, columns: Int, unitsPerGroup: Int
    public let precision: WeightPrecision

    /// y[g·H + j] += row g·H + j of the matrix · x, for every gate g and unit j in `units` (see the file header).
    /// `units.lowerBound` is a multiple of ``unitsPerGroup``, and so is `units.upperBound` unless it is `hidden`.
    /// O(|units|·gates·columns).
    public func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, units: Range<Int>) {
        precondition(units.lowerBound >= 0 && units.upperBound <= hidden && units.lowerBound % unitsPerGroup == 0
                     && (units.upperBound % unitsPerGroup == 0 || units.upperBound == hidden), "unit range off the groups")
        switch precision {
        case .f32: accumulate(F32Weights.self, x, into: y, units: units)
        case .bf16: accumulate(BF16Weights.self, x, into: y, units: units)
        }
    }

    @inline(__always)
    private func accumulate<W: WeightLoad>(_: W.Type, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                           units: Range<Int>) {
        let H = hidden, n = columns
        var j = units.lowerBound
        while j < units.upperBound {
            let count = min(unitsPerGroup, H - j), r = count * gates, a = pointer + j * gates * n * W.bytes
            if r == 4 && (gates == 4 || gates == 1) {
                // Rows: one LSTM unit's gates i, f, g, o (y stride H), or RNN / decoder rows j…j+3 (stride 1).
                let s = Self.dot4(W.self, a, rows: 4, x, n)
                let y0 = y + j, stride = gates == 4 ? H : 1
                y0[0] = s.0 + y0[0]; y0[stride] = s.1 + y0[stride]
                y0[2 * stride] = s.2 + y0[2 * stride]; y0[3 * stride] = s.3 + y0[3 * stride]
            } else if r == 3 && gates == 3 {
                let s = Self.dot4(W.self, a, rows: 3, x, n)
                y[j] = s.0 + y[j]; y[H + j] = s.1 + y[H + j]; y[2 * H + j] = s.2 + y[2 * H + j]
            } else {
                for q in 0..<r {
                    let i = (q % gates) * H + j + q / gates
                    y[i] = Self.dot(W.self, a, row: q, of: r, x, n) + y[i]
                }
            }
            j += count
        }
    }

    /// The sums of the r = 3 or 4 interleaved rows of a group at `a` with x (for r = 3 the fourth repeats the third).
    @inline(__always)
    private static func dot4<W: WeightLoad>(_: W.Type, _ a: UnsafeRawPointer, rows r: Int, _ x: UnsafePointer<Float>,
                                            _ n: Int) -> (Float, Float, Float, Float) {
        typealias V = SIMD16<Float>
        let n16 = n & ~15, block = 16 * W.bytes, last = block * (r - 1), step = block * r
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var p = a
        let xr = UnsafeRawPointer(x)
        var off = 0
        while off < n16 * 4 {
            let xv = xr.loadUnaligned(fromByteOffset: off, as: V.self)
            s0.addProduct(W.load16(p), xv)
            s1.addProduct(W.load16(p + block), xv)
            s2.addProduct(W.load16(p + 2 * block), xv)
            s3.addProduct(W.load16(p + last), xv)
            p += step
            off += 64
        }
        var t0 = s0.sum(), t1 = s1.sum(), t2 = s2.sum(), t3 = s3.sum()
        let tail = n - n16, t = a + r * n16 * W.bytes
        for k in n16..<n {
            let xk = x[k], c = k - n16
            t0 += W.load1(t, c) * xk; t1 += W.load1(t, tail + c) * xk
            t2 += W.load1(t, 2 * tail + c) * xk; t3 += W.load1(t, (r - 1) * tail + c) * xk
        }
        return (t0, t1, t2, t3)
    }

    /// The sum of row `q` of the `r` interleaved rows of a group at `a` with x.
    private static func dot<W: WeightLoad>(_: W.Type, _ a: UnsafeRawPointer, row q: Int, of r: Int,
                                           _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        typealias V = SIMD16<Float>
        let n16 = n & ~15
        var s = V()
        var c = 0
        while c < n16 {
            s.addProduct(W.load16(a + (c * r + q * 16) * W.bytes), load16(x + c))
            c += 16
        }
        var t = s.sum()
        let tail = n - n16, tp = a + (r * n16 + q * tail) * W.bytes
        for k in n16..<n { t += W.load1(tp, k - n16) * x[k] }
        return t
    }
}

/// Loading packed weights as floats.
protocol WeightLoad {
    static var bytes: Int { get }
    /// The 16 weights at p.
    static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float>
    /// Weight i from p.
    static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float
}

enum F32Weights: WeightLoad {
    static var bytes: Int { 4 }
    @inline(__always) static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> { p.loadUnaligned(as: SIMD16<Float>.self) }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
    }
}

enum BF16Weights: WeightLoad {
    static var bytes: Int { 2 }
    /// A block stored as pairs (w_i, w_{i+8}): each 32-bit word shifted left by 16 is w_i's float, masked to its
    /// upper half w_{i+8}'s.
    @inline(__always) static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let words = p.loadUnaligned(as: SIMD8<UInt32>.self)
        return SIMD16(lowHalf: unsafeBitCast(words &<< 16, to: SIMD8<Float>.self),
                      highHalf: unsafeBitCast(words & 0xFFFF_0000, to: SIMD8<Float>.self))
    }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
    }
}
