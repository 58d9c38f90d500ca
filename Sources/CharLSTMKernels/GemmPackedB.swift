// A right-hand operand packed once and multiplied many times.
//
// `sgemm` packs op(B) into 16-column panels on every call. When the same B is used again and again — the
// recurrent weights W_hh, multiplied once per time step with the batch's hidden state — pack it once per
// weight update with ``SgemmPackedB/pack(transB:b:ldb:)`` and call the `packedB:` overload of `sgemm`:
//
//     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C       (op(B) as packed)
//
// Layout (the micro-kernel's, which the panels remember): for each K block starting at row pc (depth
// kc = min(kernel.kc, k − pc)), ⌈n/nr⌉ slivers of kc×nr floats, column j of the sliver zero past n; K block
// pc starts at offset pc·paddedN.

/// op(B) (k×n) in `sgemm`'s panel layout. Owns its memory; reusable: ``pack(transB:b:ldb:)`` refills it.
public final class SgemmPackedB: @unchecked Sendable {
    /// Depth (rows of op(B)).
    public let k: Int
    /// Width (columns of op(B)).
    public let n: Int
    /// The micro-kernel whose layout the panels have, and which multiplies with them.
    public let kernel: GemmKernel
    let paddedN: Int
    let data: UnsafeMutablePointer<Float>

    /// Storage for a k×n op(B) laid out for ``GemmKernel/selected``; contents undefined until
    /// ``pack(transB:b:ldb:)``.
    public convenience init(k: Int, n: Int) {
        self.init(k: k, n: n, kernel: .selected)
    }

    /// Storage for a k×n op(B) laid out for `kernel`.
    public init(k: Int, n: Int, kernel: GemmKernel) {
        precondition(k >= 0 && n >= 0)
        self.k = k
        self.n = n
        self.kernel = kernel
        paddedN = (n + kernel.nr - 1) / kernel.nr * kernel.nr
        let count = max(1, k * paddedN)
        data = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    deinit { UnsafeMutableRawPointer(data).deallocate() }

    /// Packs op(B): B stored k×n with row stride ldb, or (transB) Bᵀ with B stored n×k.
    public func pack(transB: Bool, b: UnsafePointer<Float>, ldb: Int) {
        // Only transB, b and ldb of these operands are read by packB.
        let g = GemmOperands(transA: false, transB: transB, m: 0, n: n, k: k, alpha: 1, a: b, lda: 0,
                             b: b, ldb: ldb, beta: 0, c: data, ldc: 0, kernel: kernel)
        var pc = 0
        while pc < k {
            let kc = min(kernel.kc, k - pc)
            packB(g, rowsFrom: pc, count: kc, columnsFrom: 0, count: n, into: data + pc * paddedN)
            pc += kc
        }
    }
}

/// ``sgemm`` with op(B) pre-packed: C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, k and n from
/// `packedB`, computed by the kernel it was packed for. Same contract as `sgemm` otherwise (beta == 0 does
/// not read C).
public func sgemm(transA: Bool, m: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, packedB: SgemmPackedB,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = 1) {
    var g = GemmOperands(transA: transA, transB: false, m: m, n: packedB.n, k: packedB.k, alpha: alpha,
                         a: a, lda: lda, b: packedB.data, ldb: 0, beta: beta, c: c, ldc: ldc,
                         kernel: packedB.kernel)
    g.packedB = PackedPanels(base: packedB.data, paddedN: packedB.paddedN, firstSliver: 0)
    withExtendedLifetime(packedB) { sgemmRun(g, threads: threads) }
}
