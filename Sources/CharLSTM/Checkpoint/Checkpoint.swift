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
        public var validationBPC: Double?
        public var bestValidationBPC: Double?
        /// Seconds of training behind this checkpoint, over all resumes.
        public var elapsedSeconds: Double
    }

    public init(config: ModelConfig, vocabulary: Vocabulary, parameters: FloatBuffer, training: TrainingState? = nil) {
        self.config = config
        self.vocabulary = vocabulary
        self.parameters = parameters
        self.training = training
    }

    /// A training checkpoint of `trainer` now.
    public init(trainer: Trainer, vocabulary: Vocabulary, validationBPC: Double?, bestValidationBPC: Double?,
                elapsedSeconds: Double) {
        self.init(config: trainer.model.config, vocabulary: vocabulary, parameters: trainer.model.parameters,
                  training: TrainingState(
                    config: trainer.config, step: trainer.step, epoch: trainer.epoch, position: trainer.position,
                    rngState: trainer.rng.stateString, adamStep: trainer.optimizer.step,
                    m: trainer.optimizer.m, v: trainer.optimizer.v, h: trainer.state.h, c: trainer.state.c,
                    validationBPC: validationBPC, bestValidationBPC: bestValidationBPC, elapsedSeconds: elapsedSeconds))
    }

    /// A model holding (sharing) these parameters.
    public func makeModel(threads: Int = 1) -> CharModel {
        CharModel(config: config, parameters: parameters, threads: threads)
    }

    /// Puts the training state into `trainer` (built for the same model and batch shape).
    public func restore(into trainer: Trainer) throws(CharLSTMError) {
        guard let t = training else { throw .invalidData("the checkpoint holds no training state") }
        guard let rng = RandomGenerator(stateString: t.rngState) else {
            throw .invalidData("the checkpoint's random generator state is malformed")
        }
        guard t.position < trainer.streams.batchesPerEpoch else {
            throw .conflict("the checkpoint stopped at batch \(t.position) of an epoch, but this corpus and batch shape "
                + "give only \(trainer.streams.batchesPerEpoch) batches per epoch: resume on the corpus the run was started on")
        }
        trainer.model.parameters.pointer.update(from: parameters.pointer, count: parameters.count)
        trainer.optimizer.m.pointer.update(from: t.m.pointer, count: t.m.count)
        trainer.optimizer.v.pointer.update(from: t.v.pointer, count: t.v.count)
        trainer.optimizer.step = t.adamStep
        trainer.state.h.pointer.update(from: t.h.pointer, count: t.h.count)
        trainer.state.c.pointer.update(from: t.c.pointer, count: t.c.count)
        trainer.step = t.step
        trainer.epoch = t.epoch
        trainer.position = t.position
        trainer.rng = rng
    }
}
