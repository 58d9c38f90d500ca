// The packed gate rows applied to a batch of B vectors at once: the step of many generation streams together.
//
//     y_b[g·H + j] += Σ_k A[g·H + j, k] · x_b[k]        b < B, g < gates, j ∈ units, k < n
//
// x_b at x + b·xStride [n], y_b at y + b·yStride [gates·H]. A group of r packed rows (one LSTM unit's four gates,
// one GRU unit's three, four RNN units, four decoder rows) is read once from memory and applied to the streams
// a tile at a time: r × 4 streams (16 SIMD16 accumulators, for ISAs with 32 vector registers) or r × 2 (for 16),
// so each 16-float block of weights loaded feeds 4 (or 2) FMAs instead of 1. A group is r·n floats (≤ 16 KiB for
// n = 1024), so the tiles after the first read it from L1: the step costs one pass over the weights per step,
// not per stream, and becomes arithmetic-bound as B grows.
//
// Every (row, stream) is summed exactly as `GateRowsView.accumulate(_:into:units:)` sums it, and so as `sgemv`:
// one SIMD16 accumulator over the 16-column blocks in order, its lane sum, the leftover columns one by one, then
// + y. A stream's result is the same bit for bit whatever the batch, its place in it or the tile (tests).
// O(B·|units|·gates·n) arithmetic, O(|units|·gates·n) memory traffic.

extension GateRowsView {
    /// Streams per register tile that suit this machine's vector registers: 4 with 32 of them (AVX-512,
    /// arm64), 2 with 16 (AVX2 and others).
    public static var preferredStreamTile: Int {
        switch CPUInfo.current.isa {
        case .avx512Full, .avx512Split, .neon: 4
        case .avx2, .portable: 2
        }
    }

    /// y_b[g·H + j] += row g·H + j · x_b for every stream b < `batch`, gate g and unit j in `units` (see the file
    /// header). `units` as in ``accumulate(_:into:units:)``; `streamTile` is 1, 2 or 4 (the result does not
    /// depend on it). O(batch·|units|·gates·columns).
    public func accumulate(batch: Int, _ x: UnsafePointer<Float>, xStride: Int, into y: UnsafeMutablePointer<Float>,
                           yStride: Int, units: Range<Int>, streamTile: Int = GateRowsView.preferredStreamTile) {
        precondition(units.lowerBound >= 0 && units.upperBound <= hidden && units.lowerBound % unitsPerGroup == 0
                     && (units.upperBound % unitsPerGroup == 0 || units.upperBound == hidden), "unit range off the groups")
        precondition(batch >= 0 && [1, 2, 4].contains(streamTile), "a batch needs a tile of 1, 2 or 4 streams")
        switch precision {
        case .f32: accumulate(F32Weights.self, batch: batch, x, xStride: xStride, into: y, yStride: yStride, units: units,
                              streamTile: streamTile)
        case .bf16: accumulate(BF16Weights.self, batch: batch, x, xStride: xStride, into: y, yStride: yStride, units: units,
                               streamTile: streamTile)
        case .int8: accumulate(Int8Weights.self, batch: batch, x, xStride: xStride, into: y, yStride: yStride, units: units,
                               streamTile: streamTile)
        }
    }

    @inline(__always)
    private func accumulate<W: WeightLoad>(_: W.Type, batch: Int, _ x: UnsafePointer<Float>, xStride: Int,
                                           into y: UnsafeMutablePointer<Float>, yStride: Int, units: Range<Int>,
                                           streamTile: Int) {
        let H = hidden, n = columns
        var j = units.lowerBound
        while j < units.upperBound {
            let count = min(unitsPerGroup, H - j), r = count * gates, a = pointer + j * gates * W.rowBytes(n)
            let scale = scales + j * gates
            var b = 0
            if r == 4 || r == 3 {
                // Where each of the r rows lands in y: one unit's gates (stride H) or consecutive units (stride 1).
                let stride = gates == 1 ? 1 : H
                let rows = RowTargets(r: r, first: j, stride: stride, scale: scale)
                if streamTile == 4 {
                    while b + 4 <= batch {
                        Self.tile4(W.self, a, r: r, n: n, x + b * xStride, xStride, y + b * yStride, yStride, rows)
                        b += 4
                    }
                }
                if streamTile >= 2 {
                    while b + 2 <= batch {
                        Self.tile2(W.self, a, r: r, n: n, x + b * xStride, xStride, y + b * yStride, yStride, rows)
                        b += 2
                    }
                }
            }
            // The rest one stream at a time, by the single-vector kernel itself.
            while b < batch {
                accumulate(x + b * xStride, into: y + b * yStride, units: j..<(j + count))
                b += 1
            }
            j += count
        }
    }

    /// Where the r = 3 or 4 rows of a group are added in each y_b: first + q·stride for row q.
    struct RowTargets {
        let r: Int, first: Int, stride: Int
        /// The group's row scales (int8).
        let scale: UnsafePointer<Float>
        @inline(__always) func offset(_ q: Int) -> Int { first + q * stride }
    }

    /// Adds the group's r rows · x_b into y_b for 4 streams. For r = 3 the fourth row repeats the third, unused.
    @inline(__always)
    private static func tile4<W: WeightLoad>(_: W.Type, _ a: UnsafeRawPointer, r: Int, n: Int, _ x: UnsafePointer<Float>,
                                             _ xs: Int, _ y: UnsafeMutablePointer<Float>, _ ys: Int, _ rows: RowTargets) {
        typealias V = SIMD16<Float>
        let n16 = n & ~15, block = W.blockBytes, last = block * (r - 1), step = block * r
        var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
        var s20 = V(), s21 = V(), s22 = V(), s23 = V(), s30 = V(), s31 = V(), s32 = V(), s33 = V()
        var p = a
        let x0 = UnsafeRawPointer(x), x1 = UnsafeRawPointer(x + xs), x2 = UnsafeRawPointer(x + 2 * xs)
        let x3 = UnsafeRawPointer(x + 3 * xs)
        var off = 0
        while off < n16 * 4 {
            let w0 = W.load16(p), w1 = W.load16(p + block), w2 = W.load16(p + 2 * block), w3 = W.load16(p + last)
            let v0 = x0.loadUnaligned(fromByteOffset: off, as: V.self)
            s00.addProduct(w0, v0); s10.addProduct(w1, v0); s20.addProduct(w2, v0); s30.addProduct(w3, v0)
            let v1 = x1.loadUnaligned(fromByteOffset: off, as: V.self)
            s01.addProduct(w0, v1); s11.addProduct(w1, v1); s21.addProduct(w2, v1); s31.addProduct(w3, v1)
            let v2 = x2.loadUnaligned(fromByteOffset: off, as: V.self)
            s02.addProduct(w0, v2); s12.addProduct(w1, v2); s22.addProduct(w2, v2); s32.addProduct(w3, v2)
            let v3 = x3.loadUnaligned(fromByteOffset: off, as: V.self)
            s03.addProduct(w0, v3); s13.addProduct(w1, v3); s23.addProduct(w2, v3); s33.addProduct(w3, v3)
            p += step
            off += 64
        }
        finish(W.self, a, r: r, n: n, row: 0, InlineSums(s00.sum(), s01.sum(), s02.sum(), s03.sum()), x, xs, y, ys, rows)
        finish(W.self, a, r: r, n: n, row: 1, InlineSums(s10.sum(), s11.sum(), s12.sum(), s13.sum()), x, xs, y, ys, rows)
        finish(W.self, a, r: r, n: n, row: 2, InlineSums(s20.sum(), s21.sum(), s22.sum(), s23.sum()), x, xs, y, ys, rows)
        if r == 4 { finish(W.self, a, r: r, n: n, row: 3, InlineSums(s30.sum(), s31.sum(), s32.sum(), s33.sum()), x, xs, y, ys, rows) }
    }

    /// As ``tile4`` for 2 streams.
    @inline(__always)
    private static func tile2<W: WeightLoad>(_: W.Type, _ a: UnsafeRawPointer, r: Int, n: Int, _ x: UnsafePointer<Float>,
                                             _ xs: Int, _ y: UnsafeMutablePointer<Float>, _ ys: Int, _ rows: RowTargets) {
        typealias V = SIMD16<Float>
        let n16 = n & ~15, block = W.blockBytes, last = block * (r - 1), step = block * r
        var s00 = V(), s01 = V(), s10 = V(), s11 = V(), s20 = V(), s21 = V(), s30 = V(), s31 = V()
        var p = a
        let x0 = UnsafeRawPointer(x), x1 = UnsafeRawPointer(x + xs)
        var off = 0
        while off < n16 * 4 {
            let w0 = W.load16(p), w1 = W.load16(p + block), w2 = W.load16(p + 2 * block), w3 = W.load16(p + last)
            let v0 = x0.loadUnaligned(fromByteOffset: off, as: V.self)
            s00.addProduct(w0, v0); s10.addProduct(w1, v0); s20.addProduct(w2, v0); s30.addProduct(w3, v0)
            let v1 = x1.loadUnaligned(fromByteOffset: off, as: V.self)
            s01.addProduct(w0, v1); s11.addProduct(w1, v1); s21.addProduct(w2, v1); s31.addProduct(w3, v1)
            p += step
            off += 64
        }
        finish(W.self, a, r: r, n: n, row: 0, InlineSums(s00.sum(), s01.sum()), x, xs, y, ys, rows)
        finish(W.self, a, r: r, n: n, row: 1, InlineSums(s10.sum(), s11.sum()), x, xs, y, ys, rows)
        finish(W.self, a, r: r, n: n, row: 2, InlineSums(s20.sum(), s21.sum()), x, xs, y, ys, rows)
        if r == 4 { finish(W.self, a, r: r, n: n, row: 3, InlineSums(s30.sum(), s31.sum()), x, xs, y, ys, rows) }
    }

    /// Row q's lane sums for streams 0..<sums.count: adds the leftover columns one by one, then the sum into y_b.
    @inline(__always)
    private static func finish<W: WeightLoad>(_: W.Type, _ a: UnsafeRawPointer, r: Int, n: Int, row q: Int, _ sums: InlineSums,
                                              _ x: UnsafePointer<Float>, _ xs: Int, _ y: UnsafeMutablePointer<Float>, _ ys: Int,
                                              _ rows: RowTargets) {
        let n16 = n & ~15, tail = n - n16, t = a + r * (n16 / 16) * W.blockBytes + q * tail * W.tailBytes
        let i = rows.offset(q)
        for b in 0..<sums.count {
            var s = sums[b]
            if W.hasRowScales { s *= rows.scale[q] }
            let xb = x + b * xs
            for k in n16..<n { s += W.load1(t, k - n16) * xb[k] }
            y[b * ys + i] = s + y[b * ys + i]
        }
    }

    /// Two or four lane sums, one per stream of a tile (a value, not an array: nothing is allocated).
    struct InlineSums {
        let count: Int
        private let values: (Float, Float, Float, Float)
        @inline(__always) init(_ a: Float, _ b: Float) { count = 2; values = (a, b, 0, 0) }
        @inline(__always) init(_ a: Float, _ b: Float, _ c: Float, _ d: Float) { count = 4; values = (a, b, c, d) }
        @inline(__always) subscript(i: Int) -> Float {
            switch i { case 0: values.0; case 1: values.1; case 2: values.2; default: values.3 }
        }
    }
}
