#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The register-blocked micro-kernels of `sgemm`, one family per vector ISA.
//
// Every micro-kernel computes rows 0..<N of one mr×nr tile of C from an mr-tall sliver of packed A (its values
// `stride` = mr apart per p) and an nr-wide sliver of packed B (layouts in GemmKernel.swift), each element of C
// as one chain of fused multiply-adds in the order of p:
//
//     s = C[r, j]            (beta' = 1: a later K block, or the caller's beta = 1)
//         beta · C[r, j]     (the caller's beta, first K block; 0 without reading C)
//     s = fma(a[stride·p + r], b[nr·p + j], s)      p = 0, 1, …, kc − 1
//     C[r, j] = s                                   r < rows, j < cols (the part of the tile inside C)
//
// so the value of every element is the same chain whatever the tile, the K block or the thread split: every
// kernel and every blocking gives the same bits (alpha is folded into packed A). The N·nr accumulators live in
// vector registers for the whole p loop; each p loads the nr floats of B once (nr / lanes vectors) and
// broadcasts each of the N values of A, one FMA per accumulator vector. Registers: mr·nr/lanes accumulators +
// nr/lanes B vectors + 1 broadcast, which sets the shapes:
//
//   name              vector   tile    accumulators  registers / file   for
//   avx2-6x16         SIMD8    6×16    12            15 / 16 ymm        AVX2 (Zen 1–3, Intel Haswell on)
//   avx2-4x24         SIMD8    4×24    12            16 / 16 ymm
//   avx512-ymm-8x24   SIMD8    8×24    24            28 / 32 ymm        AVX-512 split in halves (Zen 4)
//   avx512-ymm-12x16  SIMD8    12×16   24            27 / 32 ymm
//   avx512-ymm-6x32   SIMD8    6×32    24            29 / 32 ymm
//   avx512-ymm-14x16  SIMD8    14×16   28            31 / 32 ymm
//   avx512-zmm-4x48   SIMD16   4×48    12            16 / 32 zmm        AVX-512 at full width (Zen 5, Intel)
//   avx512-zmm-6x32   SIMD16   6×32    12            15 / 32 zmm
//   avx512-zmm-8x48   SIMD16   8×48    24            28 / 32 zmm
//   avx512-zmm-12x32  SIMD16   12×32   24            27 / 32 zmm
//   avx512-zmm-14x32  SIMD16   14×32   28            31 / 32 zmm
//   avx512-zmm-6x64   SIMD16   6×64    24            29 / 32 zmm
//   avx512-zmm-24x16  SIMD16   24×16   24            26 / 32 zmm        narrow C (the decoder's V columns)
//   neon-8x12         SIMD4    8×12    24            28 / 32 q          arm64
//   portable-4x8      SIMD4    4×8     8             11                 anything else
//
// With 2 FMA pipes of 4 cycles' latency, 8 independent accumulators keep them busy; 24 also hide the loads.
// The last sliver of A, when it has fewer rows than mr (16 rows a thread with a 12-row tile), runs the
// smallest kernel of 1, 2, 3, 4, 6, 8, 12, 14, 16 or 24 rows that covers them (the edge kernels): the same
// chains for those rows, in a fraction of a tile's time.
// All variants compile on every host (`-target-cpu native` maps a SIMD16 to two ymm registers on AVX2, to
// four q registers on arm64), so all are tested everywhere; which is fast where, the planner measures.

/// A SIMD vector of floats the micro-kernels accumulate in (concrete SIMD4/8/16<Float> operations).
protocol KernelVector {
    static var lanes: Int { get }
    init()
    init(repeating: Float)
    init(loadingFrom p: UnsafeRawPointer, byteOffset: Int)
    func store(to p: UnsafeMutableRawPointer, byteOffset: Int)
    /// self += a · b, one fused multiply-add per lane.
    mutating func fma(_ a: Self, _ b: Self)
    /// alpha · self.
    func scaled(_ alpha: Float) -> Self
}

extension KernelVector where Self: SIMD {
    @inline(__always) init(loadingFrom p: UnsafeRawPointer, byteOffset: Int) {
        self = p.loadUnaligned(fromByteOffset: byteOffset, as: Self.self)
    }
    @inline(__always) func store(to p: UnsafeMutableRawPointer, byteOffset: Int) {
        p.storeBytes(of: self, toByteOffset: byteOffset, as: Self.self)
    }
}

// The arithmetic itself stays on the concrete types, whose operations are single vector instructions.
extension SIMD4: KernelVector where Scalar == Float {
    static var lanes: Int { 4 }
    @inline(__always) mutating func fma(_ a: Self, _ b: Self) { addProduct(a, b) }
    @inline(__always) func scaled(_ alpha: Float) -> Self { alpha * self }
}

extension SIMD8: KernelVector where Scalar == Float {
    static var lanes: Int { 8 }
    @inline(__always) mutating func fma(_ a: Self, _ b: Self) { addProduct(a, b) }
    @inline(__always) func scaled(_ alpha: Float) -> Self { alpha * self }
}

extension SIMD16: KernelVector where Scalar == Float {
    static var lanes: Int { 16 }
    @inline(__always) mutating func fma(_ a: Self, _ b: Self) { addProduct(a, b) }
    @inline(__always) func scaled(_ alpha: Float) -> Self { alpha * self }
}

/// One row of a micro-tile's accumulators: `width` floats as a few vectors.
protocol TileRow: SendableMetatype {
    static var width: Int { get }
    static var vectors: Int { get }
    init()
    /// The `width` floats at p.
    init(loadingFrom p: UnsafeRawPointer)
    /// self += a · b (a broadcast to every lane), one FMA per lane.
    mutating func add(_ a: Float, times b: Self)
    /// beta · self.
    func scaled(_ beta: Float) -> Self
    /// c[0..<width] ← self.
    func store(to c: UnsafeMutablePointer<Float>)
}

/// A row of one vector.
struct Row1<V: KernelVector>: TileRow {
    var v0 = V()
    static var width: Int { V.lanes }
    static var vectors: Int { 1 }
    @inline(__always) init() {}
    @inline(__always) init(loadingFrom p: UnsafeRawPointer) { v0 = V(loadingFrom: p, byteOffset: 0) }
    @inline(__always) mutating func add(_ a: Float, times b: Self) { v0.fma(V(repeating: a), b.v0) }
    @inline(__always) func scaled(_ beta: Float) -> Self { var r = self; r.v0 = v0.scaled(beta); return r }
    @inline(__always) func store(to c: UnsafeMutablePointer<Float>) { v0.store(to: UnsafeMutableRawPointer(c), byteOffset: 0) }
}

/// A row of two vectors.
struct Row2<V: KernelVector>: TileRow {
    var v0 = V(), v1 = V()
    static var width: Int { 2 * V.lanes }
    static var vectors: Int { 2 }
    @inline(__always) init() {}
    @inline(__always) init(loadingFrom p: UnsafeRawPointer) {
        v0 = V(loadingFrom: p, byteOffset: 0)
        v1 = V(loadingFrom: p, byteOffset: 4 * V.lanes)
    }
    @inline(__always) mutating func add(_ a: Float, times b: Self) {
        let s = V(repeating: a)
        v0.fma(s, b.v0); v1.fma(s, b.v1)
    }
    @inline(__always) func scaled(_ beta: Float) -> Self {
        var r = self; r.v0 = v0.scaled(beta); r.v1 = v1.scaled(beta); return r
    }
    @inline(__always) func store(to c: UnsafeMutablePointer<Float>) {
        let p = UnsafeMutableRawPointer(c), n = 4 * V.lanes
        v0.store(to: p, byteOffset: 0); v1.store(to: p, byteOffset: n)
    }
}

/// A row of three vectors.
struct Row3<V: KernelVector>: TileRow {
    var v0 = V(), v1 = V(), v2 = V()
    static var width: Int { 3 * V.lanes }
    static var vectors: Int { 3 }
    @inline(__always) init() {}
    @inline(__always) init(loadingFrom p: UnsafeRawPointer) {
        v0 = V(loadingFrom: p, byteOffset: 0)
        v1 = V(loadingFrom: p, byteOffset: 4 * V.lanes)
        v2 = V(loadingFrom: p, byteOffset: 8 * V.lanes)
    }
    @inline(__always) mutating func add(_ a: Float, times b: Self) {
        let s = V(repeating: a)
        v0.fma(s, b.v0); v1.fma(s, b.v1); v2.fma(s, b.v2)
    }
    @inline(__always) func scaled(_ beta: Float) -> Self {
        var r = self; r.v0 = v0.scaled(beta); r.v1 = v1.scaled(beta); r.v2 = v2.scaled(beta); return r
    }
    @inline(__always) func store(to c: UnsafeMutablePointer<Float>) {
        let p = UnsafeMutableRawPointer(c), n = 4 * V.lanes
        v0.store(to: p, byteOffset: 0); v1.store(to: p, byteOffset: n); v2.store(to: p, byteOffset: 2 * n)
    }
}

/// A row of four vectors.
struct Row4<V: KernelVector>: TileRow {
    var v0 = V(), v1 = V(), v2 = V(), v3 = V()
    static var width: Int { 4 * V.lanes }
    static var vectors: Int { 4 }
    @inline(__always) init() {}
    @inline(__always) init(loadingFrom p: UnsafeRawPointer) {
        v0 = V(loadingFrom: p, byteOffset: 0)
        v1 = V(loadingFrom: p, byteOffset: 4 * V.lanes)
        v2 = V(loadingFrom: p, byteOffset: 8 * V.lanes)
        v3 = V(loadingFrom: p, byteOffset: 12 * V.lanes)
    }
    @inline(__always) mutating func add(_ a: Float, times b: Self) {
        let s = V(repeating: a)
        v0.fma(s, b.v0); v1.fma(s, b.v1); v2.fma(s, b.v2); v3.fma(s, b.v3)
    }
    @inline(__always) func scaled(_ beta: Float) -> Self {
        var r = self
        r.v0 = v0.scaled(beta); r.v1 = v1.scaled(beta); r.v2 = v2.scaled(beta); r.v3 = v3.scaled(beta)
        return r
    }
    @inline(__always) func store(to c: UnsafeMutablePointer<Float>) {
        let p = UnsafeMutableRawPointer(c), n = 4 * V.lanes
        v0.store(to: p, byteOffset: 0); v1.store(to: p, byteOffset: n)
        v2.store(to: p, byteOffset: 2 * n); v3.store(to: p, byteOffset: 3 * n)
    }
}

/// Where a micro-tile's chains start and end: C at `c` (row stride ldc), of which the first `rows`×`cols` are
/// inside the matrix; `scratch` holds one row for tiles at the edge.
struct TileOutput {
    let c: UnsafeMutablePointer<Float>, ldc: Int
    /// What C is multiplied by before the chains add to it: 0 (C not read), 1, or the caller's beta.
    let beta: Float
    let rows: Int, cols: Int
    let scratch: UnsafeMutablePointer<Float>

    /// The start of row r's chains: beta · C[r, 0..<cols] (0 past the matrix and when beta == 0).
    @inline(__always)
    func start<R: TileRow>(row r: Int) -> R {
        if beta == 0 || r >= rows { return R() }
        let row: R
        if cols == R.width {
            row = R(loadingFrom: c + r * ldc)
        } else {
            let cr = c + r * ldc
            for j in 0..<cols { scratch[j] = cr[j] }
            for j in cols..<R.width { scratch[j] = 0 }
            row = R(loadingFrom: scratch)
        }
        return beta == 1 ? row : row.scaled(beta)
    }

    /// Stores row r's finished chains: whole when the tile is inside C, else its valid part through `scratch`.
    @inline(__always)
    func finish<R: TileRow>(_ acc: R, row r: Int) {
        guard r < rows else { return }
        if cols == R.width {
            acc.store(to: c + r * ldc)
        } else {
            acc.store(to: scratch)
            let cr = c + r * ldc
            for j in 0..<cols { cr[j] = scratch[j] }
        }
    }
}

/// The signature of a tile kernel: (rows, stride, kc, packed A, packed B, destination) computes the first
/// `rows` rows of a tile whose A sliver holds `stride` (the kernel's mr) values per p.
typealias TileKernel = @Sendable (Int, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, TileOutput) -> Void

/// A block of a tile's rows of accumulators, rows r..<r + `rows` of the tile: one, two or four rows, or two
/// blocks stacked. The blocks are values the compiler keeps in registers (everything here is inlined into the
/// kernel's loop), so a kernel of N rows is one loop over a block of N rows.
protocol RowBlock {
    associatedtype Row: TileRow
    static var rows: Int { get }
    /// The starts of the chains of rows r..<r + rows (``TileOutput/start(row:)``).
    init(_ out: TileOutput, from r: Int)
    /// Row i += a[i] · b for each row i of the block (a points at the block's first row's value).
    mutating func add(_ a: UnsafePointer<Float>, times b: Row)
    /// Stores rows r..<r + rows (``TileOutput/finish(_:row:)``).
    func finish(_ out: TileOutput, from r: Int)
}

struct OneRow<R: TileRow>: RowBlock {
    var c0: R
    static var rows: Int { 1 }
    @inline(__always) init(_ out: TileOutput, from r: Int) { c0 = out.start(row: r) }
    @inline(__always) mutating func add(_ a: UnsafePointer<Float>, times b: R) { c0.add(a[0], times: b) }
    @inline(__always) func finish(_ out: TileOutput, from r: Int) { out.finish(c0, row: r) }
}

struct TwoRows<R: TileRow>: RowBlock {
    var c0: R, c1: R
    static var rows: Int { 2 }
    @inline(__always) init(_ out: TileOutput, from r: Int) { c0 = out.start(row: r); c1 = out.start(row: r + 1) }
    @inline(__always) mutating func add(_ a: UnsafePointer<Float>, times b: R) { c0.add(a[0], times: b); c1.add(a[1], times: b) }
    @inline(__always) func finish(_ out: TileOutput, from r: Int) { out.finish(c0, row: r); out.finish(c1, row: r + 1) }
}

struct FourRows<R: TileRow>: RowBlock {
    var c0: R, c1: R, c2: R, c3: R
    static var rows: Int { 4 }
    @inline(__always) init(_ out: TileOutput, from r: Int) {
        c0 = out.start(row: r); c1 = out.start(row: r + 1); c2 = out.start(row: r + 2); c3 = out.start(row: r + 3)
    }
    @inline(__always) mutating func add(_ a: UnsafePointer<Float>, times b: R) {
        c0.add(a[0], times: b); c1.add(a[1], times: b); c2.add(a[2], times: b); c3.add(a[3], times: b)
    }
    @inline(__always) func finish(_ out: TileOutput, from r: Int) {
        out.finish(c0, row: r); out.finish(c1, row: r + 1); out.finish(c2, row: r + 2); out.finish(c3, row: r + 3)
    }
}

/// Block A's rows, then block B's.
struct Stacked<A: RowBlock, B: RowBlock>: RowBlock where A.Row == B.Row {
    var a: A, b: B
    static var rows: Int { A.rows + B.rows }
    @inline(__always) init(_ out: TileOutput, from r: Int) { a = A(out, from: r); b = B(out, from: r + A.rows) }
    @inline(__always) mutating func add(_ p: UnsafePointer<Float>, times v: A.Row) { a.add(p, times: v); b.add(p + A.rows, times: v) }
    @inline(__always) func finish(_ out: TileOutput, from r: Int) { a.finish(out, from: r); b.finish(out, from: r + A.rows) }
}

/// Micro-kernels of 1 to 24 rows whose rows are `R` (see the file header).
enum MicroTile<R: TileRow> {
    typealias Eight = Stacked<FourRows<R>, FourRows<R>>
    typealias Twelve = Stacked<Eight, FourRows<R>>

    /// Rows 0..<rows (≤ stride, the tile's mr) by the smallest kernel that covers them; none reads past
    /// row `stride` of the sliver, as long as the tile's mr is one of the counts 1, 2, 3, 4, 6, 8, 12, 14, 16, 24.
    static func run(_ rows: Int, _ stride: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                    _ out: TileOutput) {
        switch rows {
        case 1: kernel(OneRow<R>.self, stride, kc, a, b, out)
        case 2: kernel(TwoRows<R>.self, stride, kc, a, b, out)
        case 3: kernel(Stacked<TwoRows<R>, OneRow<R>>.self, stride, kc, a, b, out)
        case 4: kernel(FourRows<R>.self, stride, kc, a, b, out)
        case 5, 6: kernel(Stacked<FourRows<R>, TwoRows<R>>.self, stride, kc, a, b, out)
        case 7, 8: kernel(Eight.self, stride, kc, a, b, out)
        case 9...12: kernel(Twelve.self, stride, kc, a, b, out)
        case 13, 14: kernel(Stacked<Twelve, TwoRows<R>>.self, stride, kc, a, b, out)
        case 15, 16: kernel(Stacked<Eight, Eight>.self, stride, kc, a, b, out)
        default: kernel(Stacked<Twelve, Twelve>.self, stride, kc, a, b, out)
        }
    }

    /// The kernel of `Block.rows` rows: their chains over p = 0..<kc, one B load and one broadcast FMA per row
    /// and vector each p (see the file header).
    @inline(never)
    static func kernel<Block: RowBlock>(_: Block.Type, _ stride: Int, _ kc: Int, _ a: UnsafePointer<Float>,
                                        _ b: UnsafePointer<Float>, _ out: TileOutput) where Block.Row == R {
        var acc = Block(out, from: 0)
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            acc.add(pa, times: R(loadingFrom: pb))
            pa += stride
            pb += 4 * R.width
        }
        acc.finish(out, from: 0)
    }
}
