// Squared error of predictions against targets, fused with the gradient of the mean squared error.
//
//   sse          = Σ_i (z_i − y_i)²                         (summed in Double, in index order)
//   ∂loss/∂z_i   = 2 · (z_i − y_i) · scale                  (written over z when asked; scale = 1/N for the mean)
//
// Shapes: predictions z [N], targets y [N] (rows × outputs, row-major). O(N).

/// Returns the summed squared error Σ (z − y)² over the `count` values. With `gradientScale` non-nil, the
/// predictions are replaced by the gradient 2·(z − y)·scale of `scale` times that sum.
public func squaredError(
    predictions z: UnsafeMutablePointer<Float>, targets y: UnsafePointer<Float>, count: Int, gradientScale: Float?
) -> Double {
    var total = 0.0
    for i in 0..<count {
        let d = z[i] - y[i]
        total += Double(d) * Double(d)
        if let scale = gradientScale { z[i] = 2 * d * scale }
    }
    return total
}
