// The single-threaded packed SGEMM behind `sgemm` (Goto/BLIS loop order), for any micro-kernel of the
// family in GemmMicroKernels.swift (tile mr×nr) and any blocking kc/mc/nc (a ``GemmChoice``):
//
//     for jc in n by nc:                      B block  op(B)[pc..<pc+kc, jc..<jc+nc] packed into nr-wide slivers
//       for pc in k by kc:
//         for ic in m by mc:                  A block  alpha·op(A)[ic..<ic+mc, pc..<pc+kc] packed into mr-tall slivers
//           pack A block
//           for ir in mc by mr:
//             for jr in nc by nr:         micro-kernel, mr×nr: for each element, starting from
//                                         s = beta'·C[i, j], s = fma(alpha·a[i, p], b[p, j], s) for p in the block
//
// beta' is the caller's beta for the first K block and 1 after it, so each element of C is one chain
//
//     s = beta·C[i, j];  s = fma(alpha·op(A)[i, p], op(B)[p, j], s)  for p = 0, 1, …, k − 1;  C[i, j] = s
//
// whatever the tile, the blocks or the thread split (``referenceSgemm`` computes it plainly, the test oracle).
// Packed slivers are zero-padded to full mr / nr (fma(0, b, s) = s), so the micro-kernel always runs whole
// slivers of B; at the edges of C only the valid part is read and written. An A sliver (mr×kc) sits in L1
// while the B slivers of the block (kc×nc, L2/L3) stream past it; the A block (mc×kc) is in L2.

/// Everything `sgemm` was called with; a value that may cross threads.
struct GemmOperands: @unchecked Sendable {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Float
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>, ldb: Int
    var beta: Float
    var c: UnsafeMutablePointer<Float>, ldc: Int
    /// The micro-kernel and blocking to compute with.
    var choice: GemmChoice
    /// op(B) already in the kernel's panel layout (``SgemmPackedB``); then `b`, `ldb` and `transB` are unused.
    var packedB: PackedPanels? = nil
    /// op(A) already in the kernel's sliver layout (``SgemmPackedB/packA(rows:a:lda:)``): K block pc at
    /// base + pc·paddedN (paddedN: the rows rounded up to whole slivers), its slivers kc·mr floats each; then `a`,
    /// `lda` and `transA` are unused, alpha is 1. Only on one thread over all the rows (the column-split recurrence).
    var packedA: PackedPanels? = nil
    /// Set when the columns from `second.from` on are a second product sharing op(A) (``sgemm(transA:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)``
    /// with two B and C): their op(B) is read from `second.b`, their C written to `second.c`, at column j − from.
    var second: SecondProduct? = nil

    /// The product that shares op(A) from column `from` (a multiple of nr, so that no sliver or tile holds
    /// columns of both) on: op(B) = B₂ stored k × (n − from) (not transposed, row stride ldb), C₂ (row stride ldc).
    struct SecondProduct {
        let from: Int
        let b: UnsafePointer<Float>
        var c: UnsafeMutablePointer<Float>
    }

    /// Where element (i, j) of C is: in the second product's C₂ for the columns that are its.
    @inline(__always)
    func cElement(row i: Int, column j: Int) -> UnsafeMutablePointer<Float> {
        if let second, j >= second.from { return second.c + i * ldc + (j - second.from) }
        return c + i * ldc + j
    }

    /// The same product restricted to rows rows.lowerBound..<rows.upperBound of C.
    func rows(_ rows: Range<Int>) -> GemmOperands {
        var s = self
        s.m = rows.count
        s.a = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
        s.c = c + rows.lowerBound * ldc
        s.second?.c += rows.lowerBound * ldc
        return s
    }

    /// The same product restricted to columns cols.lowerBound..<cols.upperBound of C.
    func columns(_ cols: Range<Int>) -> GemmOperands {
        precondition(second == nil, "two products sharing op(A) are cut by rows")
        var s = self
        s.n = cols.count
        s.b = transB ? b + cols.lowerBound * ldb : b + cols.lowerBound
        s.c = c + cols.lowerBound
        s.packedB?.firstSliver += cols.lowerBound / choice.kernel.nr // callers cut at multiples of nr
        return s
    }
}

/// Where the panels of a pre-packed op(B) are: K block pc starts at base + pc·paddedN and holds
/// paddedN / nr slivers of kc×nr floats; the product uses slivers from `firstSliver` on.
struct PackedPanels {
    let base: UnsafePointer<Float>
    let paddedN: Int
    var firstSliver: Int
}

/// Computes the whole product of `g` on the calling thread, packing into `ws`.
func gemmSerial(_ g: GemmOperands, _ ws: GemmWorkspace) {
    let choice = g.choice, kernel = choice.kernel, mr = kernel.mr, nr = kernel.nr
    var jc = 0
    while jc < g.n {
        let nc = min(choice.nc, g.n - jc)
        var pc = 0
        while pc < g.k {
            let kc = min(choice.kc, g.k - pc)
            let beta = pc == 0 ? g.beta : 1
            let bBlock: UnsafePointer<Float>
            if let panels = g.packedB {
                bBlock = panels.base + pc * panels.paddedN + (panels.firstSliver + jc / nr) * kc * nr
            } else {
                bBlock = UnsafePointer(ws.b)
                packB(g, rowsFrom: pc, count: kc, columnsFrom: jc, count: nc, into: ws.b)
            }
            var ic = 0
            while ic < g.m {
                let mc = min(choice.mc, g.m - ic)
                // The A block: packed here, or already (its slivers for rows ic… of K block pc).
                let aBlock: UnsafePointer<Float>
                if let panels = g.packedA {
                    aBlock = panels.base + pc * panels.paddedN + ic * kc
                } else {
                    aBlock = UnsafePointer(ws.a)
                    packA(g, rowsFrom: ic, count: mc, columnsFrom: pc, count: kc, into: ws.a)
                }
                // Along a strip of mr rows of C: the A sliver stays in L1, the B slivers stream from L2/L3,
                // and C is written row by row in order (prefetched, one page after another; walking C down
                // its columns instead cost 10–15% on the large products, in C's cache and TLB misses).
                // A last sliver of a few rows (e.g. 16 = 12 + 4 streams a thread) runs the kernel of that few
                // rows: a fraction of a tile's time instead of a whole tile's.
                var ir = 0
                while ir < mc {
                    let ap = aBlock + ir * kc, rows = min(mr, mc - ir)
                    var jr = 0
                    while jr < nc {
                        let out = TileOutput(c: g.cElement(row: ic + ir, column: jc + jr), ldc: g.ldc, beta: beta, rows: rows,
                                             cols: min(nr, nc - jr), scratch: ws.tile)
                        kernel.tile(rows, mr, kc, ap, bBlock + jr * kc, out)
                        jr += nr
                    }
                    ir += mr
                }
                ic += mc
            }
            pc += kc
        }
        jc += nc
    }
}

/// Packs alpha·op(A)[i0..<i0+mc, p0..<p0+kc] as ⌈mc/mr⌉ slivers; sliver s holds, for each p, the mr values
/// alpha·op(A)[i0+mr·s+r, p0+p] (r = 0..<mr, zero past row mc) at dst[s·mr·kc + mr·p + r].
@inline(never)
func packA(_ g: GemmOperands, rowsFrom i0: Int, count mc: Int, columnsFrom p0: Int, count kc: Int,
           into dst: UnsafeMutablePointer<Float>) {
    packA(unscaled: g, rowsFrom: i0, count: mc, columnsFrom: p0, count: kc, into: dst)
    if g.alpha != 1 {
        // alpha·op(A), rounded once per element as the chains' definition has it (padding stays 0).
        let packed = (mc + g.choice.kernel.mr - 1) / g.choice.kernel.mr * g.choice.kernel.mr * kc
        for i in 0..<packed { dst[i] *= g.alpha }
    }
}

/// ``packA(_:rowsFrom:count:columnsFrom:count:into:)`` without alpha.
private func packA(unscaled g: GemmOperands, rowsFrom i0: Int, count mc: Int, columnsFrom p0: Int, count kc: Int,
                   into dst: UnsafeMutablePointer<Float>) {
    let mr = g.choice.kernel.mr
    if g.transA {
        // op(A)[i, p] = a[p·lda + i]: walk each stored row once, mr consecutive floats to each sliver.
        // (Sliver by sliver instead, each row's cache line is fetched once per sliver; with lda a multiple
        // of 4 KiB, as the weight gradient's 4H·4 bytes often is, those lines alias in L1 and L2 and come
        // from L3 every time: 8% of a training step on the Zen 5.)
        packRowsIntoSlivers(g.a + p0 * g.lda + i0, ld: g.lda, rows: kc, count: mc, width: mr, into: dst)
        return
    }
    // op(A)[i, p] = a[i·lda + p]: each sliver's stored rows along p, by 4×4 transposes.
    for s in 0..<(mc + mr - 1) / mr {
        transposeIntoSliver(g.a + (i0 + s * mr) * g.lda + p0, ld: g.lda, count: min(mr, mc - s * mr), width: mr, kc: kc,
                            into: dst + s * mr * kc)
    }
}

/// Packs op(B)[p0..<p0+kc, j0..<j0+nc] as ⌈nc/nr⌉ slivers; sliver s holds, for each p, the nr values
/// op(B)[p0+p, j0+nr·s+c] (c = 0..<nr, zero past column nc) at dst[s·nr·kc + nr·p + c].
@inline(never)
func packB(_ g: GemmOperands, rowsFrom p0: Int, count kc: Int, columnsFrom j0: Int, count nc: Int,
           into dst: UnsafeMutablePointer<Float>) {
    let nr = g.choice.kernel.nr
    if let second = g.second, j0 + nc > second.from {
        // The block reaches the second product's columns: its B₂ after B's (whole slivers on both sides).
        let first = max(0, second.from - j0)
        if first > 0 { packRowsIntoSlivers(g.b + p0 * g.ldb + j0, ld: g.ldb, rows: kc, count: first, width: nr, into: dst) }
        packRowsIntoSlivers(second.b + p0 * g.ldb + (j0 + first - second.from), ld: g.ldb, rows: kc, count: nc - first,
                            width: nr, into: dst + first * kc)
        return
    }
    if !g.transB {
        // op(B)[p, j] = b[p·ldb + j]: walk each row of B once, nr consecutive floats to each sliver.
        packRowsIntoSlivers(g.b + p0 * g.ldb + j0, ld: g.ldb, rows: kc, count: nc, width: nr, into: dst)
        return
    }
    // op(B)[p, j] = b[j·ldb + p]: read each stored row (one column of op(B)) contiguously.
    for s in 0..<(nc + nr - 1) / nr {
        transposeIntoSliver(g.b + (j0 + s * nr) * g.ldb + p0, ld: g.ldb, count: min(nr, nc - s * nr), width: nr, kc: kc,
                            into: dst + s * nr * kc)
    }
}

/// Packs `rows` stored rows of `count` floats (row stride `ld`) as ⌈count/width⌉ slivers: sliver s holds,
/// for each row p, the `width` floats src[p·ld + width·s ..< p·ld + width·s + width] (zero past `count`)
/// at dst[s·width·rows + width·p].
///
/// Eight stored rows at a time are dealt out sliver by sliver: those rows stay in L1 (even when `ld` is a
/// multiple of 4 KiB and they share one cache set), and each sliver receives a contiguous run of 8·width
/// floats. Row by row over all slivers instead wrote lines width·rows·4 bytes apart, often a multiple of
/// 4 KiB, which evicted each other from L1 between rows (7–8% of a training step on the Zen 5).
private func packRowsIntoSlivers(_ src: UnsafePointer<Float>, ld: Int, rows: Int, count: Int, width: Int,
                                 into dst: UnsafeMutablePointer<Float>) {
    let full = count / width, valid = count - full * width
    var p0 = 0
    while p0 < rows {
        let p1 = min(p0 + 8, rows)
        for s in 0..<full {
            for p in p0..<p1 { copyFloats(src + p * ld + s * width, to: dst + (s * rows + p) * width, count: width) }
        }
        if valid > 0 {
            for p in p0..<p1 {
                let d = dst + (full * rows + p) * width
                copyFloats(src + p * ld + full * width, to: d, count: valid)
                for c in valid..<width { d[c] = 0 }
            }
        }
        p0 = p1
    }
}

/// dst[0..<count] = src[0..<count], 16 and 4 floats at a time (short runs, where memcpy's call costs more).
@inline(__always)
private func copyFloats(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    var c = 0
    while c + 16 <= count { store16(load16(src + c), dst + c); c += 16 }
    if c + 8 <= count { store8(load8(src + c), dst + c); c += 8 }
    while c + 4 <= count { store4(load4(src + c), dst + c); c += 4 }
    while c < count { dst[c] = src[c]; c += 1 }
}

/// d[width·p + r] = src[r·ld + p] for r < count, and 0 for count ≤ r < width (p < kc): `count` stored rows
/// that run along p into one interleaved sliver of `width`, four rows at a time by 4×4 transposes, the last
/// count mod 4 one by one. (A partial sliver, such as the last 11 of a thread's 25 rows in 14-row slivers in
/// S's recurrence, went element by element before: most of packing A's time there.)
private func transposeIntoSliver(_ src: UnsafePointer<Float>, ld: Int, count: Int, width: Int, kc: Int,
                                 into d: UnsafeMutablePointer<Float>) {
    var r = 0
    while r + 4 <= count {
        let r0 = src + r * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld
        var p = 0
        while p + 4 <= kc {
            let t = transpose4x4(load4(r0 + p), load4(r1 + p), load4(r2 + p), load4(r3 + p))
            let dp = d + p * width + r
            store4(t.0, dp); store4(t.1, dp + width); store4(t.2, dp + 2 * width); store4(t.3, dp + 3 * width)
            p += 4
        }
        for p in p..<kc {
            let dp = d + p * width + r
            dp[0] = r0[p]; dp[1] = r1[p]; dp[2] = r2[p]; dp[3] = r3[p]
        }
        r += 4
    }
    for r in r..<count {
        let row = src + r * ld
        for p in 0..<kc { d[p * width + r] = row[p] }
    }
    for r in count..<width {
        for p in 0..<kc { d[p * width + r] = 0 }
    }
}

/// The transpose of the 4×4 matrix with rows a, b, c, d (the SSE unpack/movlhps network).
@inline(__always)
private func transpose4x4(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
    -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    let ab0 = SIMD4(a[0], b[0], a[1], b[1]), ab1 = SIMD4(a[2], b[2], a[3], b[3])
    let cd0 = SIMD4(c[0], d[0], c[1], d[1]), cd1 = SIMD4(c[2], d[2], c[3], d[3])
    return (SIMD4(lowHalf: ab0.lowHalf, highHalf: cd0.lowHalf), SIMD4(lowHalf: ab0.highHalf, highHalf: cd0.highHalf),
            SIMD4(lowHalf: ab1.lowHalf, highHalf: cd1.lowHalf), SIMD4(lowHalf: ab1.highHalf, highHalf: cd1.highHalf))
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inline(__always)
private func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }

@inline(__always)
private func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}
