/// How a model is trained: batching, optimizer, schedule and the run's intervals. Saved in every checkpoint.
public struct TrainingConfig: Equatable, Sendable {
    /// Characters (or series steps) per training sequence: the steps of backpropagation through time.
    public var sequenceLength: Int = 100
    /// Sequences per batch, read as parallel streams.
    public var batchSize: Int = 64
    /// Adam's learning rate before schedule and decay.
    public var learningRate: Float = 4e-3
    /// Warm-up and decay over the budget, multiplying the rate (and the per-epoch decay below).
    public var schedule = LearningRateSchedule.standard
    /// After each completed epoch numbered ≥ `decayAfter`, the learning rate is multiplied by this (char-rnn).
    public var learningRateDecay: Float = 0.97
    /// The epoch from which ``learningRateDecay`` applies.
    public var decayAfter: Double = 10
    /// L2 weight decay, added to the gradient as PyTorch's Adam `weight_decay` does; 0: none.
    public var weightDecay: Float = 0
    /// Global gradient-norm clip; 0 disables it.
    public var clip: Float = 5
    /// The share of the data held out for validation (its end).
    public var validationFraction: Double = 0.05
    /// Most characters of the validation split a periodic validation reads (its first ones), so that validation
    /// on a huge corpus stays short; 0 reads the whole split.
    public var validationCharacters: Int = TrainingConfig.defaultValidationCharacters
    /// The seed of initialisation and dropout: a run is reproducible from it.
    public var seed: UInt64 = 1234
    /// The corpus path the run was started on, for the record.
    public var corpus: String = ""
    /// Size and hash of the corpus the run last trained on; nil in checkpoints written before it was recorded.
    var corpusFingerprint: CorpusFingerprint? = nil
    /// Steps between validations (and updates of `best.safetensors` and `loss.svg`); what `patience` counts in.
    public var evaluateEvery: Int = 500
    /// Steps between saves of `latest.safetensors`.
    public var checkpointEvery: Int = 500
    /// Steps between rows of `metrics.csv`.
    public var logEvery: Int = 10

    /// Steps between validations, checkpoints or log rows: a count of at least 1.
    package static let intervalRange = ValueRange.positiveCounts

    /// ``validationCharacters`` by default: 300,000, several seconds of forward passes on two cores for the default
    /// model (its standard error is about 0.004 bits/char); the whole split of a corpus up to 6 MB at the default
    /// --val-fraction, such as the bundled 5 MB Shakespeare.
    package static let defaultValidationCharacters = 300_000
    /// Validation characters allowed: 0 (all) and up. A run refuses 1 (one prediction needs 2); a checkpoint's 1 reads 2.
    package static let validationCharactersRange = ValueRange.counts

    package init() {}

    /// Characters per training sequence allowed: 1…100,000.
    package static let sequenceLengthRange = 1...100_000
    /// Sequences per batch allowed: 1…100,000.
    package static let batchSizeRange = 1...100_000
    package static let learningRateInterval = RealInterval.openClosed(0, 10)
    package static let learningRateDecayInterval = RealInterval.openClosed(0, 1)
    /// Up to 10^9 epochs, so that the epoch the decay starts at is an exact `Int`.
    package static let decayAfterInterval = RealInterval.closed(0, ValueRange.epochLimit)
    /// Finite as a `Float`, with room: [0, 1000].
    package static let weightDecayInterval = RealInterval.closed(0, 1000)
    /// Finite as a `Float`, with room: [0, 10^6].
    package static let clipInterval = RealInterval.closed(0, 1e6)
    package static let validationFractionInterval = RealInterval.openClosed(0, 0.5)

    /// Throws `.usage` naming the first setting outside its limits (the same limits `train`'s options and a
    /// checkpoint's metadata are held to), so that no setting can make training's arithmetic overflow. O(1).
    func validate() throws(CharLSTMError) {
        try requireSetting("sequence length", sequenceLength, in: Self.sequenceLengthRange)
        try requireSetting("batch size", batchSize, in: Self.batchSizeRange)
        try requireSetting("learning rate", Double(learningRate), in: Self.learningRateInterval)
        try requireSetting("learning-rate decay", Double(learningRateDecay), in: Self.learningRateDecayInterval)
        try requireSetting("decay-after epochs", decayAfter, in: Self.decayAfterInterval)
        try requireSetting("weight decay", Double(weightDecay), in: Self.weightDecayInterval)
        try requireSetting("clip", Double(clip), in: Self.clipInterval)
        try requireSetting("validation fraction", validationFraction, in: Self.validationFractionInterval)
        try requireSetting("validation characters", validationCharacters, in: Self.validationCharactersRange)
        try requireSetting("warm-up steps", schedule.warmupSteps, in: LearningRateSchedule.warmupRange)
        try requireSetting("evaluation interval", evaluateEvery, in: Self.intervalRange)
        try requireSetting("checkpoint interval", checkpointEvery, in: Self.intervalRange)
        try requireSetting("log interval", logEvery, in: Self.intervalRange)
    }

    /// The learning rate once `completedEpochs` epochs are done, before the ``schedule``: base · decay^(number of
    /// completed epochs e ≥ decayAfter). A pure function of the epoch, so a resumed run follows the same schedule.
    func learningRate(completedEpochs: Int) -> Float {
        let first = max(1, ValueRange.countRoundingUp(decayAfter))
        let decays = max(0, completedEpochs - first + 1)
        return learningRate * Float(pow(Double(learningRateDecay), Double(decays)))
    }

    /// The learning rate of the step taken after `stepsDone` steps and `completedEpochs` epochs, with `progress`
    /// the share of the budget spent (`nil`: a budget without end): the per-epoch rate times the ``schedule``'s
    /// factor. A pure function of its arguments, so a resumed run with the same budget takes the same rates. O(1).
    func learningRate(stepsDone: Int, completedEpochs: Int, progress: Double?) -> Float {
        Float(Double(learningRate(completedEpochs: completedEpochs)) * schedule.factor(stepsDone: stepsDone, progress: progress))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
