// Softmax cross-entropy over rows of logits, fused with its gradient.
//
//   p[r, v] = exp(z[r, v] − m_r) / Σ_u exp(z[r, u] − m_r),   m_r = max_u z[r, u]
//   loss_r  = log Σ_u exp(z[r, u] − m_r) − (z[r, y_r] − m_r)          (nats)
//   ∂loss/∂z[r, v] · scale = (p[r, v] − [v == y_r]) · scale            (written over z when asked)
//
// Shapes: logits [N, V] row-major, targets [N]. O(N·V).

/// Returns the summed loss in nats over the N rows and how many rows rank their target first.
/// With `gradientScale` non-nil, the logits are replaced by the scaled gradient.
public func softmaxCrossEntropy(
    logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, vocabulary V: Int,
    gradientScale: Float?
) -> (nats: Double, correct: Int) {
    var total = 0.0
    var correct = 0
    for r in 0..<rows {
        let z = logits + r * V
        let y = Int(targets[r])
        var m = z[0], best = 0
        for v in 1..<max(V, 1) where z[v] > m { m = z[v]; best = v }
        if best == y { correct += 1 }
        let zy = z[y]
        var sum = SIMD16<Float>()
        forEachChunk16(V) { j, w in
            var e = VectorMath.exp(load16(z + j, width: w) - m)
            if w < 16 { for k in w..<16 { e[k] = 0 } }
            sum += e
            if gradientScale != nil { store16(e, z + j, width: w) }
        }
        var s: Float = 0
        for k in 0..<16 { s += sum[k] }
        total += Double(logf(s)) - Double(zy - m)
        if let scale = gradientScale {
            let k = scale / s
            forEachChunk16(V) { j, w in store16(load16(z + j, width: w) * k, z + j, width: w) }
            z[y] -= scale
        }
    }
    return (total, correct)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
