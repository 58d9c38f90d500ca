import CharLSTMKernels

/// A CharLSTM checkpoint: a model, its vocabulary and, for training checkpoints, everything a run needs to
/// continue bit for bit (Adam moments, carried state, data position, epoch, random generator state).
///
/// On disk it is a safetensors file whose tensors carry PyTorch's state-dict names (`lstm.weight_ih_l0`, …,
/// `decoder.weight`, `decoder.bias`), so `torch.nn.LSTM`/`GRU`/`RNN` + `nn.Linear` load it directly; training
/// state lives in `optimizer.exp_avg.*`, `optimizer.exp_avg_sq.*`, `state.h`, `state.c`, and the rest in the
/// metadata (see README, "Checkpoint format"). Saving is atomic; loading checks every field.
public struct Checkpoint: @unchecked Sendable {
    /// The format this version writes, and the newest it reads.
    public static let formatVersion = 1

    public var config: ModelConfig
    public var vocabulary: Vocabulary
    /// Parameter values in ``ParameterLayout`` order.
    public var parameters: FloatBuffer
    public var training: TrainingState?
    /// For a model-only checkpoint (`export`), what it keeps of the training behind it; a training
    /// checkpoint's comes from ``training`` (see ``trainingSummary``).
    public var summary: TrainingSummary? = nil
    /// The checkpoint the run behind this model started from (`train --init-from`), as it was given; nil for a
    /// model trained from scratch (and for files written before this was recorded).
    public var initialisedFrom: String? = nil
    /// For a series model, its columns and standardisation (metadata `series`); nil for a character model,
    /// whose inputs are the ``vocabulary``. A series model's ``vocabulary`` is empty and its
    /// ``ModelConfig/vocabularySize`` is the number of columns it reads.
    public var series: SeriesScaling? = nil

    /// What a training checkpoint adds.
    public struct TrainingState: @unchecked Sendable {
        public var config: TrainingConfig
        public var step: Int
        public var epoch: Int
        public var position: Int
        public var rngState: String
        public var adamStep: Int
        public var m: FloatBuffer, v: FloatBuffer
        /// Carried state [L, B, H]; `c` empty for cells without one.
        public var h: FloatBuffer, c: FloatBuffer
        public var validationLoss: Double?
        public var bestValidationLoss: Double?
        /// Seconds of training behind this checkpoint, over all resumes.
        public var elapsedSeconds: Double
        /// What `--patience` counts, up to this checkpoint; in files written before it was recorded, no
        /// validations without improvement below ``bestValidationLoss``.
        public var streak = ValidationStreak()
        /// The run's `--patience`, which a resumed run keeps unless given another; nil: no early stopping.
        public var patience: Int? = nil
    }

    public init(config: ModelConfig, vocabulary: Vocabulary, parameters: FloatBuffer, training: TrainingState? = nil) {
        self.config = config
        self.vocabulary = vocabulary
        self.parameters = parameters
        self.training = training
    }

    /// A training checkpoint of `trainer` now: its model, configuration and ``Trainer/snapshot()``.
    public init(trainer: Trainer, vocabulary: Vocabulary, validationLoss: Double?, bestValidationLoss: Double?,
                elapsedSeconds: Double, streak: ValidationStreak = ValidationStreak(), patience: Int? = nil,
                initialisedFrom: String? = nil) {
        let snapshot = trainer.snapshot()
        var state = TrainingState(config: trainer.config, snapshot: snapshot, validationLoss: validationLoss,
                                  bestValidationLoss: bestValidationLoss, elapsedSeconds: elapsedSeconds)
        state.streak = streak
        state.patience = patience
        self.init(config: trainer.model.config, vocabulary: vocabulary, parameters: snapshot.parameters, training: state)
        self.initialisedFrom = initialisedFrom
    }

    /// A model holding (sharing) these parameters.
    public func makeModel(threads: Int = 1) -> CharModel {
        CharModel(config: config, parameters: parameters, threads: threads)
    }

    /// The trainer snapshot this checkpoint holds (its parameters and training state). Throws `.invalidData`
    /// when it holds no training state or a malformed random generator state.
    public func trainerSnapshot() throws(CharLSTMError) -> Trainer.Snapshot {
        guard let t = training else { throw .invalidData("the checkpoint holds no training state") }
        guard let rng = RandomGenerator(stateString: t.rngState) else {
            throw .invalidData("the checkpoint's random generator state is malformed")
        }
        return Trainer.Snapshot(step: t.step, epoch: t.epoch, position: t.position, rng: rng, parameters: parameters,
                                optimizer: Adam.Snapshot(step: t.adamStep, m: t.m, v: t.v), h: t.h, c: t.c)
    }

    /// Puts the training state into `trainer` (built for the same model and batch shape): ``Trainer/restore(_:)``
    /// of ``trainerSnapshot()``.
    public func restore(into trainer: Trainer) throws(CharLSTMError) {
        try trainer.restore(trainerSnapshot())
    }
}

extension Checkpoint.TrainingState {
    /// The training state of a trainer `snapshot` (sharing its buffers), with the run's configuration and history.
    public init(config: TrainingConfig, snapshot: Trainer.Snapshot, validationLoss: Double?, bestValidationLoss: Double?,
                elapsedSeconds: Double) {
        self.init(config: config, step: snapshot.step, epoch: snapshot.epoch, position: snapshot.position,
                  rngState: snapshot.rng.stateString, adamStep: snapshot.optimizer.step, m: snapshot.optimizer.m,
                  v: snapshot.optimizer.v, h: snapshot.h, c: snapshot.c, validationLoss: validationLoss,
                  bestValidationLoss: bestValidationLoss, elapsedSeconds: elapsedSeconds)
    }
}
