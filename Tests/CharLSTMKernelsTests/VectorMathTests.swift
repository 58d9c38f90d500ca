import Foundation
import Testing
@testable import CharLSTMKernels

@Suite struct VectorMathTests {
    /// Worst relative error of `f` against the Double `reference` over `xs` where the true value is a normal
    /// float; where it is below Float.leastNormalMagnitude the absolute error must be below that instead.
    private func worstRelativeError(_ xs: [Float], _ f: (SIMD16<Float>) -> SIMD16<Float>,
                                    _ reference: (Double) -> Double) -> Double {
        var worst = 0.0
        var i = 0
        while i < xs.count {
            var v = SIMD16<Float>(repeating: 0)
            for l in 0..<16 where i + l < xs.count { v[l] = xs[i + l] }
            let r = f(v)
            for l in 0..<16 where i + l < xs.count {
                let want = reference(Double(xs[i + l])), got = Double(r[l])
                if abs(want) > Double(Float.greatestFiniteMagnitude) {
                    // Overflows in Float: must come out at the top of the range or infinite.
                    if !(abs(got) >= Double(Float.greatestFiniteMagnitude) * (1 - 2e-7)) { worst = .infinity }
                } else if abs(want) >= Double(Float.leastNormalMagnitude) {
                    worst = max(worst, abs(got - want) / abs(want))
                } else if !(abs(got - want) <= Double(Float.leastNormalMagnitude)) {
                    worst = .infinity
                }
            }
            i += 16
        }
        return worst
    }

    /// A dense sweep of [−20, 20] (step 2⁻¹², 163 841 points) plus tiny magnitudes around 0.
    private var sweep: [Float] {
        (-81_920...81_920).map { Float($0) / 4096 } + (-40...40).map { Float(sign: $0 < 0 ? .minus : .plus, exponent: -abs($0), significand: 1.3) }
    }

    private static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    @Test func expIsAccurate() {
        let xs = sweep + (-1040...890).map { Float($0) / 10 } // up to the overflow / underflow edges
        #expect(worstRelativeError(xs, VectorMath.exp, Foundation.exp) < 2e-7)
    }

    @Test func sigmoidIsAccurate() {
        let xs = sweep + (-880...880).map { Float($0) / 10 }
        #expect(worstRelativeError(xs, VectorMath.sigmoid, Self.sigmoid) < 3e-7)
    }

    @Test func tanhIsAccurate() {
        let xs = sweep + (-880...880).map { Float($0) / 10 }
        #expect(worstRelativeError(xs, VectorMath.tanh, Foundation.tanh) < 3e-7)
    }

    @Test func extremesSaturateAndNaNPropagates() {
        let x = SIMD16<Float>(88, -88, 89, -89, .infinity, -.infinity, .nan, 0,
                              200, -200, 1e-30, -1e-30, 88.72, -103, -104, 500)
        let e = VectorMath.exp(x), s = VectorMath.sigmoid(x), t = VectorMath.tanh(x)
        #expect(e[2] == .infinity && e[4] == .infinity && e[5] == 0 && e[6].isNaN && e[7] == 1 && e[8] == .infinity)
        #expect(e[9] == 0 && e[14] == 0 && e[15] == .infinity && e[12].isFinite && e[13] > 0)
        #expect(s[0] == 1 && s[2] == 1 && s[3] == 0 && s[4] == 1 && s[5] == 0 && s[6].isNaN && s[7] == 0.5)
        #expect(s[8] == 1 && s[9] == 0 && s[10] == 0.5)
        #expect(t[0] == 1 && t[1] == -1 && t[4] == 1 && t[5] == -1 && t[6].isNaN && t[7] == 0)
        #expect(t[10] == 1e-30 && t[11] == -1e-30)
        #expect(abs(Double(e[0]) / Foundation.exp(88.0) - 1) < 2e-7)
        #expect(abs(Double(s[1]) / Foundation.exp(-88.0) - 1) < 1e-5) // subnormal result: fewer bits
    }

    @Test func arrayHelpersMatchTheVectorFunctions() {
        var rng = TestRandom(seed: 3)
        for count in [0, 1, 15, 16, 17, 40] {
            let xs = rng.floats(count).map { $0 * 10 }
            var e = xs, s = xs, t = xs
            VectorMath.exp(&e, count: count)
            VectorMath.sigmoid(&s, count: count)
            VectorMath.tanh(&t, count: count)
            for i in 0..<count {
                let v = SIMD16<Float>(repeating: xs[i])
                #expect(e[i] == VectorMath.exp(v)[0] && s[i] == VectorMath.sigmoid(v)[0] && t[i] == VectorMath.tanh(v)[0])
            }
        }
    }
}
