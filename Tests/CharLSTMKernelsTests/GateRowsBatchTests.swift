import Testing
@testable import CharLSTMKernels

@Suite struct GateRowsBatchTests {
    /// Each stream of a batched product gets the bits the single-vector product gives it, with every stream tile,
    /// batch size (tiles and leftovers) and shape (leftover columns, a last group of fewer units), and the rows of
    /// other units and the padding between a stream's rows are left alone.
    @Test(arguments: [1, 3, 4], WeightPrecision.allCases)
    func everyStreamGetsTheSingleVectorBits(gates: Int, precision: WeightPrecision) {
        var rng = TestRandom(seed: UInt64(70 + gates))
        for hidden in [1, 5, 19, 32] {
            for columns in [1, 15, 16, 33, 64] {
                let m = gates * hidden, a = rng.floats(m * columns)
                let packed = PackedGateRows(gates: gates, hidden: hidden, columns: columns, precision: precision) { r, row in
                    for c in 0..<columns { row[c] = a[r * columns + c] }
                }
                let xStride = columns + 3, yStride = m + 2
                for batch in [0, 1, 2, 3, 4, 5, 7, 9] {
                    let x = rng.floats(batch * xStride), y0 = rng.floats(batch * yStride)
                    var expected = y0
                    for b in 0..<batch {
                        expected.withUnsafeMutableBufferPointer { y in
                            x.withUnsafeBufferPointer { packed.accumulate($0.baseAddress! + b * xStride, into: y.baseAddress! + b * yStride, units: 0..<hidden) }
                        }
                    }
                    for tile in [1, 2, 4] {
                        var y = y0
                        let u = packed.unitsPerGroup, split = hidden > u ? u : hidden
                        // In two unit ranges, as threads run them.
                        for units in [0..<split, split..<hidden] where !units.isEmpty {
                            packed.view.accumulate(batch: batch, x, xStride: xStride, into: &y, yStride: yStride,
                                                   units: units, streamTile: tile)
                        }
                        #expect(y.map(\.bitPattern) == expected.map(\.bitPattern),
                                "gates \(gates) H \(hidden) n \(columns) batch \(batch) tile \(tile)")
                    }
                }
            }
        }
    }
}
