import Foundation
import Testing
@testable import CharLSTMKernels

/// The row-wise helpers of a training pass: against plain double-precision loops, and the same bits on one
/// thread or several (big enough that the threaded paths run).
@Suite struct RowOpsTests {
    @Test(arguments: [1, 2, 3])
    func columnSumsMatchTheSumsAndIgnoreTheThreadCount(threads: Int) {
        var rng = TestRandom(seed: 11)
        let rows = 3_000, n = 130  // rows·n above the threaded threshold; n not a multiple of 16
        let m = rng.floats(rows * n), start = rng.floats(n)
        var serial = start, threaded = start
        columnSums(m, rows: rows, n: n, into: &serial, accumulate: true, threads: 1)
        columnSums(m, rows: rows, n: n, into: &threaded, accumulate: true, threads: threads)
        #expect(serial.map(\.bitPattern) == threaded.map(\.bitPattern))
        for j in 0..<n {
            var sum = Double(start[j])
            for r in 0..<rows { sum += Double(m[r * n + j]) }
            #expect(abs(Double(threaded[j]) - sum) <= 1e-3)
        }
        var fresh = [Float](repeating: .nan, count: n)
        columnSums(m, rows: rows, n: n, into: &fresh, accumulate: false, threads: threads)
        #expect(zip(fresh, zip(threaded, start)).allSatisfy { abs($0 - ($1.0 - $1.1)) <= 1e-3 })
    }

    @Test(arguments: [1, 2, 3])
    func broadcastRowFillsEveryRowOnAnyThreadCount(threads: Int) {
        var rng = TestRandom(seed: 14)
        let rows = 3_001, n = 130
        let row = rng.floats(n)
        var dst = [Float](repeating: .nan, count: rows * n)
        broadcastRow(row, to: &dst, rows: rows, n: n, threads: threads)
        #expect((0..<rows).allSatisfy { r in dst[(r * n)..<(r * n + n)].elementsEqual(row) })
    }

    /// The bias and embedding gradients in one pass: the bits of columnSums and of a plain scatter loop, on any
    /// thread count.
    @Test(arguments: [1, 2, 3])
    func columnSumsWithAScatterGiveTheBitsOfTheSeparateLoops(threads: Int) {
        var rng = TestRandom(seed: 13)
        let rows = 3_000, n = 130, V = 7
        let m = rng.floats(rows * n), start = rng.floats(n)
        let indices = (0..<rows).map { Int32(($0 * 5 + $0 / 7) % V) }
        var sums = start, table = [Float](repeating: .nan, count: V * n)
        columnSums(m, rows: rows, n: n, into: &sums, accumulate: true, scatteringRowsInto: &table, tableRows: V, at: indices,
                   threads: threads)
        var expectedSums = start, expectedTable = [Float](repeating: 0, count: V * n)
        columnSums(m, rows: rows, n: n, into: &expectedSums, accumulate: true, threads: 1)
        for r in 0..<rows {
            for j in 0..<n { expectedTable[Int(indices[r]) * n + j] += m[r * n + j] }
        }
        #expect(sums.map(\.bitPattern) == expectedSums.map(\.bitPattern))
        #expect(table.map(\.bitPattern) == expectedTable.map(\.bitPattern))
        var fresh = [Float](repeating: .nan, count: n)
        columnSums(m, rows: rows, n: n, into: &fresh, accumulate: false, scatteringRowsInto: &table, tableRows: V, at: indices,
                   threads: threads)
        #expect(table.map(\.bitPattern) == expectedTable.map(\.bitPattern) && !fresh.contains { $0.isNaN })
    }

    @Test(arguments: [1, 2, 3])
    func softmaxCrossEntropyIsTheSameOnAnyThreadCount(threads: Int) {
        var rng = TestRandom(seed: 12)
        let rows = 1_300, V = 67  // three blocks of rows, the last one partial
        let logits = rng.floats(rows * V).map { 4 * $0 }
        let targets = (0..<rows).map { Int32(($0 * 7) % V) }
        var one = logits, many = logits
        let a = softmaxCrossEntropy(logits: &one, targets: targets, rows: rows, vocabulary: V, gradientScale: 0.5, threads: 1)
        let b = softmaxCrossEntropy(logits: &many, targets: targets, rows: rows, vocabulary: V, gradientScale: 0.5,
                                    threads: threads)
        #expect(a.nats.bitPattern == b.nats.bitPattern && a.correct == b.correct)
        #expect(one.map(\.bitPattern) == many.map(\.bitPattern))
        // Against a double-precision loss.
        var nats = 0.0
        for r in 0..<rows {
            let z = logits[(r * V)..<(r * V + V)].map(Double.init), top = z.max()!
            nats += log(z.map { exp($0 - top) }.reduce(0, +)) - (z[Int(targets[r])] - top)
        }
        #expect(abs(b.nats - nats) <= 1e-6 * nats)
    }
}
