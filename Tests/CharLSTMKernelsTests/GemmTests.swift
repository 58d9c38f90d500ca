import Testing
@testable import CharLSTMKernels

/// `sgemm`'s contract: every element of C is one chain of FMAs in the order of k (``referenceSgemm``), so every
/// kernel, blocking and thread split gives the same bits; and that chain is accurate (``naiveSgemm``, in Double).
@Suite struct GemmTests {
    @Test func naiveMatchesHandComputed() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: .nan, count: 4), chain = c
        naiveSgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2,
                   beta: 0, c: &c, ldc: 2)
        referenceSgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2,
                       beta: 0, c: &chain, ldc: 2)
        #expect(c == [19, 22, 43, 50] && chain == c)
    }

    /// One case: the fast product (with `choice`, split in `parts` threads when > 0, through the public entry
    /// points when `choice` is nil) against the reference chains. Returns whether every element of C has the
    /// reference's bits and the columns past n kept theirs. `packed` pre-packs op(B).
    private func sameBits(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float, parts: Int,
                          packed: Bool = false, choice: GemmChoice?, seed: UInt64) -> Bool {
        var rng = TestRandom(seed: seed)
        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5
        let a = rng.floats((transA ? k : m) * lda), b = rng.floats((transB ? n : k) * ldb)
        let c0 = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : rng.floats(m * ldc)
        var fast = c0, slow = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                fast.withUnsafeMutableBufferPointer { pc in
                    let picked = choice ?? GemmPlan.choice(for: GemmProblem(transA: transA, transB: transB, m: m, n: n, k: k))
                    let g = GemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                         a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                                         c: pc.baseAddress!, ldc: ldc, choice: picked)
                    if packed {
                        let panels = SgemmPackedB(k: k, n: n)
                        panels.pack(transB: transB, b: g.b, ldb: ldb, choice: picked)
                        if parts > 0 {
                            var gp = g
                            gp.packedB = PackedPanels(base: panels.data, paddedN: panels.paddedN, firstSliver: 0)
                            withExtendedLifetime(panels) { sgemmSplit(gp, parts: parts) }
                        } else {
                            sgemm(transA: transA, m: m, alpha: alpha, a: g.a, lda: lda, packedB: panels, beta: beta,
                                  c: g.c, ldc: ldc)
                        }
                    } else if parts > 0 {
                        sgemmSplit(g, parts: parts)
                    } else if choice == nil {
                        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: g.a, lda: lda,
                              b: g.b, ldb: ldb, beta: beta, c: g.c, ldc: ldc, threads: 1)
                    } else {
                        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: g.a, lda: lda,
                              b: g.b, ldb: ldb, beta: beta, c: g.c, ldc: ldc, threads: 1, choice: picked)
                    }
                }
            }
        }
        referenceSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                       beta: beta, c: &slow, ldc: ldc)
        // Equal bits everywhere: C's elements, and the padding past column n (NaN stays NaN, with its payload).
        return fast.map(\.bitPattern) == slow.map(\.bitPattern)
    }

    /// Every micro-kernel, whatever this machine is, with each of the four transpose combinations.
    static let kernelsAndTransposes = GemmKernel.all.map(\.name).flatMap { name in
        [(false, false), (false, true), (true, false), (true, true)].map { KernelCase(kernel: name, transA: $0.0, transB: $0.1) }
    }

    struct KernelCase: Sendable, CustomTestStringConvertible {
        let kernel: String, transA: Bool, transB: Bool
        var testDescription: String { "\(kernel) \(transA ? "T" : "N")\(transB ? "T" : "N")" }
        var choice: GemmChoice { .standard(GemmKernel.named(kernel)!) }
    }

    @Test func kernelsAreUniqueWholeAndFitTheirRegisterFiles() {
        #expect(Set(GemmKernel.all.map(\.name)).count == GemmKernel.all.count)
        for isa in VectorISA.allCases {
            #expect(GemmKernel.preferred(for: isa).isa == isa)
            #expect(GemmKernel.candidates(for: isa).contains(GemmKernel.preferred(for: isa)))
        }
        for kernel in GemmKernel.all {
            let choice = GemmChoice.standard(kernel)
            #expect(choice.isValid && choice.mc % kernel.mr == 0 && choice.nc % kernel.nr == 0 && kernel.nr % 4 == 0, "\(kernel)")
            // The edge kernels cover every row count up to mr without reading past the sliver.
            #expect([1, 2, 3, 4, 6, 8, 12, 14, 16, 24].contains(kernel.mr), "\(kernel)")
            #expect(kernel.registers <= (kernel.isa == .avx2 || kernel.isa == .portable ? 16 : 32), "\(kernel)")
        }
        #expect(GemmKernel.candidates(for: .avx2).allSatisfy { $0.lanes == 8 && $0.registers <= 16 })
        #expect(GemmKernel.named(GemmKernel.selected.name) != nil)
    }

    @Test func referenceChainsAreAccurate() {
        // The chains agree with Double accumulation within rounding: |error| ≤ 1e-5·Σ|terms| + 1e-6.
        for (index, s) in oddShapes(maxWork: 120_000).enumerated() {
            var rng = TestRandom(seed: UInt64(index))
            let a = rng.floats(s.m * s.k), b = rng.floats(s.k * s.n), c0 = rng.floats(s.m * s.n)
            var chain = c0, exact = c0, bound = [Float](repeating: 0, count: s.m * s.n)
            referenceSgemm(transA: false, transB: false, m: s.m, n: s.n, k: s.k, alpha: 0.5, a: a, lda: s.k, b: b,
                           ldb: s.n, beta: -1, c: &chain, ldc: s.n)
            naiveSgemm(transA: false, transB: false, m: s.m, n: s.n, k: s.k, alpha: 0.5, a: a, lda: s.k, b: b,
                       ldb: s.n, beta: -1, c: &exact, ldc: s.n)
            naiveSgemm(transA: false, transB: false, m: s.m, n: s.n, k: s.k, alpha: 0.5, a: a.map(abs), lda: s.k,
                       b: b.map(abs), ldb: s.n, beta: 0, c: &bound, ldc: s.n)
            for i in chain.indices {
                #expect(abs(chain[i] - exact[i]) <= 1e-5 * (bound[i] + abs(c0[i])) + 1e-6, "\(s) element \(i)")
            }
        }
    }

    @Test(arguments: kernelsAndTransposes)
    func everyKernelGivesTheReferenceBitsOnOddShapes(_ t: KernelCase) {
        let coefficients: [(alpha: Float, beta: Float)] = [(1, 0), (-0.5, 1), (2, -0.25), (1, 1)]
        for (index, s) in oddShapes(maxWork: 120_000).enumerated() {
            let (alpha, beta) = coefficients[index % coefficients.count]
            #expect(sameBits(m: s.m, n: s.n, k: s.k, transA: t.transA, transB: t.transB, alpha: alpha, beta: beta,
                             parts: 0, choice: t.choice, seed: UInt64(index)),
                    "m \(s.m) n \(s.n) k \(s.k) alpha \(alpha) beta \(beta)")
        }
    }

    @Test(arguments: kernelsAndTransposes)
    func everyTileShapeAndEdgeKernelAtTheEdges(_ t: KernelCase) {
        // m every row count up to two tiles (each edge kernel), n one below, at and one above whole tiles, k
        // crossing the K block.
        let kernel = GemmKernel.named(t.kernel)!
        var index = 0
        for m in 1...(2 * kernel.mr + 1) {
            for n in [kernel.nr - 1, kernel.nr, kernel.nr + 1] {
                index += 1
                let (k, beta): (Int, Float) = [(1, 0), (259, 1), (9, -0.5)][index % 3]
                #expect(sameBits(m: m, n: n, k: k, transA: t.transA, transB: t.transB, alpha: 0.5, beta: beta,
                                 parts: 0, packed: index % 2 == 0, choice: t.choice, seed: 500 + UInt64(index)),
                        "m \(m) n \(n) k \(k) beta \(beta)")
            }
        }
    }

    @Test(arguments: kernelsAndTransposes)
    func everyBlockingAndSplitGivesTheSameBits(_ t: KernelCase) {
        // K blocks from 8 to 512, A blocks of one tile to many, B blocks of one sliver, split rows or columns.
        let kernel = GemmKernel.named(t.kernel)!
        let choices = [GemmChoice(kernel: kernel, kc: 8, rows: kernel.mr, columns: kernel.nr, split: .rows),
                       GemmChoice(kernel: kernel, kc: 128, rows: 2 * kernel.mr, split: .columns),
                       GemmChoice(kernel: kernel, kc: 384, rows: 240, split: .larger),
                       GemmChoice(kernel: kernel, kc: 512, rows: 72, columns: 2 * kernel.nr, split: .rows)]
        let cases: [(m: Int, n: Int, k: Int, beta: Float, parts: Int)] = [
            (7, 17, 531, 0.5, 1), (150, 17, 9, 0, 2), (3, 130, 5, 1, 1), (33, 65, 300, 0, 2),
            (65, 33, 17, -1, 3), (2, 130, 7, 0, 2), (130, 2, 7, 1, 2), (1, 1, 1, 0, 2),
        ]
        for (index, s) in cases.enumerated() {
            for (c, choice) in choices.enumerated() {
                for packed in [false, true] {
                    #expect(sameBits(m: s.m, n: s.n, k: s.k, transA: t.transA, transB: t.transB, alpha: 0.75, beta: s.beta,
                                     parts: s.parts, packed: packed, choice: choice, seed: 1000 + UInt64(index)),
                            "m \(s.m) n \(s.n) k \(s.k) beta \(s.beta) parts \(s.parts) choice \(c) packed \(packed)")
                }
            }
        }
    }

    /// Two products sharing op(A) give the bits of each alone, for every kernel, both op(A), blockings whose blocks
    /// of B end inside either product, rows cut between 3 threads, and an n the tile width does not divide (run one
    /// after the other); the columns past n of both C keep theirs.
    @Test(arguments: GemmKernel.all.map(\.name), [false, true])
    func twoProductsSharingAGiveTheBitsOfEachAlone(kernelName: String, transA: Bool) {
        let kernel = GemmKernel.named(kernelName)!
        let choices = [GemmChoice(kernel: kernel, kc: 8, rows: kernel.mr, columns: kernel.nr, split: .columns),
                       GemmChoice(kernel: kernel, kc: 128, rows: 2 * kernel.mr, columns: 3 * kernel.nr, split: .rows),
                       GemmChoice.standard(kernel)]
        let cases: [(m: Int, n: Int, k: Int, beta: Float, threads: Int)] = [
            (37, 2 * kernel.nr, 300, 1, 2), (5, kernel.nr, 9, 0, 1), (70, 3 * kernel.nr, 33, 0.5, 3), (9, kernel.nr + 4, 20, 1, 2),
            (300, (64 + kernel.nr - 1) / kernel.nr * kernel.nr, 500, 1, 3),  // big enough to be cut between threads
        ]
        #expect(GemmProblem(transA: transA, transB: false, m: 300, n: 128, k: 500, threads: 3).parts == 3)
        for (index, s) in cases.enumerated() {
            var rng = TestRandom(seed: 77 + UInt64(index))
            let lda = (transA ? s.m : s.k) + 3, ldb = s.n + 2, ldc = s.n + 5
            let a = rng.floats((transA ? s.k : s.m) * lda), b1 = rng.floats(s.k * ldb), b2 = rng.floats(s.k * ldb)
            let c1 = rng.floats(s.m * ldc), c2 = rng.floats(s.m * ldc)
            var expected1 = c1, expected2 = c2
            referenceSgemm(transA: transA, transB: false, m: s.m, n: s.n, k: s.k, alpha: 0.75, a: a, lda: lda, b: b1, ldb: ldb,
                           beta: s.beta, c: &expected1, ldc: ldc)
            referenceSgemm(transA: transA, transB: false, m: s.m, n: s.n, k: s.k, alpha: 0.75, a: a, lda: lda, b: b2, ldb: ldb,
                           beta: s.beta, c: &expected2, ldc: ldc)
            for (c, choice) in choices.enumerated() {
                var fast1 = c1, fast2 = c2
                b1.withUnsafeBufferPointer { q1 in
                    b2.withUnsafeBufferPointer { q2 in
                        fast1.withUnsafeMutableBufferPointer { p1 in
                            fast2.withUnsafeMutableBufferPointer { p2 in
                                sgemm(transA: transA, m: s.m, n: s.n, k: s.k, alpha: 0.75, a: a, lda: lda,
                                      b: (q1.baseAddress!, q2.baseAddress!), ldb: ldb, beta: s.beta,
                                      c: (p1.baseAddress!, p2.baseAddress!), ldc: ldc, threads: s.threads, choice: choice)
                            }
                        }
                    }
                }
                let same = fast1.map(\.bitPattern) == expected1.map(\.bitPattern) && fast2.map(\.bitPattern) == expected2.map(\.bitPattern)
                #expect(same, "m \(s.m) n \(s.n) k \(s.k) threads \(s.threads) choice \(c)")
            }
        }
    }

    @Test func publicEntryWithThreadsGivesTheReferenceBits() {
        // Big enough (2·m·n·k ≥ 2²⁴ flops) that sgemm itself decides to use 2 threads.
        for packed in [false, true] {
            #expect(sameBits(m: 64, n: 256, k: 513, transA: false, transB: true, alpha: 1, beta: 0, parts: 0,
                             packed: packed, choice: nil, seed: 7))
        }
    }

    @Test func zeroDepthOrZeroAlphaOnlyScalesC() {
        var c: [Float] = [1, 2, 3, 4, .nan, .nan]
        let a: [Float] = [.nan], b: [Float] = [.nan]
        sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: a, lda: 1, b: b, ldb: 2,
              beta: 2, c: &c, ldc: 3)
        #expect(c[0] == 2 && c[1] == 4 && c[2] == 3 && c[3] == 8 && c[4].isNaN)
        sgemm(transA: false, transB: false, m: 2, n: 2, k: 1, alpha: 0, a: a, lda: 1, b: b, ldb: 2,
              beta: 0, c: &c, ldc: 3)
        #expect(c[0] == 0 && c[1] == 0 && c[3] == 0 && c[4] == 0 && c[2] == 3 && c[5].isNaN)
    }

    /// Storage made for two shapes holds either in turn: W_hhᵀ (k 40, n 300) then W_hh (k 300, n 40), as a
    /// training pass packs them, for kernels of different widths, each product equal to the unpacked one bit for bit.
    @Test func packedStorageTakesEachOfItsShapesInTurnForAnyKernel() {
        var rng = TestRandom(seed: 5)
        let (m, h, g) = (9, 40, 300)
        let w = rng.floats(g * h), x = rng.floats(m * h), dg = rng.floats(m * g)
        let panels = SgemmPackedB(shapes: [(k: h, n: g), (k: g, n: h)])
        for (i, forward) in [true, false, true, false].enumerated() {
            let (k, n, a) = forward ? (h, g, x) : (g, h, dg)
            var viaPanels = [Float](repeating: 0, count: m * n), direct = viaPanels
            panels.reshape(k: k, n: n)
            panels.pack(transB: forward, b: w, ldb: h, choice: .standard(GemmKernel.all[i * 3 % GemmKernel.all.count]))
            sgemm(transA: false, m: m, alpha: 1, a: a, lda: k, packedB: panels, beta: 0, c: &viaPanels, ldc: n)
            sgemm(transA: false, transB: forward, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: w, ldb: h, beta: 0,
                  c: &direct, ldc: n)
            #expect(viaPanels.map(\.bitPattern) == direct.map(\.bitPattern))
            #expect(panels.k == k && panels.n == n)
        }
    }

    /// Random A (m×k), C (m×n) and Bᵀ (n×k) packed for `kernel` with its standard blocking.
    static func packedProduct(kernel: GemmKernel, m: Int, n: Int, k: Int, seed: UInt64)
        -> (a: [Float], c: [Float], packed: SgemmPackedB) {
        var rng = TestRandom(seed: seed)
        let a = rng.floats(m * k), b = rng.floats(n * k), c = rng.floats(m * n)
        let packed = SgemmPackedB(k: k, n: n)
        b.withUnsafeBufferPointer { packed.pack(transB: true, b: $0.baseAddress!, ldb: k, choice: GemmChoice(kernel: kernel)) }
        return (a, c, packed)
    }

    /// A packed product cut into column ranges (the training recurrence's split between threads) gives the whole
    /// product's bits with every kernel, on widths that do and do not fill the last panel.
    @Test(arguments: GemmKernel.all, [84, 2048])
    func columnRangesOfAPackedProductGiveTheWholeProductsBits(kernel: GemmKernel, n: Int) {
        let m = 20, k = 21
        let (a, c0, packed) = Self.packedProduct(kernel: kernel, m: m, n: n, k: k, seed: UInt64(n))
        var whole = c0, cut = c0
        for parts in [2, 3] {
            let ranges = packed.columnRanges(parts: parts)
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == n)
            #expect(ranges.allSatisfy { $0.lowerBound % kernel.nr == 0 })
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            cut = c0
            a.withUnsafeBufferPointer { ap in
                whole = c0
                whole.withUnsafeMutableBufferPointer {
                    sgemm(transA: false, m: m, alpha: 1, a: ap.baseAddress!, lda: k, packedB: packed, beta: 1, c: $0.baseAddress!, ldc: n)
                }
                cut.withUnsafeMutableBufferPointer { cp in
                    for range in ranges.reversed() {
                        sgemm(transA: false, m: m, alpha: 1, a: ap.baseAddress!, lda: k, packedB: packed, columns: range, beta: 1,
                              c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            #expect(whole.map(\.bitPattern) == cut.map(\.bitPattern), "\(kernel.name), \(parts) parts: \(ranges)")
        }
    }

    /// Rows of A packed ahead by parts (each thread packing the rows it computed, in any order) and then multiplied
    /// by column ranges give the bits of the whole product, with every kernel, over several K blocks and slivers
    /// that do and do not fill up.
    @Test(arguments: GemmKernel.all, [20, 37])
    func rowsOfAPackedAheadGiveTheWholeProductsBits(kernel: GemmKernel, m: Int) {
        let n = 96, k = 600
        let (a, c0, packed) = Self.packedProduct(kernel: kernel, m: m, n: n, k: k, seed: UInt64(m))
        var whole = c0
        a.withUnsafeBufferPointer { ap in
            whole.withUnsafeMutableBufferPointer {
                sgemm(transA: false, m: m, alpha: 1, a: ap.baseAddress!, lda: k, packedB: packed, beta: 1, c: $0.baseAddress!, ldc: n)
            }
        }
        for parts in [1, 2, 3] {
            let rows = packed.aRowRanges(m: m, parts: parts)
            #expect(rows.first?.lowerBound == 0 && rows.last?.upperBound == m)
            #expect(rows.allSatisfy { $0.lowerBound % kernel.mr == 0 || $0.isEmpty })
            packed.prepareA(rows: m)
            a.withUnsafeBufferPointer { ap in
                for range in rows.reversed() { packed.packA(rows: range, a: ap.baseAddress!, lda: k) }
            }
            var cut = c0
            cut.withUnsafeMutableBufferPointer { cp in
                for range in packed.columnRanges(parts: 2) {
                    sgemm(packedAOf: packed, m: m, columns: range, beta: 1, c: cp.baseAddress!, ldc: n)
                }
            }
            #expect(whole.map(\.bitPattern) == cut.map(\.bitPattern), "\(kernel.name), m \(m), \(parts) parts")
        }
    }
}
