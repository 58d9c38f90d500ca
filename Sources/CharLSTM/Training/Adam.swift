import CharLSTMKernels

/// Adam with PyTorch's semantics (bias correction, ε outside the square root, L2 weight decay), preceded by
/// global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`.
public final class Adam: @unchecked Sendable {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public var weightDecay: Float
    /// Clip the global gradient norm to this; 0 disables clipping.
    public var clipNorm: Float
    /// First and second moments, laid out as the parameters.
    public let m: FloatBuffer, v: FloatBuffer
    /// Steps taken so far (PyTorch's `state['step']`).
    public var step: Int

    public init(parameterCount: Int, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, clipNorm: Float = 5) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.clipNorm = clipNorm
        m = FloatBuffer(count: parameterCount)
        v = FloatBuffer(count: parameterCount)
        step = 0
    }

    /// Clips and applies one update; returns the gradient's global L2 norm before clipping. O(n).
    @discardableResult
    public func update(parameters: FloatBuffer, gradients: FloatBuffer) -> Double {
        precondition(parameters.count == m.count && gradients.count == m.count)
        let norm = sumOfSquares(gradients.pointer, count: gradients.count).squareRoot()
        // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1.
        var scale: Float = 1
        if clipNorm > 0 { scale = Float(min(1, Double(clipNorm) / (norm + 1e-6))) }
        step += 1
        adamStep(parameters: parameters.pointer, gradients: gradients.pointer, m: m.pointer, v: v.pointer,
                 count: m.count, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                 weightDecay: weightDecay, step: step, gradientScale: scale)
        return norm
    }
}
