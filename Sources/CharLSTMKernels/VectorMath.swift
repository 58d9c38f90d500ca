// Element-wise nonlinearities on SIMD16<Float> lanes, for the fused cell kernels. No libm calls: every
// lane goes through the same straight-line vector code.
//
// exp(x): range reduction x = n·ln2 + r, n = round(x·log2 e), |r| ≤ ln2/2 (ln2 split hi + lo so r is
//         exact), e^r by the degree-7 Cephes minimax polynomial 1 + r + r²·P(r), then the result is
//         scaled by 2^n as 2^⌊n/2⌋ · 2^(n−⌊n/2⌋) so that both factors are normal floats and subnormal
//         results are rounded once. x is clamped to [−104, 89] first: e^89 overflows to +inf, e^−104
//         underflows to 0. NaN lanes are passed through.
//
//     sigmoid(x) = 1 / (1 + e^(−x))            (saturates to exactly 0 and 1)
//
//     tanh(x)    = x + x³·Q(x²)                 for |x| < 0.625 (Cephes minimax; no cancellation near 0)
//                = sign(x) · (1 − 2 / (e^(2|x|) + 1))   otherwise (saturates to ±1)
//
// Measured against Double libm over a dense sweep of [−20, 20] (see VectorMathTests): relative error
// ≤ 2e-7 for exp, ≤ 3e-7 for sigmoid and tanh wherever the true value is a normal float.
//
// These are @inlinable so that kernels in other modules inline them into their loops.

public enum VectorMath {
    /// e^x lane by lane (+inf above ≈ 88.72, 0 below ≈ −103.9, NaN stays NaN).
    @_transparent
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        // (Clamped with compare-and-select: pointwiseMin/Max are stdlib generics that stay calls, each
        // passing its vectors through four xmm registers, once this function is inlined into a big kernel.)
        var xc = x
        xc.replace(with: 89, where: x .> 89)
        xc.replace(with: -104, where: x .< -104)
        // Round x·log2e to the nearest integer with the 1.5·2^23 trick: the low bits of t hold n.
        let magic = V(repeating: 12_582_912)
        let t = magic.addingProduct(xc, V(repeating: 1.442_695_040_888_963_4))
        let n = t - magic
        var r = xc.addingProduct(n, V(repeating: -0.693_359_375))
        r = r.addingProduct(n, V(repeating: 2.121_944_400_546_905_8e-4))
        var p = V(repeating: 1.987_569_150_0e-4)
        p = V(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = V(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = V(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = V(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = V(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let er = (r + 1).addingProduct(p, r * r)
        let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let n1 = ni &>> 1
        let n2 = ni &- n1
        let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: V.self)
        let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: V.self)
        var result = er * s1 * s2
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// 1 / (1 + e^(−x)) lane by lane.
    @_transparent
    public static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh(x) lane by lane.
    @_transparent
    public static func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        let signBit = SIMD16<UInt32>(repeating: 0x8000_0000)
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let ax = unsafeBitCast(bits & ~signBit, to: V.self)
        // Small |x|: odd polynomial.
        let z = x * x
        var q = V(repeating: -5.704_988_727_45e-3)
        q = V(repeating: 2.063_908_879_54e-2).addingProduct(q, z)
        q = V(repeating: -5.373_971_555_31e-2).addingProduct(q, z)
        q = V(repeating: 1.333_144_220_36e-1).addingProduct(q, z)
        q = V(repeating: -3.333_328_194_22e-1).addingProduct(q, z)
        let small = x.addingProduct(q * z, x)
        // Large |x|: through exp, with the sign put back.
        let large = 1 - 2 / (exp(ax + ax) + 1)
        let signed = unsafeBitCast(unsafeBitCast(large, to: SIMD16<UInt32>.self) | (bits & signBit), to: V.self)
        return signed.replacing(with: small, where: ax .< 0.625)
    }

    /// Replaces `x[0..<count]` by e^x.
    @inlinable
    public static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count) { exp($0) }
    }

    /// Replaces `x[0..<count]` by sigmoid(x).
    @inlinable
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count) { sigmoid($0) }
    }

    /// Replaces `x[0..<count]` by tanh(x).
    @inlinable
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count) { tanh($0) }
    }

    /// Applies `f` to `x[0..<count]` in place, 16 at a time; the tail (< 16 elements) goes through `f`
    /// in a zero-padded vector, so every element gets exactly the same arithmetic.
    @inlinable @inline(__always)
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int, _ f: (SIMD16<Float>) -> SIMD16<Float>) {
        var i = 0
        while i + 16 <= count {
            let raw = UnsafeMutableRawPointer(x + i)
            raw.storeBytes(of: f(raw.loadUnaligned(as: SIMD16<Float>.self)), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var v = SIMD16<Float>()
            for l in 0..<(count - i) { v[l] = x[i + l] }
            let y = f(v)
            for l in 0..<(count - i) { x[i + l] = y[l] }
        }
    }
}
