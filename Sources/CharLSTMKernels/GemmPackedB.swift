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

/// op(B) (k×n) in `sgemm`'s panel layout for one ``GemmChoice`` (its kernel's nr, its kc). Owns its memory;
/// reusable: ``pack(transB:b:ldb:rows:threads:)`` refills it for the product it will be used in, and storage made
/// for several shapes holds any one of them at a time (``reshape(k:n:)``), laid out for any kernel.
public final class SgemmPackedB: @unchecked Sendable {
    /// Depth (rows of op(B)).
    public private(set) var k: Int
    /// Width (columns of op(B)).
    public private(set) var n: Int
    /// The kernel and blocking whose layout the panels have, and which multiplies with them.
    public private(set) var choice: GemmChoice
    private(set) var paddedN: Int
    /// Floats allocated: enough for the largest shape it was made for.
    let capacity: Int
    let data: UnsafeMutablePointer<Float>
    /// The buffer `data` lies in when it is borrowed (``init(shapes:borrowing:)``), kept alive; nil when owned.
    private let lender: FloatBuffer?

    /// Storage for a k×n op(B); contents undefined until a `pack`.
    public convenience init(k: Int, n: Int) {
        self.init(shapes: [(k, n)])
    }

    /// Storage for an op(B) of any one of `shapes` at a time (k×n each), shaped as the first; one buffer for
    /// products that take turns, such as a layer's W_hhᵀ (forward) and W_hh (backward).
    public convenience init(shapes: [(k: Int, n: Int)]) {
        self.init(shapes: shapes, lender: nil)
    }

    /// As ``init(shapes:)``, in the memory of `buffer` (at least ``Capacity/floats`` of `shapes`) instead of its own:
    /// for panels used only while the buffer's owner is idle.
    public convenience init(shapes: [(k: Int, n: Int)], borrowing buffer: FloatBuffer) {
        self.init(shapes: shapes, lender: buffer)
    }

    /// Storage for `shapes` in `lender`'s memory, or allocated when it is nil.
    private init(shapes: [(k: Int, n: Int)], lender: FloatBuffer?) {
        precondition(!shapes.isEmpty && shapes.allSatisfy { $0.k >= 0 && $0.n >= 0 })
        k = shapes[0].k
        n = shapes[0].n
        choice = .standard(.selected)
        paddedN = Self.padded(n, choice.kernel)
        capacity = Capacity(shapes: shapes).floats
        precondition((lender?.count ?? capacity) >= capacity, "the borrowed buffer is too small")
        data = lender?.pointer ?? LargeMemory.allocateFloats(capacity)
        self.lender = lender
    }

    /// How much packed storage there is: enough to tell which shapes it holds, for whichever kernel.
    public struct Capacity: Sendable {
        /// Floats of storage.
        public let floats: Int

        /// The storage ``SgemmPackedB/init(shapes:)`` allocates for `shapes`. O(shapes).
        public init(shapes: [(k: Int, n: Int)]) {
            floats = max(1, shapes.map { $0.k * SgemmPackedB.widestPadding($0.n) }.max() ?? 0)
        }

        fileprivate init(floats: Int) { self.floats = floats }

        /// Whether an op(B) of k×n fits. O(kernels).
        public func holds(_ shape: (k: Int, n: Int)) -> Bool { shape.k * SgemmPackedB.widestPadding(shape.n) <= floats }
    }

    /// This storage's capacity.
    public var storage: Capacity { Capacity(floats: capacity) }

    /// Makes this storage hold a k×n op(B) (one of the shapes it was made for); contents undefined until
    /// the next `pack`. O(1).
    public func reshape(k: Int, n: Int) {
        precondition(k >= 0 && n >= 0 && storage.holds((k, n)), "the packed storage is too small")
        self.k = k
        self.n = n
        paddedN = Self.padded(n, choice.kernel)
    }

    /// n rounded up to whole panels of the kernel.
    private static func padded(_ n: Int, _ kernel: GemmKernel) -> Int { (n + kernel.nr - 1) / kernel.nr * kernel.nr }

    /// n rounded up to whole panels of the kernel that pads it most.
    private static func widestPadding(_ n: Int) -> Int { GemmKernel.all.map { padded(n, $0) }.max()! }

    deinit {
        if lender == nil { LargeMemory.deallocate(data) }
        if let rowsA { LargeMemory.deallocate(rowsA.baseAddress!) }
    }

    /// Storage for an op(A) packed for products with these panels (``packA(rows:a:lda:)``), grown when a larger
    /// one is asked for (the first product of a shape), then reused.
    private var rowsA: UnsafeMutableBufferPointer<Float>?
    /// Rows of the op(A) last prepared, rounded up to whole slivers of the kernel.
    private(set) var paddedRowsA = 0
    /// The packed op(A)'s storage.
    var packedRowsA: UnsafePointer<Float>? { rowsA.map { UnsafePointer($0.baseAddress!) } }

    /// Makes room for an op(A) of m rows (m×k, k this B's depth) in the layout of this B's kernel; contents
    /// undefined until ``packA(rows:a:lda:)``. Allocates only when m·k is larger than any before. O(1).
    public func prepareA(rows m: Int) {
        let mr = choice.kernel.mr
        paddedRowsA = (m + mr - 1) / mr * mr
        let needed = max(1, paddedRowsA * k)
        if (rowsA?.count ?? 0) < needed {
            if let rowsA { LargeMemory.deallocate(rowsA.baseAddress!) }
            rowsA = UnsafeMutableBufferPointer(start: LargeMemory.allocateFloats(needed), count: needed)
        }
    }

    /// Packs rows `rows` of A (stored m×k row-major, row stride lda; m as given to ``prepareA(rows:)``) into the
    /// prepared storage, every K block: what `sgemm` would pack for them, so that threads can each pack the rows
    /// they computed and then multiply all of them (``sgemm(packedA:m:packedB:columns:beta:c:ldc:)``).
    /// `rows.lowerBound` is a multiple of the kernel's mr (``aRowRanges(m:parts:)`` cuts such ranges). O(|rows|·k).
    public func packA(rows: Range<Int>, a: UnsafePointer<Float>, lda: Int) {
        precondition(rows.lowerBound % choice.kernel.mr == 0 && rows.upperBound <= paddedRowsA, "packed rows start at a sliver")
        guard !rows.isEmpty, let base = rowsA?.baseAddress else { return }
        let g = GemmOperands(transA: false, transB: false, m: rows.upperBound, n: 0, k: k, alpha: 1, a: a, lda: lda,
                             b: a, ldb: 0, beta: 0, c: base, ldc: 0, choice: choice)
        var pc = 0
        while pc < k {
            let kc = min(choice.kc, k - pc)
            CharLSTMKernels.packA(g, rowsFrom: rows.lowerBound, count: rows.count, columnsFrom: pc, count: kc,
                                  into: base + pc * paddedRowsA + rows.lowerBound * kc)
            pc += kc
        }
    }

    /// The m rows of an op(A) cut into `parts` ranges as even as whole slivers of the kernel allow, each starting
    /// at a multiple of its mr (some may be empty). O(parts).
    public func aRowRanges(m: Int, parts: Int) -> [Range<Int>] {
        let mr = choice.kernel.mr, slivers = (m + mr - 1) / mr
        return (0..<parts).map { part in
            min(m, slivers * part / parts * mr)..<min(m, slivers * (part + 1) / parts * mr)
        }
    }

    /// Packs op(B) for the products C[m×n] = op(A)[m×k]·op(B) of `rows` = m rows on `threads` threads, with the
    /// choice the active plan has for them (``GemmPlan``): B stored k×n with row stride ldb, or (transB) Bᵀ with
    /// B stored n×k. `columns`, when given, is the width of each product (a range of columns, see
    /// ``columnRanges(parts:)``) that the plan is looked up for. O(k·n).
    public func pack(transB: Bool, b: UnsafePointer<Float>, ldb: Int, rows: Int, columns: Int? = nil, threads: Int = 1) {
        let problem = GemmProblem(transA: false, transB: transB, m: rows, n: columns ?? n, k: k, prepackedB: true,
                                  threads: threads)
        pack(transB: transB, b: b, ldb: ldb, choice: GemmPlan.choice(for: problem))
    }

    /// Packs op(B) in the layout of `choice`. O(k·n).
    public func pack(transB: Bool, b: UnsafePointer<Float>, ldb: Int, choice: GemmChoice) {
        self.choice = choice
        paddedN = Self.padded(n, choice.kernel)
        // Only transB, b and ldb of these operands are read by packB.
        let g = GemmOperands(transA: false, transB: transB, m: 0, n: n, k: k, alpha: 1, a: b, lda: 0,
                             b: b, ldb: ldb, beta: 0, c: data, ldc: 0, choice: choice)
        var pc = 0
        while pc < k {
            let kc = min(choice.kc, k - pc)
            packB(g, rowsFrom: pc, count: kc, columnsFrom: 0, count: n, into: data + pc * paddedN)
            pc += kc
        }
    }
}

/// ``sgemm`` with op(B) pre-packed: C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, k and n from
/// `packedB`, computed by the kernel and blocking it was packed for. Same contract as `sgemm` otherwise (the
/// same chains; beta == 0 does not read C).
public func sgemm(transA: Bool, m: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, packedB: SgemmPackedB,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = 1) {
    let g = packedB.operands(transA: transA, m: m, alpha: alpha, a: a, lda: lda, beta: beta, c: c, ldc: ldc)
    withExtendedLifetime(packedB) { sgemmRun(g, threads: threads) }
}

/// ``sgemm(transA:m:alpha:a:lda:packedB:beta:c:ldc:threads:)`` restricted to the columns `columns` of op(B) and
/// of C, on the calling thread: C[:, columns] = alpha · op(A) · op(B)[:, columns] + beta · C[:, columns], `c`
/// being C's column 0. `columns` must start at a multiple of the packed kernel's `nr` (``columnRanges(of:parts:)``
/// cuts such ranges). Each element is the same chain as in the whole product, so a product cut into column ranges,
/// on any threads, gives the whole product's bits.
public func sgemm(transA: Bool, m: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, packedB: SgemmPackedB,
                  columns: Range<Int>, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    packedB.requireColumnRange(columns)
    guard !columns.isEmpty else { return }
    let g = packedB.operands(transA: transA, m: m, alpha: alpha, a: a, lda: lda, beta: beta, c: c, ldc: ldc)
    withExtendedLifetime(packedB) { sgemmRun(g.columns(columns), threads: 1) }
}

/// ``sgemm(transA:m:alpha:a:lda:packedB:columns:beta:c:ldc:)`` with op(A) = A (no transpose, alpha 1) already
/// packed in `packedB`'s A storage (``SgemmPackedB/packA(rows:a:lda:)``, all m rows): the same chains, so the
/// same bits as packing it here.
public func sgemm(packedAOf packedB: SgemmPackedB, m: Int, columns: Range<Int>, beta: Float,
                  c: UnsafeMutablePointer<Float>, ldc: Int) {
    packedB.requireColumnRange(columns)
    precondition(packedB.paddedRowsA >= m, "packA the rows first")
    guard !columns.isEmpty, let base = packedB.packedRowsA else { return }
    var g = packedB.operands(transA: false, m: m, alpha: 1, a: base, lda: 0, beta: beta, c: c, ldc: ldc)
    g.packedA = PackedPanels(base: base, paddedN: packedB.paddedRowsA, firstSliver: 0)
    withExtendedLifetime(packedB) { sgemmRun(g.columns(columns), threads: 1) }
}

extension SgemmPackedB {
    /// The operands of C = alpha · op(A) · (these panels) + beta · C, computed with the choice they were packed for.
    func operands(transA: Bool, m: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, beta: Float,
                  c: UnsafeMutablePointer<Float>, ldc: Int) -> GemmOperands {
        var g = GemmOperands(transA: transA, transB: false, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                             b: data, ldb: 0, beta: beta, c: c, ldc: ldc, choice: choice)
        g.packedB = PackedPanels(base: data, paddedN: paddedN, firstSliver: 0)
        return g
    }

    /// Traps unless `columns` is a range of op(B)'s columns starting at a whole panel (the column-range products).
    func requireColumnRange(_ columns: Range<Int>) {
        precondition(columns.lowerBound % choice.kernel.nr == 0 && columns.lowerBound >= 0 && columns.upperBound <= n,
                     "a column range of a packed product starts at a whole panel")
    }

    /// op(B)'s columns cut into `parts` ranges as even as whole panels of the packed kernel allow, each starting
    /// at a multiple of its `nr` (some may be empty when there are fewer panels than parts). O(parts).
    public func columnRanges(parts: Int) -> [Range<Int>] {
        let nr = choice.kernel.nr, panels = (n + nr - 1) / nr
        return (0..<parts).map { part in
            min(n, panels * part / parts * nr)..<min(n, panels * (part + 1) / parts * nr)
        }
    }
}
