/// When a call to ``TrainingRun/train(budget:stopToken:onProgress:)`` ends: the first limit reached wins.
///
/// ```swift
/// try run.train(budget: .seconds(30))
/// try run.train(budget: TrainingBudget(steps: 10_000, seconds: 3600))
/// ```
///
/// The budget is decided once per step, right after the step, so the step that spends it is always the last one
/// and is always saved. A budget with no limit at all trains until a ``StopToken`` (or the task's cancellation)
/// stops it.
public struct TrainingBudget: Equatable, Sendable {
    /// The total step count to reach, counted from the start of training, also when resuming.
    public var steps: Int?
    /// The total epochs (fractional passes over the training text) to reach, counted from the start of training.
    public var epochs: Double?
    /// Seconds of wall time of this call (training, validation and saving).
    public var seconds: Double?

    /// A budget of every limit given (the first reached ends the call); none: ``unlimited``.
    public init(steps: Int? = nil, epochs: Double? = nil, seconds: Double? = nil) {
        self.steps = steps
        self.epochs = epochs
        self.seconds = seconds
    }

    /// Train until step `n` (counted from the start of training).
    public static func steps(_ n: Int) -> TrainingBudget { TrainingBudget(steps: n) }
    /// Train until `x` epochs are done (counted from the start of training).
    public static func epochs(_ x: Double) -> TrainingBudget { TrainingBudget(epochs: x) }
    /// Train for about this many seconds of wall time.
    public static func seconds(_ s: Double) -> TrainingBudget { TrainingBudget(seconds: s) }
    /// Train for about this many minutes of wall time.
    public static func minutes(_ m: Double) -> TrainingBudget { seconds(m * 60) }
    /// No limit: train until stopped.
    public static let unlimited = TrainingBudget()

    /// Whether the budget is spent at `step` and `epoch` after `elapsed` seconds of this call.
    func isSpent(step: Int, epoch: Double, elapsed: Double) -> Bool {
        if let steps, step >= steps { return true }
        if let epochs, epoch >= epochs - 1e-12 { return true }
        if let seconds, elapsed >= seconds { return true }
        return false
    }

    /// The step the budget ends at, when steps or epochs fix it.
    func totalSteps(batchesPerEpoch: Int) -> Int? {
        var total = steps
        if let epochs {
            let byEpochs = ValueRange.countRoundingUp(epochs * Double(batchesPerEpoch))
            total = min(total ?? byEpochs, byEpochs)
        }
        return total
    }
}

extension TrainingBudget {
    /// Seconds until this budget ends, `elapsed` seconds into a call that took `stepsTaken` steps with `stepsLeft`
    /// to go (nil: no step budget): the nearer of the step budget's end at the pace so far and the time budget's
    /// end; nil when neither is set. O(1).
    func secondsRemaining(elapsed: Double, stepsTaken: Int, stepsLeft: Int?) -> Double? {
        let bySteps = stepsLeft.map { elapsed / Double(max(stepsTaken, 1)) * Double($0) }
        let byTime = seconds.map { max(0, $0 - elapsed) }
        switch (bySteps, byTime) {
        case let (s?, t?): return min(s, t)
        case let (s, t): return s ?? t
        }
    }
}

extension TrainingBudget {
    /// Throws `.usage` naming the first limit out of range: steps beyond ``ValueRange/counts``, epochs beyond
    /// [0, 10^9], seconds beyond [0, 10^12] (NaN in none). O(1).
    func validate() throws(CharLSTMError) {
        if let steps { try requireSetting("the budget's steps", steps, in: ValueRange.counts) }
        if let epochs { try requireSetting("the budget's epochs", epochs, in: .closed(0, ValueRange.epochLimit)) }
        if let seconds { try requireSetting("the budget's seconds", seconds, in: ValueRange.trainingSeconds) }
    }

    /// The `budget` metadata of a training checkpoint: a JSON object with a member for each limit set (`steps`,
    /// `epochs`, and `seconds`, the time that was left), `{}` for a budget without end.
    var metadata: String {
        var members: [String: JSONValue] = [:]
        if let steps { members["steps"] = .int(steps) }
        if let epochs { members["epochs"] = .double(epochs) }
        if let seconds { members["seconds"] = .double(seconds) }
        return JSONValue.object(members).encoded
    }

    /// Reads ``metadata``, each limit checked as ``validate()`` checks it. Throws `.invalidData` naming the field.
    init(metadata text: String) throws(CharLSTMError) {
        guard case .object(let o)? = try? JSONValue.parse(text) else {
            throw .invalidData("malformed budget metadata (a JSON object with steps, epochs or seconds)")
        }
        if let unknown = o.keys.sorted().first(where: { !["steps", "epochs", "seconds"].contains($0) }) {
            throw .invalidData("budget.\(unknown) is not a budget's limit (steps, epochs or seconds)")
        }
        self.init(steps: try o["steps"].map { value throws(CharLSTMError) in
                      try ValueRange.integer(value, field: "budget.steps", in: ValueRange.counts)
                  },
                  epochs: try o["epochs"].map { value throws(CharLSTMError) in
                      try ValueRange.real(value, field: "budget.epochs", in: .closed(0, ValueRange.epochLimit))
                  },
                  seconds: try o["seconds"].map { value throws(CharLSTMError) in
                      try ValueRange.real(value, field: "budget.seconds", in: ValueRange.trainingSeconds)
                  })
    }
}
