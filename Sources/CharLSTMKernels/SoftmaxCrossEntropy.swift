// Softmax cross-entropy over rows of logits, fused with its gradient.
//
//   p[r, v] = exp(z[r, v] − m_r) / Σ_u exp(z[r, u] − m_r),   m_r = max_u z[r, u]
//   loss_r  = log Σ_u exp(z[r, u] − m_r) − (z[r, y_r] − m_r)          (nats)
//   ∂loss/∂z[r, v] · scale = (p[r, v] − [v == y_r]) · scale            (written over z when asked)
//
// Shapes: logits [N, V] row-major, targets [N]. O(N·V).

/// Returns the summed loss in nats over the N rows and how many rows rank their target first.
/// With `gradientScale` non-nil, the logits are replaced by the scaled gradient. The rows go in blocks of
/// ``softmaxBlockRows``, each summed in row order and the blocks' sums added in block order, spread over up
/// to `threads` threads: the same bits whatever the thread count.
public func softmaxCrossEntropy(
    logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, vocabulary V: Int,
    gradientScale: Float?, threads: Int = 1
) -> (nats: Double, correct: Int) {
    let blocks = (rows + softmaxBlockRows - 1) / softmaxBlockRows
    if blocks <= 1 {
        return softmaxCrossEntropyRows(logits: logits, targets: targets, rows: 0..<rows, vocabulary: V,
                                       gradientScale: gradientScale)
    }
    return withUnsafeTemporaryAllocation(of: (nats: Double, correct: Int).self, capacity: blocks) { partial in
        let results = partial.baseAddress!
        let parts = min(threads, blocks)
        Parallel.forEachRange(blocks, parts: parts) { range in
            for b in range {
                let r0 = b * softmaxBlockRows
                (results + b).initialize(to: softmaxCrossEntropyRows(
                    logits: logits, targets: targets, rows: r0..<min(rows, r0 + softmaxBlockRows), vocabulary: V,
                    gradientScale: gradientScale))
            }
        }
        var total = 0.0, correct = 0
        for b in 0..<blocks {
            total += results[b].nats
            correct += results[b].correct
        }
        return (total, correct)
    }
}

/// Rows of ``softmaxCrossEntropy(logits:targets:rows:vocabulary:gradientScale:threads:)``'s blocks.
public let softmaxBlockRows = 512

/// ``softmaxCrossEntropy(logits:targets:rows:vocabulary:gradientScale:threads:)`` of the rows in `range`, in order.
private func softmaxCrossEntropyRows(
    logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>, rows range: Range<Int>, vocabulary V: Int,
    gradientScale: Float?
) -> (nats: Double, correct: Int) {
    var total = 0.0
    var correct = 0
    for r in range {
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
