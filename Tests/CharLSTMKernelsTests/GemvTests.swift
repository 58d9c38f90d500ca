import Testing
@testable import CharLSTMKernels

@Suite struct GemvTests {
    @Test func naiveMatchesHandComputed() {
        // [1 2 3; 4 5 6] · [1 0 -1] = [-2, -2];  [1 2 3; 4 5 6]ᵀ · [1 -1] = [-3, -3, -3]
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        var y = [Float](repeating: .nan, count: 3)
        naiveSgemv(trans: false, m: 2, n: 3, alpha: 1, a: a, lda: 3, x: [1, 0, -1], beta: 0, y: &y)
        #expect(Array(y[0..<2]) == [-2, -2] && y[2].isNaN)
        naiveSgemv(trans: true, m: 3, n: 2, alpha: 1, a: a, lda: 3, x: [1, -1], beta: 0, y: &y)
        #expect(y == [-3, -3, -3])
    }

    @Test(arguments: [false, true], [1, 2])
    func fastMatchesNaive(trans: Bool, threads: Int) {
        var rng = TestRandom(seed: trans ? 11 : 12)
        var sizes = oddSizes.flatMap { m in oddSizes.map { n in (m, n) } }.filter { $0.0 * $0.1 <= 20_000 }
        sizes.append((1030, 1025)) // big enough (m·n ≥ 2²⁰) for the threaded path
        for (index, (m, n)) in sizes.enumerated() {
            let lda = (trans ? m : n) + 3
            let a = rng.floats((trans ? n : m) * lda), x = rng.floats(n)
            let (alpha, beta): (Float, Float) = [(1, 0), (-0.5, 1), (2, -0.25)][index % 3]
            let y0 = beta == 0 ? [Float](repeating: .nan, count: m + 1) : rng.floats(m + 1)
            var fast = y0, slow = y0, bound = [Float](repeating: 0, count: m + 1)
            sgemv(trans: trans, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: &fast, threads: threads)
            naiveSgemv(trans: trans, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: &slow)
            naiveSgemv(trans: trans, m: m, n: n, alpha: abs(alpha), a: a.map(abs), lda: lda, x: x.map(abs),
                       beta: 0, y: &bound)
            for i in 0..<m {
                let tol = 1e-5 * (bound[i] + (beta == 0 ? 0 : abs(beta * y0[i]))) + 1e-6
                #expect(abs(fast[i] - slow[i]) <= tol, "m \(m) n \(n) i \(i)")
            }
            // y past m is untouched.
            #expect(fast[m] == y0[m] || (fast[m].isNaN && y0[m].isNaN))
        }
    }
}
