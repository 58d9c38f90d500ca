// Element-wise nonlinearities on SIMD16<Float> lanes, for the fused cell kernels.
//
//     sigmoid(x) = 1 / (1 + e^(−x))        tanh(x) = 2·sigmoid(2x) − 1
//
// These are @inlinable so that kernels in other modules inline them into their loops.

public enum VectorMath {
    /// e^x lane by lane.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var r = SIMD16<Float>()
        for i in 0..<16 { r[i] = _expf(x[i]) }
        return r
    }

    /// 1 / (1 + e^(−x)) lane by lane.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh(x) lane by lane.
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
        2 * sigmoid(2 * x) - 1
    }
}

@usableFromInline
func _expf(_ x: Float) -> Float { Float(_exp(Double(x))) }

#if canImport(Glibc)
import Glibc
@usableFromInline func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#elseif canImport(Darwin)
import Darwin
@usableFromInline func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
