import CharLSTMKernels

/// Adam with PyTorch's semantics (bias correction, ε outside the square root, L2 weight decay), preceded by
/// global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`.
///
/// The hyperparameters only: what the optimizer carries from one update to the next (its step count and
/// moments) is an ``AdamMoments``, part of a run's ``TrainingState``.
struct Adam: Sendable {
    var learningRate: Float
    var beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    var weightDecay: Float = 0
    /// Clip the global gradient norm to this; 0 disables clipping.
    var clipNorm: Float = 5

    /// Clips the gradients and applies one update to `parameters` on up to `threads` threads (each parameter
    /// alone, so the same bits on any number), advancing `moments`; returns the gradient's global L2 norm before
    /// clipping. O(n), no allocation.
    @discardableResult
    func update(parameters: FloatBuffer, gradients: FloatBuffer, moments: inout AdamMoments, threads: Int = 1) -> Double {
        precondition(parameters.count == moments.m.count && gradients.count == moments.m.count)
        let norm = sumOfSquares(gradients.pointer, count: gradients.count).squareRoot()
        // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1.
        var scale: Float = 1
        if clipNorm > 0 { scale = Float(min(1, Double(clipNorm) / (norm + 1e-6))) }
        moments.step += 1
        let n = moments.m.count, m = moments.m.pointer, v = moments.v.pointer, step = moments.step
        // A square root and a division a parameter (about 1.7 ns each on one thread, against a fork-join's few
        // microseconds): worth two threads from 2¹⁵ parameters on (S's 252,500 took 2% of its step on one).
        forEachElementRange(n, threads: threads, threshold: 1 << 15) { range in
            let o = range.lowerBound
            adamStep(parameters: parameters.pointer + o, gradients: gradients.pointer + o, m: m + o, v: v + o,
                     count: range.count, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                     weightDecay: weightDecay, step: step, gradientScale: scale)
        }
        return norm
    }
}

/// What Adam carries from one update to the next (PyTorch's `state['step']`, `exp_avg` and `exp_avg_sq`).
struct AdamMoments: Sendable {
    /// Updates taken so far.
    var step: Int
    /// First and second moments, laid out as the parameters (``ParameterLayout``).
    var m: FloatBuffer, v: FloatBuffer

    init(step: Int, m: FloatBuffer, v: FloatBuffer) {
        self.step = step
        self.m = m
        self.v = v
    }

    /// Zero moments for `parameterCount` parameters, before the first update.
    init(parameterCount: Int) {
        self.init(step: 0, m: FloatBuffer(count: parameterCount), v: FloatBuffer(count: parameterCount))
    }
}
