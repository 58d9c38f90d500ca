// Single-precision matrix–vector product, row-major, for batch-1 generation.
//
//     y[m] = alpha · op(A)[m×n] · x[n] + beta · y[m]
//
// As in `sgemm`, m and n describe op(A): op(A) = A stored m×n with row stride lda (trans false), or
// op(A) = Aᵀ with A stored n×m, row stride lda (trans true). beta == 0 overwrites y without reading it.
// Memory-bound: every element of A is read once.
//
//   trans false: y[i] = Σ_j A[i, j]·x[j]   — four rows at a time, each a SIMD16 dot product along j.
//   trans true:  y[i] = Σ_j A[j, i]·x[j]   — y scaled by beta first, then y += (alpha·x[j])·(row j of A)
//                                            for four rows j at a time, reading A row by row.

/// Fast SGEMV (see the file header for the contract). `threads` ≥ 1 is the most threads it may use.
public func sgemv(trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                  x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>, threads: Int = 1) {
    guard m > 0 else { return }
    let args = GemvOperands(a: a, lda: lda, x: x, y: y, n: n, alpha: alpha, beta: beta)
    // Split y into blocks of 64 rows; extra threads only pay off once A is about 4 MiB (≳ 80 µs of reading,
    // against the ≈ 15 µs it takes to wake a worker).
    let parts = m * n >= (1 << 20) ? max(1, min(threads, (m + 63) / 64)) : 1
    if parts == 1 {
        args.run(trans: trans, rows: 0..<m)
        return
    }
    Parallel.forEachRange(m, unit: 64, parts: parts) { rows in args.run(trans: trans, rows: rows) }
}

/// The obviously-correct twin of ``sgemv``: the test oracle. Accumulates in Double.
public func naiveSgemv(trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                       x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
    for i in 0..<m {
        var sum = 0.0
        for j in 0..<n {
            sum += Double(trans ? a[j * lda + i] : a[i * lda + j]) * Double(x[j])
        }
        y[i] = alpha * Float(sum) + (beta == 0 ? 0 : beta * y[i])
    }
}

/// The arguments of one `sgemv` call; a value that may cross threads.
private struct GemvOperands: @unchecked Sendable {
    let a: UnsafePointer<Float>, lda: Int
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let n: Int
    let alpha: Float, beta: Float

    /// y[i] ← alpha·s + beta·y[i] (y[i] not read when beta == 0).
    @inline(__always)
    func finish(_ i: Int, _ s: Float) {
        y[i] = beta == 0 ? alpha * s : alpha * s + beta * y[i]
    }

    func run(trans: Bool, rows: Range<Int>) {
        if trans { runTransposed(rows) } else { runRows(rows) }
    }

    /// trans false: dot products of rows of A with x.
    private func runRows(_ rows: Range<Int>) {
        typealias V = SIMD16<Float>
        let n16 = n & ~15
        var i = rows.lowerBound
        while i + 4 <= rows.upperBound {
            let r0 = UnsafeRawPointer(a + i * lda), r1 = UnsafeRawPointer(a + (i + 1) * lda)
            let r2 = UnsafeRawPointer(a + (i + 2) * lda), r3 = UnsafeRawPointer(a + (i + 3) * lda)
            let xr = UnsafeRawPointer(x)
            var s0 = V(), s1 = V(), s2 = V(), s3 = V()
            var off = 0
            while off < n16 * 4 {
                let xv = xr.loadUnaligned(fromByteOffset: off, as: V.self)
                s0.addProduct(r0.loadUnaligned(fromByteOffset: off, as: V.self), xv)
                s1.addProduct(r1.loadUnaligned(fromByteOffset: off, as: V.self), xv)
                s2.addProduct(r2.loadUnaligned(fromByteOffset: off, as: V.self), xv)
                s3.addProduct(r3.loadUnaligned(fromByteOffset: off, as: V.self), xv)
                off += 64
            }
            var t0 = s0.sum(), t1 = s1.sum(), t2 = s2.sum(), t3 = s3.sum()
            for j in n16..<n {
                let xj = x[j]
                t0 += a[i * lda + j] * xj; t1 += a[(i + 1) * lda + j] * xj
                t2 += a[(i + 2) * lda + j] * xj; t3 += a[(i + 3) * lda + j] * xj
            }
            finish(i, t0); finish(i + 1, t1); finish(i + 2, t2); finish(i + 3, t3)
            i += 4
        }
        while i < rows.upperBound {
            let r = UnsafeRawPointer(a + i * lda), xr = UnsafeRawPointer(x)
            var s = V()
            var off = 0
            while off < n16 * 4 {
                s.addProduct(r.loadUnaligned(fromByteOffset: off, as: V.self),
                             xr.loadUnaligned(fromByteOffset: off, as: V.self))
                off += 64
            }
            var t = s.sum()
            for j in n16..<n { t += a[i * lda + j] * x[j] }
            finish(i, t)
            i += 1
        }
    }

    /// trans true: y[rows] ← beta·y[rows], then y[rows] += (alpha·x[j]) · (row j of A)[rows] four rows
    /// of A at a time, so A is read sequentially row by row.
    private func runTransposed(_ rows: Range<Int>) {
        typealias V = SIMD16<Float>
        let lo = rows.lowerBound, hi = rows.upperBound
        for i in rows { y[i] = beta == 0 ? 0 : beta * y[i] }
        var j = 0
        while j < n {
            let q = min(4, n - j) // rows of A this pass; missing ones get coefficient 0 on a valid row
            let r0 = a + j * lda, r1 = a + (j + min(1, q - 1)) * lda
            let r2 = a + (j + min(2, q - 1)) * lda, r3 = a + (j + min(3, q - 1)) * lda
            let c0 = alpha * x[j], c1 = q > 1 ? alpha * x[j + 1] : 0
            let c2 = q > 2 ? alpha * x[j + 2] : 0, c3 = q > 3 ? alpha * x[j + 3] : 0
            let v0 = V(repeating: c0), v1 = V(repeating: c1), v2 = V(repeating: c2), v3 = V(repeating: c3)
            var i = lo
            while i + 16 <= hi {
                let yp = UnsafeMutableRawPointer(y + i)
                var acc = yp.loadUnaligned(as: V.self)
                acc.addProduct(v0, UnsafeRawPointer(r0 + i).loadUnaligned(as: V.self))
                acc.addProduct(v1, UnsafeRawPointer(r1 + i).loadUnaligned(as: V.self))
                acc.addProduct(v2, UnsafeRawPointer(r2 + i).loadUnaligned(as: V.self))
                acc.addProduct(v3, UnsafeRawPointer(r3 + i).loadUnaligned(as: V.self))
                yp.storeBytes(of: acc, as: V.self)
                i += 16
            }
            for i in i..<hi { y[i] += c0 * r0[i] + c1 * r1[i] + c2 * r2[i] + c3 * r3[i] }
            j += 4
        }
    }
}
