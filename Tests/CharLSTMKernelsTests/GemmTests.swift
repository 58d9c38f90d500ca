import Testing
@testable import CharLSTMKernels

@Suite struct GemmTests {
    @Test func naiveMatchesHandComputed() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: .nan, count: 4)
        naiveSgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2,
                   beta: 0, c: &c, ldc: 2)
        #expect(c == [19, 22, 43, 50])
    }

    /// Runs fast and naive on one case and returns the worst error relative to the bound
    /// 1e-5·(|alpha|·Σ_p |a_ip·b_pj| + |beta·c_ij|) + 1e-6; also checks C's padding columns are untouched.
    /// `parts` > 0 forces that many threads through the split path; `packed` pre-packs op(B); `kernel` names
    /// the micro-kernel (nil: the one selected for this machine, through the public entry points).
    private func worstError(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float,
                            parts: Int, packed: Bool = false, kernel name: String?, seed: UInt64) -> Float {
        let kernel = name.map { GemmKernel.named($0)! } ?? .selected
        var rng = TestRandom(seed: seed)
        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5
        let a = rng.floats((transA ? k : m) * lda), b = rng.floats((transB ? n : k) * ldb)
        let c0 = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : rng.floats(m * ldc)
        var fast = c0, slow = c0, bound = [Float](repeating: 0, count: m * ldc)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                fast.withUnsafeMutableBufferPointer { pc in
                    let g = GemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                         a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                                         c: pc.baseAddress!, ldc: ldc, kernel: kernel)
                    if packed {
                        let panels = name == nil ? SgemmPackedB(k: k, n: n) : SgemmPackedB(k: k, n: n, kernel: kernel)
                        panels.pack(transB: transB, b: g.b, ldb: ldb)
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
                    } else if name == nil {
                        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: g.a, lda: lda,
                              b: g.b, ldb: ldb, beta: beta, c: g.c, ldc: ldc, threads: 1)
                    } else {
                        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: g.a, lda: lda,
                              b: g.b, ldb: ldb, beta: beta, c: g.c, ldc: ldc, threads: 1, kernel: kernel)
                    }
                }
            }
        }
        naiveSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: &slow, ldc: ldc)
        naiveSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: abs(alpha), a: a.map(abs), lda: lda,
                   b: b.map(abs), ldb: ldb, beta: 0, c: &bound, ldc: ldc)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<ldc {
                let idx = i * ldc + j
                if j >= n {
                    // Padding past column n must keep its old value (NaN stays NaN).
                    if !(fast[idx] == c0[idx] || (fast[idx].isNaN && c0[idx].isNaN)) { return .infinity }
                    continue
                }
                let tol = 1e-5 * (bound[idx] + (beta == 0 ? 0 : abs(beta * c0[idx]))) + 1e-6
                let err = abs(fast[idx] - slow[idx]) / tol
                if !(err <= worst) { worst = err.isNaN ? .infinity : err }
            }
        }
        return worst
    }

    /// Every micro-kernel, whatever this machine is, with each of the four transpose combinations.
    static let kernelsAndTransposes = GemmKernel.all.map(\.name).flatMap { name in
        [(false, false), (false, true), (true, false), (true, true)].map { KernelCase(kernel: name, transA: $0.0, transB: $0.1) }
    }

    struct KernelCase: Sendable, CustomTestStringConvertible {
        let kernel: String, transA: Bool, transB: Bool
        var testDescription: String { "\(kernel) \(transA ? "T" : "N")\(transB ? "T" : "N")" }
    }

    @Test func everyISAHasItsKernelAndNamesAreUnique() {
        #expect(Set(GemmKernel.all.map(\.name)).count == GemmKernel.all.count)
        for isa in VectorISA.allCases { #expect(GemmKernel.preferred(for: isa).isa == isa) }
        for kernel in GemmKernel.all {
            #expect(kernel.mc % kernel.mr == 0 && kernel.nc % kernel.nr == 0 && kernel.nr % 4 == 0, "\(kernel)")
        }
        #expect(GemmKernel.named(GemmKernel.selected.name) != nil)
    }

    @Test(arguments: kernelsAndTransposes)
    func fastMatchesNaiveOnOddShapes(_ t: KernelCase) {
        let coefficients: [(alpha: Float, beta: Float)] = [(1, 0), (-0.5, 1), (2, -0.25), (1, 1)]
        for (index, s) in oddShapes(maxWork: 120_000).enumerated() {
            let (alpha, beta) = coefficients[index % coefficients.count]
            let err = worstError(m: s.m, n: s.n, k: s.k, transA: t.transA, transB: t.transB, alpha: alpha, beta: beta,
                                 parts: 0, kernel: t.kernel, seed: UInt64(index))
            #expect(err <= 1, "m \(s.m) n \(s.n) k \(s.k) alpha \(alpha) beta \(beta)")
        }
    }

    @Test(arguments: kernelsAndTransposes)
    func everyTileShapeAtTheEdges(_ t: KernelCase) {
        // m and n one below, at and one above whole tiles, k crossing the kernel's K block (beta applied once).
        let kernel = GemmKernel.named(t.kernel)!
        var index = 0
        for m in [kernel.mr - 1, kernel.mr, kernel.mr + 1, 2 * kernel.mr + 1] where m > 0 {
            for n in [kernel.nr - 1, kernel.nr, kernel.nr + 1] {
                for (k, beta) in [(1, Float(0)), (kernel.kc + 3, 1), (9, -0.5)] {
                    index += 1
                    let err = worstError(m: m, n: n, k: k, transA: t.transA, transB: t.transB, alpha: 0.5, beta: beta,
                                         parts: 0, packed: index % 2 == 0, kernel: t.kernel, seed: 500 + UInt64(index))
                    #expect(err <= 1, "m \(m) n \(n) k \(k) beta \(beta)")
                }
            }
        }
    }

    @Test(arguments: kernelsAndTransposes)
    func blockBoundariesAndThreads(_ t: KernelCase) {
        // k > 256 crosses the K block (beta applied once), m > 144 the M block, n > 3072 the N block.
        let cases: [(m: Int, n: Int, k: Int, beta: Float, parts: Int)] = [
            (7, 17, 257, 0.5, 1), (150, 17, 9, 0, 2), (3, 3080, 5, 1, 1), (33, 65, 31, 0, 2),
            (65, 33, 17, -1, 3), (2, 130, 7, 0, 2), (130, 2, 7, 1, 2), (1, 1, 1, 0, 2),
        ]
        for (index, s) in cases.enumerated() {
            let err = worstError(m: s.m, n: s.n, k: s.k, transA: t.transA, transB: t.transB, alpha: 0.75, beta: s.beta,
                                 parts: s.parts, kernel: t.kernel, seed: 1000 + UInt64(index))
            #expect(err <= 1, "m \(s.m) n \(s.n) k \(s.k) beta \(s.beta) parts \(s.parts)")
        }
    }

    @Test(arguments: kernelsAndTransposes)
    func prePackedBMatchesNaive(_ t: KernelCase) {
        let cases: [(m: Int, n: Int, k: Int, beta: Float, parts: Int)] = [
            (7, 17, 257, 0.5, 0), (15, 33, 65, 0, 0), (1, 1, 1, 1, 0), (3, 3080, 5, 1, 2),
            (33, 65, 31, 0, 2), (150, 17, 9, -1, 2), (17, 130, 2, 0, 3),
        ]
        for (index, s) in cases.enumerated() {
            let err = worstError(m: s.m, n: s.n, k: s.k, transA: t.transA, transB: t.transB, alpha: -1.5, beta: s.beta,
                                 parts: s.parts, packed: true, kernel: t.kernel, seed: 2000 + UInt64(index))
            #expect(err <= 1, "m \(s.m) n \(s.n) k \(s.k) beta \(s.beta) parts \(s.parts)")
        }
    }

    @Test func publicEntryWithThreadsMatchesNaive() {
        // Big enough (2·m·n·k ≥ 2²⁴ flops) that sgemm itself decides to use 2 threads.
        for packed in [false, true] {
            let err = worstError(m: 64, n: 256, k: 513, transA: false, transB: true, alpha: 1, beta: 0, parts: 0,
                                 packed: packed, kernel: nil, seed: 7)
            #expect(err <= 1)
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
    /// training pass packs them, each product equal to the unpacked one bit for bit.
    @Test func packedStorageTakesEachOfItsShapesInTurn() {
        var rng = TestRandom(seed: 5)
        let (m, h, g) = (9, 40, 300)
        let w = rng.floats(g * h), x = rng.floats(m * h), dg = rng.floats(m * g)
        let panels = SgemmPackedB(shapes: [(k: h, n: g), (k: g, n: h)])
        for forward in [true, false, true] {
            let (k, n, a) = forward ? (h, g, x) : (g, h, dg)
            var viaPanels = [Float](repeating: 0, count: m * n), direct = viaPanels
            panels.reshape(k: k, n: n)
            panels.pack(transB: forward, b: w, ldb: h)
            sgemm(transA: false, m: m, alpha: 1, a: a, lda: k, packedB: panels, beta: 0, c: &viaPanels, ldc: n)
            sgemm(transA: false, transB: forward, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: w, ldb: h, beta: 0,
                  c: &direct, ldc: n)
            #expect(viaPanels.map(\.bitPattern) == direct.map(\.bitPattern))
            #expect(panels.k == k && panels.n == n)
        }
    }
}