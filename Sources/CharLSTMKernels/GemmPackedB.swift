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

/// op(B) (k×n) in `sgemm`'s panel layout. Owns its memory; reusable: ``pack(transB:b:ldb:)`` refills it, and
/// storage made for several shapes holds any one of them at a time (``reshape(k:n:)``).
public final class SgemmPackedB: @unchecked Sendable {
    /// Depth (rows of op(B)).
    public private(set) var k: Int
    /// Width (columns of op(B)).
    public private(set) var n: Int
    /// The micro-kernel whose layout the panels have, and which multiplies with them.
    public let kernel: GemmKernel
    private(set) var paddedN: Int
    /// Floats allocated: enough for the largest shape it was made for.
    let capacity: Int
    let data: UnsafeMutablePointer<Float>

    /// Storage for a k×n op(B) laid out for ``GemmKernel/selected``; contents undefined until
    /// ``pack(transB:b:ldb:)``.
    public convenience init(k: Int, n: Int) {
        self.init(k: k, n: n, kernel: .selected)
    }

    /// Storage for a k×n op(B) laid out for `kernel`.
    public convenience init(k: Int, n: Int, kernel: GemmKernel) {
        self.init(shapes: [(k, n)], kernel: kernel)
    }

    /// Storage for an op(B) of any one of `shapes` at a time (k×n each), shaped as the first; one buffer for
    /// products that take turns, such as a layer's W_hhᵀ (forward) and W_hh (backward).
    public init(shapes: [(k: Int, n: Int)], kernel: GemmKernel = .selected) {
        precondition(!shapes.isEmpty && shapes.allSatisfy { $0.k >= 0 && $0.n >= 0 })
        self.kernel = kernel
        k = shapes[0].k
        n = shapes[0].n
        paddedN = Self.padded(n, kernel)
        capacity = Capacity(shapes: shapes, kernel: kernel).floats
        data = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
    }

    /// How much packed storage there is, for whichever kernel: enough to tell which shapes it holds.
    public struct Capacity: Sendable {
        /// Floats of storage.
        public let floats: Int
        /// The kernel whose panel layout (and so padding) the storage is for.
        public let kernel: GemmKernel

        /// The storage ``SgemmPackedB/init(shapes:kernel:)`` allocates for `shapes`. O(shapes).
        public init(shapes: [(k: Int, n: Int)], kernel: GemmKernel = .selected) {
            self.kernel = kernel
            floats = max(1, shapes.map { $0.k * SgemmPackedB.padded($0.n, kernel) }.max() ?? 0)
        }

        fileprivate init(floats: Int, kernel: GemmKernel) {
            self.floats = floats
            self.kernel = kernel
        }

        /// Whether an op(B) of k×n fits. O(1).
        public func holds(_ shape: (k: Int, n: Int)) -> Bool { shape.k * SgemmPackedB.padded(shape.n, kernel) <= floats }
    }

    /// This storage's capacity.
    public var storage: Capacity { Capacity(floats: capacity, kernel: kernel) }

    /// Makes this storage hold a k×n op(B) (one of the shapes it was made for); contents undefined until
    /// the next ``pack(transB:b:ldb:)``. O(1).
    public func reshape(k: Int, n: Int) {
        precondition(k >= 0 && n >= 0 && storage.holds((k, n)), "the packed storage is too small")
        self.k = k
        self.n = n
        paddedN = Self.padded(n, kernel)
    }

    /// n rounded up to whole panels of the kernel.
    private static func padded(_ n: Int, _ kernel: GemmKernel) -> Int { (n + kernel.nr - 1) / kernel.nr * kernel.nr }

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
