import Testing
@testable import CharLSTMKernels

@Suite struct GateRowsTests {
    /// The packed product gives `sgemv`'s bits (alpha 1, beta 1) on every row of the units asked for, within
    /// rounding of the naive product, and leaves the other rows alone; unit ranges split at any group boundary.
    @Test(arguments: [1, 3, 4])
    func packedRowsMatchSgemvBitForBit(gates: Int) {
        var rng = TestRandom(seed: UInt64(40 + gates))
        for hidden in [1, 2, 5, 19, 33] {
            for columns in [1, 15, 16, 17, 38, 64, 70] {
                let m = gates * hidden, a = rng.floats(m * columns), x = rng.floats(columns), y0 = rng.floats(m)
                let packed = PackedGateRows(gates: gates, hidden: hidden, columns: columns) { r, row in
                    for c in 0..<columns { row[c] = a[r * columns + c] }
                }
                var expected = y0, naive = y0
                sgemv(trans: false, m: m, n: columns, alpha: 1, a: a, lda: columns, x: x, beta: 1, y: &expected)
                naiveSgemv(trans: false, m: m, n: columns, alpha: 1, a: a, lda: columns, x: x, beta: 1, y: &naive)
                // Whole range, and split into pieces at every group boundary.
                let u = packed.unitsPerGroup
                var whole = y0, pieces = y0
                packed.accumulate(x, into: &whole, units: 0..<hidden)
                var lo = 0, size = u
                while lo < hidden {
                    let hi = min(hidden, lo + size)
                    packed.accumulate(x, into: &pieces, units: lo..<hi)
                    lo = hi
                    size = size == u ? 2 * u : u
                }
                #expect(whole.map(\.bitPattern) == expected.map(\.bitPattern), "H \(hidden) n \(columns)")
                #expect(pieces.map(\.bitPattern) == expected.map(\.bitPattern), "H \(hidden) n \(columns)")
                for i in 0..<m { #expect(abs(whole[i] - naive[i]) <= 1e-5 * Float(columns + 1)) }
                // A range leaves the rows of other units alone.
                if hidden > u {
                    var part = y0
                    packed.accumulate(x, into: &part, units: u..<hidden)
                    for g in 0..<gates {
                        for j in 0..<hidden {
                            let i = g * hidden + j
                            #expect(part[i].bitPattern == (j < u ? y0[i] : expected[i]).bitPattern)
                        }
                    }
                }
            }
        }
    }

    /// Compact weights compute what their stored values compute: bf16 exactly `sgemv`'s bits on each weight rounded
    /// to bf16; int8 the naive product on each row's bytes times its scale (its leftover columns exact), within
    /// fp32 rounding. Both take the bytes they promise.
    @Test(arguments: [1, 3, 4], [WeightPrecision.bf16, .int8])
    func compactRowsComputeWithTheValuesTheyStore(gates: Int, precision: WeightPrecision) {
        var rng = TestRandom(seed: UInt64(50 + gates))
        for hidden in [1, 5, 19] {
            for columns in [1, 15, 16, 17, 38, 64, 70] {
                let m = gates * hidden, x = rng.floats(columns), y0 = rng.floats(m)
                var a = rng.floats(m * columns)
                // A row of zeros, and a row with one large weight among small ones.
                for c in 0..<columns { a[c] = 0 }
                if m > 1 { a[columns] = 40 }
                let packed = PackedGateRows(gates: gates, hidden: hidden, columns: columns, precision: precision) { r, row in
                    for c in 0..<columns { row[c] = a[r * columns + c] }
                }
                #expect(packed.bytes == m * precision.rowBytes(columns) + (precision == .int8 ? 4 * m : 0))
                var stored = a
                for r in 0..<m {
                    if precision == .bf16 {
                        for c in 0..<columns { stored[r * columns + c] = WeightPrecision.bf16Rounded(a[r * columns + c]) }
                        continue
                    }
                    let (bytes, scale) = a.withUnsafeBufferPointer {
                        WeightPrecision.int8Row(UnsafeBufferPointer(rebasing: $0[(r * columns)..<((r + 1) * columns)]))
                    }
                    for (c, q) in bytes.enumerated() { stored[r * columns + c] = Float(q) * scale }
                }
                var expected = y0, naive = y0, y = y0
                sgemv(trans: false, m: m, n: columns, alpha: 1, a: stored, lda: columns, x: x, beta: 1, y: &expected)
                naiveSgemv(trans: false, m: m, n: columns, alpha: 1, a: stored, lda: columns, x: x, beta: 1, y: &naive)
                packed.accumulate(x, into: &y, units: 0..<hidden)
                if precision == .bf16 {
                    #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "H \(hidden) n \(columns)")
                } else {
                    for i in 0..<m {
                        let size = (0..<columns).reduce(abs(y0[i])) { $0 + abs(stored[i * columns + $1] * x[$1]) }
                        #expect(abs(y[i] - naive[i]) <= 1e-6 * Float(columns + 2) * size, "H \(hidden) n \(columns) row \(i)")
                    }
                }
            }
        }
    }

    /// int8 rows: each weight of the whole blocks within half a step (max|w| / 254) of its value, the largest kept
    /// to rounding, zeros exact; the leftover columns are not quantized.
    @Test func int8RowsStayWithinHalfAStep() {
        var rng = TestRandom(seed: 9)
        for spread: Float in [1e-6, 0.05, 1, 300] {
            var row = rng.floats(37).map { $0 * spread }
            row[5] = 3 * spread
            let (bytes, scale) = row.withUnsafeBufferPointer { WeightPrecision.int8Row($0) }
            #expect(bytes.count == 32 && abs(scale - 3 * spread / 127) <= scale * 1e-6)
            for i in 0..<32 { #expect(abs(Float(bytes[i]) * scale - row[i]) <= scale / 2 * 1.0001, "\(spread) \(i)") }
            #expect(bytes[5] == 127)
        }
        let zeros = [Float](repeating: 0, count: 20).withUnsafeBufferPointer { WeightPrecision.int8Row($0) }
        #expect(zeros.bytes == [Int8](repeating: 0, count: 16) && zeros.scale == 0)
        let bad = ([Float](repeating: 1, count: 15) + [.nan]).withUnsafeBufferPointer { WeightPrecision.int8Row($0) }
        #expect(bad.scale.isNaN)
    }

    /// The cells on a range of units give the same bits as on all units at once.
    @Test func cellsOnUnitRangesMatchTheWholeStep() {
        var rng = TestRandom(seed: 77)
        let H = 37, splits = [0..<5, 5..<21, 21..<37]
        for gates in [4, 3, 1] {
            let a0 = rng.floats(gates * H).map { $0 * 4 }, c0 = rng.floats(H), h0 = rng.floats(H), r0 = rng.floats(3 * H)
            var aWhole = a0, cWhole = c0, hWhole = [Float](repeating: 0, count: H), nWhole = [Float](repeating: 0, count: H)
            var aParts = a0, cParts = c0, hParts = hWhole, nParts = nWhole
            for units in [nil] + splits.map(Optional.some) {
                let whole = units == nil
                aWhole.withUnsafeMutableBufferPointer { a in
                    aParts.withUnsafeMutableBufferPointer { ap in
                        let g = whole ? a.baseAddress! : ap.baseAddress!
                        switch gates {
                        case 4:
                            if whole { lstmCellForward(gates: g, cPrev: c0, c: &cWhole, h: &hWhole, batch: 1, hidden: H) }
                            else { lstmCellForward(gates: g, cPrev: c0, c: &cParts, h: &hParts, batch: 1, hidden: H, units: units) }
                        case 3:
                            if whole { gruCellForward(gates: g, recurrentPart: r0, nPart: &nWhole, hPrev: h0, h: &hWhole, batch: 1, hidden: H) }
                            else { gruCellForward(gates: g, recurrentPart: r0, nPart: &nParts, hPrev: h0, h: &hParts, batch: 1, hidden: H, units: units) }
                        default:
                            if whole { rnnCellForward(gates: g, h: &hWhole, batch: 1, hidden: H) }
                            else { rnnCellForward(gates: g, h: &hParts, batch: 1, hidden: H, units: units) }
                        }
                    }
                }
            }
            #expect(aParts.map(\.bitPattern) == aWhole.map(\.bitPattern), "gates \(gates)")
            #expect(hParts.map(\.bitPattern) == hWhole.map(\.bitPattern), "gates \(gates)")
            #expect(cParts.map(\.bitPattern) == cWhole.map(\.bitPattern), "gates \(gates)")
            #expect(nParts.map(\.bitPattern) == nWhole.map(\.bitPattern), "gates \(gates)")
        }
    }
}
