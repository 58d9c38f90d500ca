/// What `--patience` counts: how many scheduled validations in a row (those every ``TrainingConfig/evaluateEvery``
/// steps) found no loss lower than the lowest of the earlier scheduled ones.
///
/// Only scheduled validations count: the extra one at the step that spends a budget happens where a run
/// stopped, not where the schedule says, so counting it would make a run that stopped and resumed stop at
/// another step than one trained straight through. The streak is saved in every training checkpoint.
package struct ValidationStreak: Equatable, Sendable {
    /// Scheduled validations in a row, up to now, without a new lowest loss.
    package var withoutImprovement = 0
    /// The lowest loss of the scheduled validations so far, in bits per character.
    package var lowest: Double? = nil

    package init(withoutImprovement: Int = 0, lowest: Double? = nil) {
        self.withoutImprovement = withoutImprovement
        self.lowest = lowest
    }

    /// Counts a scheduled validation of `bitsPerCharacter`.
    mutating func record(_ bitsPerCharacter: Double) {
        if bitsPerCharacter < (lowest ?? .infinity) {
            lowest = bitsPerCharacter
            withoutImprovement = 0
        } else {
            withoutImprovement += 1
        }
    }

    /// Whether a run with `patience` (nil: no early stopping) stops now.
    func isExhausted(patience: Int?) -> Bool {
        patience.map { withoutImprovement >= $0 } ?? false
    }
}
