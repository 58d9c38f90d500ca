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

    /// What the optimizer carries from one update to the next: its step count and moments. The
    /// hyperparameters are not part of it; they come from the training configuration.
    public struct Snapshot: @unchecked Sendable {
        /// Steps taken so far.
        public var step: Int
        /// First and second moments, laid out as the parameters.
        public var m: FloatBuffer, v: FloatBuffer

        public init(step: Int, m: FloatBuffer, v: FloatBuffer) {
            self.step = step
            self.m = m
            self.v = v
        }
    }

    /// The optimizer's state now. Shares the moment buffers (no copy): use it before the next update.
    public func snapshot() -> Snapshot { Snapshot(step: step, m: m, v: v) }

    /// Continues from `snapshot`, copying its moments in. Throws `.invalidData`, changing nothing, when its
    /// moments are not laid out as this optimizer's or its step count is negative. O(n).
    public func restore(_ snapshot: Snapshot) throws(CharLSTMError) {
        guard snapshot.m.count == m.count, snapshot.v.count == v.count else {
            throw .invalidData("the optimizer state has \(snapshot.m.count) and \(snapshot.v.count) moments, this model \(m.count)")
        }
        guard snapshot.step >= 0 else { throw .invalidData("the optimizer step count is negative") }
        m.pointer.update(from: snapshot.m.pointer, count: m.count)
        v.pointer.update(from: snapshot.v.pointer, count: v.count)
        step = snapshot.step
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
