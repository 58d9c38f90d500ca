// The single-threaded packed SGEMM behind `sgemm` (Goto/BLIS loop order).
//
//     for jc in n by nc:                      B block  op(B)[pc..<pc+kc, jc..<jc+nc] packed into nr-wide slivers
//       for pc in k by kc:
//         for ic in m by mc:                  A block  op(A)[ic..<ic+mc, pc..<pc+kc] packed into mr-tall slivers
//           pack A block
//           for jr in nc by nr:
//             if ic == 0: pack B sliver jr    (transposed B; plain B is packed before the ic loop)
//             for ir in mc by mr:         micro-kernel, mr×nr = 6×16:
//               C[ir.., jr..] = alpha · Σ_p Ap[p][0..<mr] ⊗ Bp[p][0..<nr] + beta' · C[ir.., jr..]
//
// beta' is the caller's beta for the first K block and 1 after it, so C = alpha·op(A)·op(B) + beta·C.
// Packed slivers are zero-padded to full mr / nr, so the micro-kernel always runs a full 6×16 tile; edge
// tiles go through a scratch tile and only their valid part is written to C.
//
// Tuned for AVX2 + FMA (the build machine, AMD Zen 3, has no AVX-512): sixteen 256-bit registers hold the
// 12 SIMD8 accumulators of the 6×16 tile, two B vectors and one broadcast A value. The A block (144×256
// floats) sits in L2, a B sliver (256×16) in L1.

/// Everything `sgemm` was called with; a value that may cross threads.
struct GemmOperands: @unchecked Sendable {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Float
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>, ldb: Int
    var beta: Float
    var c: UnsafeMutablePointer<Float>, ldc: Int
    /// op(B) already in panel layout (``SgemmPackedB``); then `b`, `ldb` and `transB` are unused.
    var packedB: PackedPanels? = nil

    /// The same product restricted to rows rows.lowerBound..<rows.upperBound of C.
    func rows(_ rows: Range<Int>) -> GemmOperands {
        var s = self
        s.m = rows.count
        s.a = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
        s.c = c + rows.lowerBound * ldc
        return s
    }

    /// The same product restricted to columns cols.lowerBound..<cols.upperBound of C.
    func columns(_ cols: Range<Int>) -> GemmOperands {
        var s = self
        s.n = cols.count
        s.b = transB ? b + cols.lowerBound * ldb : b + cols.lowerBound
        s.c = c + cols.lowerBound
        s.packedB?.firstSliver += cols.lowerBound / GemmBlocking.nr // callers cut at multiples of nr
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
    let mr = GemmBlocking.mr, nr = GemmBlocking.nr
    var jc = 0
    while jc < g.n {
        let nc = min(GemmBlocking.nc, g.n - jc)
        var pc = 0
        while pc < g.k {
            let kc = min(GemmBlocking.kc, g.k - pc)
            let beta = pc == 0 ? g.beta : 1
            let bBlock: UnsafePointer<Float>
            var packSliversLazily = false
            if let panels = g.packedB {
                bBlock = panels.base + pc * panels.paddedN + (panels.firstSliver + jc / nr) * kc * nr
            } else {
                bBlock = UnsafePointer(ws.b)
                if g.transB {
                    // Packed sliver by sliver during the first A block, below: the transposing pack then
                    // overlaps with arithmetic and leaves each sliver in L1 for its micro-kernels.
                    packSliversLazily = true
                } else {
                    // A plain copy, best done a whole row of B at a time (rows far apart in memory
                    // would otherwise collide in the cache, 16 floats from each).
                    packB(g, rowsFrom: pc, count: kc, columnsFrom: jc, count: nc, into: ws.b)
                }
            }
            var ic = 0
            while ic < g.m {
                let mc = min(GemmBlocking.mc, g.m - ic)
                packA(g, rowsFrom: ic, count: mc, columnsFrom: pc, count: kc, into: ws.a)
                var jr = 0
                while jr < nc {
                    let bp = bBlock + jr * kc
                    let cols = min(nr, nc - jr)
                    if ic == 0 && packSliversLazily {
                        packB(g, rowsFrom: pc, count: kc, columnsFrom: jc + jr, count: cols, into: ws.b + jr * kc)
                    }
                    var ir = 0
                    while ir < mc {
                        microKernel6x16(kc: kc, a: ws.a + ir * kc, b: bp, alpha: g.alpha, beta: beta,
                                        c: g.c + (ic + ir) * g.ldc + jc + jr, ldc: g.ldc,
                                        rows: min(mr, mc - ir), cols: cols, tile: ws.tile)
                        ir += mr
                    }
                    jr += nr
                }
                ic += mc
            }
            pc += kc
        }
        jc += nc
    }
}

/// Packs op(A)[i0..<i0+mc, p0..<p0+kc] as ⌈mc/6⌉ slivers; sliver s holds, for each p, the 6 values
/// op(A)[i0+6s+r, p0+p] (r = 0..<6, zero past row mc) at dst[s·6·kc + 6p + r].
@inline(never)
private func packA(_ g: GemmOperands, rowsFrom i0: Int, count mc: Int, columnsFrom p0: Int, count kc: Int,
                   into dst: UnsafeMutablePointer<Float>) {
    let mr = GemmBlocking.mr
    var s = 0
    while s * mr < mc {
        let d = dst + s * mr * kc
        let rows = min(mr, mc - s * mr)
        let i = i0 + s * mr
        if g.transA {
            // op(A)[i, p] = a[p·lda + i]: each p reads `rows` consecutive floats.
            for p in 0..<kc {
                let src = g.a + (p0 + p) * g.lda + i
                let dp = d + p * mr
                if rows == mr {
                    dp[0] = src[0]; dp[1] = src[1]; dp[2] = src[2]; dp[3] = src[3]; dp[4] = src[4]; dp[5] = src[5]
                } else {
                    for r in 0..<rows { dp[r] = src[r] }
                    for r in rows..<mr { dp[r] = 0 }
                }
            }
        } else if rows == mr {
            // op(A)[i, p] = a[i·lda + p]: rows 0–3 by 4×4 transposes, rows 4–5 as pairs.
            let r0 = g.a + i * g.lda + p0, r1 = r0 + g.lda, r2 = r1 + g.lda, r3 = r2 + g.lda
            let r4 = r3 + g.lda, r5 = r4 + g.lda
            var p = 0
            while p + 4 <= kc {
                let t = transpose4x4(load4(r0 + p), load4(r1 + p), load4(r2 + p), load4(r3 + p))
                let u = load4(r4 + p), v = load4(r5 + p)
                let dp = d + p * mr
                store4(t.0, dp); store2(SIMD2(u[0], v[0]), dp + 4)
                store4(t.1, dp + 6); store2(SIMD2(u[1], v[1]), dp + 10)
                store4(t.2, dp + 12); store2(SIMD2(u[2], v[2]), dp + 16)
                store4(t.3, dp + 18); store2(SIMD2(u[3], v[3]), dp + 22)
                p += 4
            }
            for p in p..<kc {
                let dp = d + p * mr
                dp[0] = r0[p]; dp[1] = r1[p]; dp[2] = r2[p]; dp[3] = r3[p]; dp[4] = r4[p]; dp[5] = r5[p]
            }
        } else {
            packEdgeSliver(g.a + i * g.lda + p0, ld: g.lda, count: rows, width: mr, kc: kc, into: d)
        }
        s += 1
    }
}

/// Packs op(B)[p0..<p0+kc, j0..<j0+nc] as ⌈nc/16⌉ slivers; sliver s holds, for each p, the 16 values
/// op(B)[p0+p, j0+16s+c] (c = 0..<16, zero past column nc) at dst[s·16·kc + 16p + c].
@inline(never)
func packB(_ g: GemmOperands, rowsFrom p0: Int, count kc: Int, columnsFrom j0: Int, count nc: Int,
           into dst: UnsafeMutablePointer<Float>) {
    let nr = GemmBlocking.nr
    let slivers = (nc + nr - 1) / nr
    if !g.transB {
        // op(B)[p, j] = b[p·ldb + j]: walk each row of B once, 16 consecutive floats to each sliver.
        let full = nc / nr
        for p in 0..<kc {
            let src = g.b + (p0 + p) * g.ldb + j0
            for s in 0..<full {
                UnsafeMutableRawPointer(dst + (s * kc + p) * nr)
                    .storeBytes(of: UnsafeRawPointer(src + s * nr).loadUnaligned(as: SIMD16<Float>.self),
                                as: SIMD16<Float>.self)
            }
            if full < slivers {
                var v = SIMD16<Float>()
                for c in 0..<(nc - full * nr) { v[c] = src[full * nr + c] }
                UnsafeMutableRawPointer(dst + (full * kc + p) * nr).storeBytes(of: v, as: SIMD16<Float>.self)
            }
        }
        return
    }
    // op(B)[p, j] = b[j·ldb + p]: read each stored row (one column of op(B)) contiguously.
    for s in 0..<slivers {
        let d = dst + s * nr * kc
        let cols = min(nr, nc - s * nr)
        let j = j0 + s * nr
        if cols == nr {
            transposeSliver(g.b + j * g.ldb + p0, ldb: g.ldb, kc: kc, into: d)
        } else {
            packEdgeSliver(g.b + j * g.ldb + p0, ld: g.ldb, count: cols, width: nr, kc: kc, into: d)
        }
    }
}

/// d[width·p + r] = src[r·ld + p] for r < count, and 0 for count ≤ r < width (p < kc): a sliver at the
/// edge of the matrix, whose stored rows run along p.
private func packEdgeSliver(_ src: UnsafePointer<Float>, ld: Int, count: Int, width: Int, kc: Int,
                            into d: UnsafeMutablePointer<Float>) {
    for r in 0..<count {
        let row = src + r * ld
        for p in 0..<kc { d[p * width + r] = row[p] }
    }
    for r in count..<width {
        for p in 0..<kc { d[p * width + r] = 0 }
    }
}

/// d[16p + c] = src[c·ldb + p] for c in 0..<16, p in 0..<kc: 16 stored rows into one interleaved sliver,
/// by 4×4 transposes.
@inline(__always)
private func transposeSliver(_ src: UnsafePointer<Float>, ldb: Int, kc: Int, into d: UnsafeMutablePointer<Float>) {
    for c in stride(from: 0, to: 16, by: 4) {
        let r0 = src + c * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb
        var p = 0
        while p + 4 <= kc {
            let t = transpose4x4(load4(r0 + p), load4(r1 + p), load4(r2 + p), load4(r3 + p))
            let dp = d + p * 16 + c
            store4(t.0, dp); store4(t.1, dp + 16); store4(t.2, dp + 32); store4(t.3, dp + 48)
            p += 4
        }
        for p in p..<kc {
            d[p * 16 + c] = r0[p]; d[p * 16 + c + 1] = r1[p]; d[p * 16 + c + 2] = r2[p]; d[p * 16 + c + 3] = r3[p]
        }
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
private func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }

@inline(__always)
private func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

@inline(__always)
private func store2(_ v: SIMD2<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD2<Float>.self)
}

/// The register-blocked 6×16 micro-kernel: twelve SIMD8 accumulators (two per row), one FMA each per p.
///
///     acc[r] = Σ_{p<kc} a[6p + r] · b[16p ..< 16p+16]
///     C[r, 0..<cols] = alpha · acc[r] + beta · C[r, 0..<cols]   for r < rows (C not read when beta == 0)
///
/// The accumulators are SIMD8 rather than SIMD16 so that, on AVX2's sixteen 256-bit registers, the 12
/// accumulators + 2 B vectors + 1 broadcast stay in registers (with SIMD16 the compiler spills).
@inline(__always)
private func microKernel6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, alpha: Float, beta: Float,
                             c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                             tile: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    var pa = a, pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = pb.loadUnaligned(as: V.self)
        let b1 = pb.loadUnaligned(fromByteOffset: 32, as: V.self)
        var ai = V(repeating: pa[0])
        c00.addProduct(ai, b0); c01.addProduct(ai, b1)
        ai = V(repeating: pa[1])
        c10.addProduct(ai, b0); c11.addProduct(ai, b1)
        ai = V(repeating: pa[2])
        c20.addProduct(ai, b0); c21.addProduct(ai, b1)
        ai = V(repeating: pa[3])
        c30.addProduct(ai, b0); c31.addProduct(ai, b1)
        ai = V(repeating: pa[4])
        c40.addProduct(ai, b0); c41.addProduct(ai, b1)
        ai = V(repeating: pa[5])
        c50.addProduct(ai, b0); c51.addProduct(ai, b1)
        pa += 6
        pb += 64
    }
    if rows == 6 && cols == 16 {
        storeRow(c00, c01, c + 0 * ldc, alpha: alpha, beta: beta)
        storeRow(c10, c11, c + 1 * ldc, alpha: alpha, beta: beta)
        storeRow(c20, c21, c + 2 * ldc, alpha: alpha, beta: beta)
        storeRow(c30, c31, c + 3 * ldc, alpha: alpha, beta: beta)
        storeRow(c40, c41, c + 4 * ldc, alpha: alpha, beta: beta)
        storeRow(c50, c51, c + 5 * ldc, alpha: alpha, beta: beta)
    } else {
        storeRow(c00, c01, tile + 0 * 16, alpha: 1, beta: 0)
        storeRow(c10, c11, tile + 1 * 16, alpha: 1, beta: 0)
        storeRow(c20, c21, tile + 2 * 16, alpha: 1, beta: 0)
        storeRow(c30, c31, tile + 3 * 16, alpha: 1, beta: 0)
        storeRow(c40, c41, tile + 4 * 16, alpha: 1, beta: 0)
        storeRow(c50, c51, tile + 5 * 16, alpha: 1, beta: 0)
        for r in 0..<rows {
            let cr = c + r * ldc, tr = tile + r * 16
            if beta == 0 {
                for j in 0..<cols { cr[j] = alpha * tr[j] }
            } else {
                for j in 0..<cols { cr[j] = alpha * tr[j] + beta * cr[j] }
            }
        }
    }
}

/// C row[0..<16] ← alpha · (lo, hi) + beta · C row (C not read when beta == 0).
@inline(__always)
private func storeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>,
                      alpha: Float, beta: Float) {
    let p = UnsafeMutableRawPointer(c)
    if beta == 0 {
        p.storeBytes(of: alpha * lo, as: SIMD8<Float>.self)
        p.storeBytes(of: alpha * hi, toByteOffset: 32, as: SIMD8<Float>.self)
    } else {
        let oldLo = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        let oldHi = UnsafeRawPointer(p).loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        p.storeBytes(of: (beta * oldLo).addingProduct(alpha, lo), as: SIMD8<Float>.self)
        p.storeBytes(of: (beta * oldHi).addingProduct(alpha, hi), toByteOffset: 32, as: SIMD8<Float>.self)
    }
}
