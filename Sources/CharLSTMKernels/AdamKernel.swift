// One Adam step over a flat parameter buffer, exactly as torch.optim.Adam (amsgrad off, L2 weight decay):
//
//   g ← g + λ·θ                                   (weight decay, when λ > 0)
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   θ ← θ − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
//
// All buffers have n elements. O(n).

/// Applies one Adam update; `gradientScale` multiplies g first (global-norm clipping).
public func adamStep(
    parameters θ: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
    m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count n: Int,
    learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float,
    step t: Int, gradientScale: Float
) {
    let bias1 = 1 - pow(Double(beta1), Double(t)), bias2 = 1 - pow(Double(beta2), Double(t))
    let stepSize = Float(Double(learningRate) / bias1)
    let invSqrtBias2 = Float(1 / bias2.squareRoot())
    let b1 = SIMD16<Float>(repeating: beta1), b2 = SIMD16<Float>(repeating: beta2)
    forEachChunk16(n) { j, w in
        var grad = load16(g + j, width: w) * gradientScale
        let p = load16(θ + j, width: w)
        if weightDecay != 0 { grad += weightDecay * p }
        let mNew = b1 * load16(m + j, width: w) + (1 - b1) * grad
        let vNew = b2 * load16(v + j, width: w) + (1 - b2) * grad * grad
        let denom = vNew.squareRoot() * invSqrtBias2 + epsilon
        store16(mNew, m + j, width: w)
        store16(vNew, v + j, width: w)
        store16(p - stepSize * mNew / denom, θ + j, width: w)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
