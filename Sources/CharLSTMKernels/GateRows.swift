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
// The weights are stored as fp32, as bf16 or as int8 (``WeightPrecision``). bf16: the upper 16 bits of each
// float, rounded to nearest even, expanded back to a float as they are loaded (exact), so the arithmetic is fp32
// on weights rounded to 8 significant bits, and the memory read per step is halved: generation reads every weight
// once per character, and where the weights outgrow L2 it runs at the speed of L3. A block of 16 bf16 weights is
// stored as 8 pairs (w_i, w_{i+8}), so that its 8 32-bit words give w_0…w_7 by a 16-bit left shift and w_8…w_15
// by masking the low half: two vector operations, no lane shuffle. int8: each weight of a row's whole blocks is
// one signed byte q_i = w_i / s rounded to nearest, with one fp32 scale per row, s = max|w_i| / 127 over those
// blocks (``WeightPrecision/int8Row(_:)``), stored after all the rows: a quarter of fp32's memory, so that M's
// weights fit the two L2s of the machines measured. A block of 16 bytes becomes 16 floats by one sign extension and
// one conversion; the row's sum of q_i·x_i is multiplied by s once, and the row's last n mod 16 weights (its tail)
// stay fp32.
//
// Each row is summed exactly as `sgemv` (trans false, alpha 1, beta 1) sums it: one SIMD16 accumulator over the
// 16-column blocks in order, its lane sum (times s in int8), the leftover columns one by one, then + y. For fp32
// and bf16 the result is the same bit for bit (the tests compare with `sgemv`, and with `naiveSgemv` within
// rounding; bf16 with `sgemv` on the rounded weights; int8 with the naive product of q_i·s within rounding).
// Memory-bound: O(|units|·gates·n), every packed element read once.

/// How packed weights are stored.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// 32-bit floats: exactly the model's weights.
    case f32
    /// bfloat16: the upper half of each float, rounded to nearest even (8 significant bits, fp32's range).
    case bf16
    /// 8-bit integers with one fp32 scale per row (a byte a weight; the last n mod 16 of a row stay fp32).
    case int8

    /// How this format is laid out and loaded (``WeightLoad``).
    var load: any WeightLoad.Type {
        switch self {
        case .f32: F32Weights.self
        case .bf16: BF16Weights.self
        case .int8: Int8Weights.self
        }
    }

    /// Bytes of one row of `n` packed weights: its whole blocks of 16, then its n mod 16 leftover weights. O(1).
    public func rowBytes(_ n: Int) -> Int { load.rowBytes(n) }

    /// Bytes of `rows` packed rows of `n` weights, with their scales where the format has them. O(1).
    func matrixBytes(rows: Int, columns n: Int) -> Int { rows * (rowBytes(n) + (load.hasRowScales ? 4 : 0)) }

    /// A row of weights in the int8 format: its whole blocks of 16 (the first n − n mod 16 values) as bytes
    /// q_i = w_i / s rounded to nearest, and the scale s = max|w_i| / 127 over them (0 when they are all 0; not
    /// finite when one is not, which a checkpoint never holds). O(n).
    public static func int8Row(_ row: UnsafeBufferPointer<Float>) -> (bytes: [Int8], scale: Float) {
        let n16 = row.count & ~15
        var largest: Float = 0
        for i in 0..<n16 {
            guard row[i].isFinite else { return ([Int8](repeating: 0, count: n16), .nan) }
            largest = max(largest, abs(row[i]))
        }
        let scale = largest / 127
        guard scale > 0 else { return ([Int8](repeating: 0, count: n16), scale) }
        return ((0..<n16).map { Int8(max(-127, min(127, (row[$0] / scale).rounded(.toNearestOrEven)))) }, scale)
    }

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
    /// Where the rows' scales start in `storage` (after the rows; used by the int8 format only).
    private let scales: UnsafeMutablePointer<Float>

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
        let rowBytes = precision.rowBytes(columns), rows = gates * hidden
        // The rows, then (int8) one scale per row in packed order.
        storage = LargeMemory.allocate(bytes: max(64, precision.matrixBytes(rows: rows, columns: columns)))
        scales = (storage + rows * rowBytes).assumingMemoryBound(to: Float.self)
        let scratch = FloatBuffer(count: columns), n16 = columns & ~15, tail = columns - n16
        let blockBytes = precision.load.blockBytes, tailBytes = precision.load.tailBytes
        var rowBytesQ: [Int8] = []
        /// Stores the whole block of 16 weights starting at column c of the current row at byte `offset`.
        func putBlock(_ values: UnsafePointer<Float>, column c: Int, at offset: Int) {
            let d = storage + offset
            switch precision {
            case .f32:
                d.copyMemory(from: values, byteCount: 64)
            case .bf16:
                // As pairs (w_i, w_{i+8}) (see the file header).
                let h = d.assumingMemoryBound(to: UInt16.self)
                for i in 0..<8 {
                    h[2 * i] = WeightPrecision.bf16Bits(values[i])
                    h[2 * i + 1] = WeightPrecision.bf16Bits(values[i + 8])
                }
            case .int8:
                for i in 0..<16 { d.storeBytes(of: rowBytesQ[c + i], toByteOffset: i, as: Int8.self) }
            }
        }
        /// Stores a row's `count` < 16 leftover weights at byte `offset` (fp32, or bf16 in the bf16 format).
        func putTail(_ values: UnsafePointer<Float>, count: Int, at offset: Int) {
            if precision == .bf16 {
                let h = (storage + offset).assumingMemoryBound(to: UInt16.self)
                for i in 0..<count { h[i] = WeightPrecision.bf16Bits(values[i]) }
            } else {
                (storage + offset).copyMemory(from: values, byteCount: 4 * count)
            }
        }
        var j = 0
        while j < hidden {
            let units = min(unitsPerGroup, hidden - j), r = units * gates, base = j * gates * rowBytes
            for q in 0..<r {
                row((q % gates) * hidden + j + q / gates, scratch.pointer)
                if precision == .int8 {
                    let quantized = WeightPrecision.int8Row(UnsafeBufferPointer(start: scratch.pointer, count: columns))
                    rowBytesQ = quantized.bytes
                    scales[j * gates + q] = quantized.scale
                }
                for c in stride(from: 0, to: n16, by: 16) {
                    putBlock(scratch.pointer + c, column: c, at: base + (c / 16 * r + q) * blockBytes)
                }
                putTail(scratch.pointer + n16, count: tail, at: base + n16 / 16 * r * blockBytes + q * tail * tailBytes)
            }
            j += units
        }
    }

    deinit { LargeMemory.deallocate(storage) }

    /// Bytes of packed weights.
    public var bytes: Int { precision.matrixBytes(rows: gates * hidden, columns: columns) }

    /// The packed rows as a plain value for hot loops (no reference counting), valid while this object lives.
    public var view: GateRowsView {
        GateRowsView(pointer: UnsafeRawPointer(storage), gates: gates, hidden: hidden, columns: columns,
                     unitsPerGroup: unitsPerGroup, precision: precision,
                     scales: scales)
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
    /// The rows' scales in packed order (row q of the group of unit j at j·gates + q), int8 only.
    let scales: UnsafePointer<Float>

    /// y[g·H + j] += row g·H + j of the matrix · x, for every gate g and unit j in `units` (see the file header).
    /// `units.lowerBound` is a multiple of ``unitsPerGroup``, and so is `units.upperBound` unless it is `hidden`.
    /// O(|units|·gates·columns).
    public func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, units: Range<Int>) {
        precondition(units.lowerBound >= 0 && units.upperBound <= hidden && units.lowerBound % unitsPerGroup == 0
                     && (units.upperBound % unitsPerGroup == 0 || units.upperBound == hidden), "unit range off the groups")
        switch precision {
        case .f32: accumulate(F32Weights.self, x, into: y, units: units)
        case .bf16: accumulate(BF16Weights.self, x, into: y, units: units)
        case .int8: accumulate(Int8Weights.self, x, into: y, units: units)
        }
    }

    @inline(__always)
    private func accumulate<W: WeightLoad>(_: W.Type, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                           units: Range<Int>) {
        let H = hidden, n = columns
        var j = units.lowerBound
        while j < units.upperBound {
            let count = min(unitsPerGroup, H - j), r = count * gates, a = pointer + j * gates * W.rowBytes(n)
            let scale = scales + j * gates
            if r == 4 && (gates == 4 || gates == 1) {
                // Rows: one LSTM unit's gates i, f, g, o (y stride H), or RNN / decoder rows j…j+3 (stride 1).
                let s = Self.dot4(W.self, a, rows: 4, x, n, scale)
                let y0 = y + j, stride = gates == 4 ? H : 1
                y0[0] = s.0 + y0[0]; y0[stride] = s.1 + y0[stride]
                y0[2 * stride] = s.2 + y0[2 * stride]; y0[3 * stride] = s.3 + y0[3 * stride]
            } else if r == 3 && gates == 3 {
                let s = Self.dot4(W.self, a, rows: 3, x, n, scale)
                y[j] = s.0 + y[j]; y[H + j] = s.1 + y[H + j]; y[2 * H + j] = s.2 + y[2 * H + j]
            } else {
                for q in 0..<r {
                    let i = (q % gates) * H + j + q / gates
                    y[i] = Self.dot(W.self, a, row: q, of: r, x, n, scale) + y[i]
                }
            }
            j += count
        }
    }

    /// The sums of the r = 3 or 4 interleaved rows of a group at `a` with x (for r = 3 the fourth repeats the third).
    @inline(__always)
    private static func dot4<W: WeightLoad>(_: W.Type, _ a: UnsafeRawPointer, rows r: Int, _ x: UnsafePointer<Float>,
                                            _ n: Int, _ scale: UnsafePointer<Float>) -> (Float, Float, Float, Float) {
        typealias V = SIMD16<Float>
        let n16 = n & ~15, block = W.blockBytes, last = block * (r - 1), step = block * r
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
        if W.hasRowScales { t0 *= scale[0]; t1 *= scale[1]; t2 *= scale[2]; t3 *= scale[r - 1] }
        let tail = n - n16, t = a + r * (n16 / 16) * W.blockBytes
        for k in n16..<n {
            let xk = x[k], c = k - n16
            t0 += W.load1(t, c) * xk; t1 += W.load1(t, tail + c) * xk
            t2 += W.load1(t, 2 * tail + c) * xk; t3 += W.load1(t, (r - 1) * tail + c) * xk
        }
        return (t0, t1, t2, t3)
    }

    /// The sum of row `q` of the `r` interleaved rows of a group at `a` with x.
    private static func dot<W: WeightLoad>(_: W.Type, _ a: UnsafeRawPointer, row q: Int, of r: Int,
                                           _ x: UnsafePointer<Float>, _ n: Int, _ scale: UnsafePointer<Float>) -> Float {
        typealias V = SIMD16<Float>
        let n16 = n & ~15
        var s = V()
        var c = 0
        while c < n16 {
            s.addProduct(W.load16(a + (c / 16 * r + q) * W.blockBytes), load16(x + c))
            c += 16
        }
        var t = s.sum()
        if W.hasRowScales { t *= scale[q] }
        let tail = n - n16, tp = a + r * (n16 / 16) * W.blockBytes + q * tail * W.tailBytes
        for k in n16..<n { t += W.load1(tp, k - n16) * x[k] }
        return t
    }
}

/// Loading packed weights as floats.
protocol WeightLoad {
    /// Bytes of a block of 16 weights.
    static var blockBytes: Int { get }
    /// Bytes of one of a row's leftover weights (past its last whole block).
    static var tailBytes: Int { get }
    /// The 16 weights of the block at p.
    static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float>
    /// Leftover weight i from p.
    static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float
    /// Whether a row's sum over its whole blocks is multiplied by the row's scale.
    static var hasRowScales: Bool { get }
}

extension WeightLoad {
    /// Bytes of a row of n weights.
    @inline(__always) static func rowBytes(_ n: Int) -> Int { n / 16 * blockBytes + n % 16 * tailBytes }
    static var hasRowScales: Bool { false }
}

enum F32Weights: WeightLoad {
    static var blockBytes: Int { 64 }
    static var tailBytes: Int { 4 }
    @inline(__always) static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> { p.loadUnaligned(as: SIMD16<Float>.self) }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
    }
}

enum BF16Weights: WeightLoad {
    static var blockBytes: Int { 32 }
    static var tailBytes: Int { 2 }
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

enum Int8Weights: WeightLoad {
    static var blockBytes: Int { 16 }
    static var tailBytes: Int { 4 }
    static var hasRowScales: Bool { true }
    /// 16 signed bytes as floats. Lane by lane, which the compiler turns into one sign extension and one
    /// conversion (the SIMD conversion initialisers are calls).
    @inline(__always) static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let q = p.loadUnaligned(as: SIMD16<Int8>.self)
        var f = SIMD16<Float>()
        for i in 0..<16 { f[i] = Float(q[i]) }
        return f
    }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
    }
}
