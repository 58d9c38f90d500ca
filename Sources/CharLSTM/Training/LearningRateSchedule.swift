#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the learning rate moves over a training budget: a short linear warm-up, then a decay that reaches zero
/// where the budget ends.
///
/// The factor it gives multiplies the base learning rate (and char-rnn's per-epoch decay, see
/// ``TrainingConfig/learningRate(completedEpochs:)``). With `s` the steps done before the step, `W` the warm-up
/// steps and `p` ∈ [0, 1] the share of the budget spent:
///
///     warm-up(s) = min(1, (s + 1) / W)                (1 when W = 0)
///     constant:  factor = warm-up(s)
///     cosine:    factor = warm-up(s) · ½ (1 + cos(π p))
///     linear:    factor = warm-up(s) · (1 − p)
///     stable-decay: factor = warm-up(s) · min(1, (1 − p) / 0.2)
///
/// `p` is a pure function of the budget and the run's saved state (``TrainingRun`` computes it: steps done ÷ the
/// step the `--steps`/`--epochs` budget ends at, or the share of a `--minutes` budget's wall time spent, whichever
/// is further), so a run stopped and resumed with the same step budget follows the same rates bit for bit. A budget
/// with no end (train until stopped) has no `p`: the rate stays at its base after the warm-up.
public struct LearningRateSchedule: Equatable, Sendable {
    /// The shape of the decay after the warm-up.
    public enum Shape: String, CaseIterable, Sendable {
        /// No decay: the base rate all along (as before schedules existed; checkpoints without one resume so).
        case constant
        /// Half a cosine from the base rate to zero at the budget's end.
        case cosine
        /// A straight line from the base rate to zero at the budget's end.
        case linear
        /// Warm-up, stable, decay: the base rate until the last ``decayShare`` of the budget, then a straight line
        /// to zero at its end. Robust to budgets that end early in training (a short `--minutes` on a slow
        /// machine): the rate falls only once the model has left the plateau of the first steps.
        case stableDecay = "stable-decay"
    }

    /// The shape of the decay.
    public var shape: Shape
    /// Steps of linear warm-up at the start of training, from 1/W of the rate to all of it; 0 for none.
    public var warmupSteps: Int

    init(shape: Shape, warmupSteps: Int) {
        self.shape = shape
        self.warmupSteps = warmupSteps
    }

    /// The schedule of a new run: a 20-step warm-up, the base rate, and a straight line to zero over the last 20 %
    /// of the budget (measured on the quick start: decaying from the start, as a cosine does, slows a short run
    /// down while it is still learning fast).
    static let standard = LearningRateSchedule(shape: .stableDecay, warmupSteps: 20)
    /// The schedule of a checkpoint written before schedules existed: the base rate all along.
    static let constant = LearningRateSchedule(shape: .constant, warmupSteps: 0)

    /// The share of the budget, at its end, over which ``Shape/stableDecay`` decays.
    static let decayShare = 0.2

    /// Warm-up steps allowed.
    package static let warmupRange = 0...1_000_000_000

    /// The factor on the base rate for the step taken after `stepsDone` steps, with `progress` the share of the
    /// budget spent (clamped to [0, 1]) or `nil` when the budget has no end. O(1).
    func factor(stepsDone: Int, progress: Double?) -> Double {
        let warmup = warmupSteps > 0 ? min(1, Double(stepsDone + 1) / Double(warmupSteps)) : 1
        guard let progress else { return warmup }
        let p = min(1, max(0, progress))
        switch shape {
        case .constant: return warmup
        case .cosine: return warmup * 0.5 * (1 + cos(Double.pi * p))
        case .linear: return warmup * (1 - p)
        case .stableDecay: return warmup * min(1, (1 - p) / Self.decayShare)
        }
    }
}
