// Small row-wise helpers around the matrix products.

/// dst[r, :] = row for every r < rows (a bias broadcast). dst is [rows, n]. With `threads` > 1 and enough work,
/// each thread writes its own range of rows. O(rows·n).
public func broadcastRow(_ row: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, rows: Int, n: Int, threads: Int = 1) {
    Parallel.forEachRange(rows, parts: rowOpsParts(elements: rows * n, threads: threads, most: rows)) { range in
        for r in range { (dst + r * n).update(from: row, count: n) }
    }
}

/// sums[j] (= or +=) Σ_r m[r, j]. m is [rows, n]. With `threads` > 1 and enough work, each thread sums its
/// own range of columns (every column summed in row order either way: the same bits). O(rows·n).
public func columnSums(_ m: UnsafePointer<Float>, rows: Int, n: Int, into sums: UnsafeMutablePointer<Float>,
                       accumulate: Bool, threads: Int = 1) {
    columnSums(m, rows: rows, n: n, into: sums, accumulate: accumulate, scatter: nil, threads: threads)
}

/// ``columnSums(_:rows:n:into:accumulate:threads:)``, and in the same pass over m, table[indices[r], j] += m[r, j]
/// for every row r, table [·, n] zeroed first: the bias gradient and the one-hot input's gradient (rows of an
/// embedding table) of a layer at once. Each thread takes its own range of columns, every sum in row order: the
/// same bits on any thread count, and as the separate loops give. indices must be rows of table. O(rows·n).
public func columnSums(_ m: UnsafePointer<Float>, rows: Int, n: Int, into sums: UnsafeMutablePointer<Float>, accumulate: Bool,
                       scatteringRowsInto table: UnsafeMutablePointer<Float>, tableRows: Int, at indices: UnsafePointer<Int32>,
                       threads: Int = 1) {
    columnSums(m, rows: rows, n: n, into: sums, accumulate: accumulate, scatter: (table, tableRows, indices), threads: threads)
}

/// The two above: the column sums, and the scatter of each row into `scatter.table`'s row `scatter.indices[r]`.
private func columnSums(_ m: UnsafePointer<Float>, rows: Int, n: Int, into sums: UnsafeMutablePointer<Float>, accumulate: Bool,
                        scatter: (table: UnsafeMutablePointer<Float>, rows: Int, indices: UnsafePointer<Int32>)?, threads: Int) {
    Parallel.forEachRange(n, unit: 16, parts: rowOpsParts(elements: rows * n, threads: threads, most: (n + 15) / 16)) { columns in
        let lo = columns.lowerBound, out = sums + lo, width = columns.count
        if !accumulate { out.update(repeating: 0, count: width) }
        guard let scatter else {
            for r in 0..<rows {
                let row = m + r * n + lo
                forEachChunk16(width) { j, w in store16(load16(out + j, width: w) + load16(row + j, width: w), out + j, width: w) }
            }
            return
        }
        for i in 0..<scatter.rows { (scatter.table + i * n + lo).update(repeating: 0, count: width) }
        for r in 0..<rows {
            let row = m + r * n + lo, slot = scatter.table + Int(scatter.indices[r]) * n + lo
            forEachChunk16(width) { j, w in
                let x = load16(row + j, width: w)
                store16(load16(out + j, width: w) + x, out + j, width: w)
                store16(load16(slot + j, width: w) + x, slot + j, width: w)
            }
        }
    }
}

/// How many threads a row-wise helper over `elements` floats uses: one below `threshold` (by default
/// ``rowOpsElementsPerThread``), else up to `threads`, and at most `most` (the pieces the work can be cut into). O(1).
public func rowOpsParts(elements: Int, threads: Int, most: Int, threshold: Int = rowOpsElementsPerThread) -> Int {
    elements >= threshold ? max(1, min(threads, most)) : 1
}

/// Runs `body` on contiguous ranges that cover 0..<count, cut at multiples of 16 (whole SIMD16 chunks, whole words
/// of a dropout mask), on as many of `threads` as ``rowOpsParts(elements:threads:most:threshold:)`` gives a pass over
/// `count` floats (`threshold`: the fewest worth splitting; lower for passes that do more than move memory): an
/// elementwise pass split between threads. The caller promises that the ranges' work writes disjoint memory.
public func forEachElementRange(_ count: Int, threads: Int, threshold: Int = rowOpsElementsPerThread,
                                _ body: (Range<Int>) -> Void) {
    let parts = rowOpsParts(elements: count, threads: threads, most: (count + 15) / 16, threshold: threshold)
    Parallel.forEachRange(count, unit: 16, parts: parts, body)
}

/// Elements a row-wise helper gives each extra thread at least (≈ 100 µs of memory traffic against the
/// ≈ 15 µs a fork-join costs).
public let rowOpsElementsPerThread = 1 << 18

/// dst[j, i] = src[i, j]: src is [rows, cols], dst is [cols, rows]. When `accumulate`, adds instead.
public func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>,
                      accumulate: Bool = false) {
    let block = 32
    var i0 = 0
    while i0 < rows {
        var j0 = 0
        while j0 < cols {
            let i1 = min(i0 + block, rows), j1 = min(j0 + block, cols)
            if accumulate {
                for i in i0..<i1 { for j in j0..<j1 { dst[j * rows + i] += src[i * cols + j] } }
            } else {
                for i in i0..<i1 { for j in j0..<j1 { dst[j * rows + i] = src[i * cols + j] } }
            }
            j0 += block
        }
        i0 += block
    }
}

/// x[i] *= y[i] for i < n.
public func multiplyInPlace(_ x: UnsafeMutablePointer<Float>, by y: UnsafePointer<Float>, count n: Int) {
    forEachChunk16(n) { j, w in store16(load16(x + j, width: w) * load16(y + j, width: w), x + j, width: w) }
}

/// z[i] = x[i] * y[i] for i < n.
public func multiply(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, count n: Int) {
    forEachChunk16(n) { j, w in store16(load16(x + j, width: w) * load16(y + j, width: w), z + j, width: w) }
}

/// Σ x[i]² in double precision.
public func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < n {
        let end = min(n, start + 4096)
        var acc = SIMD16<Float>()
        var j = start
        while j + 16 <= end { let v = load16(x + j); acc.addProduct(v, v); j += 16 }
        var partial = 0.0
        for k in 0..<16 { partial += Double(acc[k]) }
        while j < end { partial += Double(x[j]) * Double(x[j]); j += 1 }
        total += partial
        start = end
    }
    return total
}
