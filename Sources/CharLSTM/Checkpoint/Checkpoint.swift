import CharLSTMKernels

/// A CharLSTM checkpoint: a model, its vocabulary and, for training checkpoints, everything a run needs to
/// continue bit for bit (Adam moments, carried state, data position, epoch, random generator state).
///
/// On disk it is a safetensors file whose tensors carry PyTorch's state-dict names (`lstm.weight_ih_l0`, …,
/// `decoder.weight`, `decoder.bias`), so `torch.nn.LSTM`/`GRU`/`RNN` + `nn.Linear` load it directly; training
/// state lives in `optimizer.exp_avg.*`, `optimizer.exp_avg_sq.*`, `state.h`, `state.c`, and the rest in the
/// metadata (see README, "Checkpoint format"). Saving is atomic; loading checks every field.
public struct Checkpoint: Sendable {
    /// The format this version writes, and the newest it reads.
    public static let formatVersion = 1

    /// The model's shape: cell, layers, hidden units, inputs.
    public internal(set) var config: ModelConfig
    /// The characters a text model reads and predicts; empty for a series model (see ``series``).
    public internal(set) var vocabulary: Vocabulary
    /// Parameter values, tensor after tensor in PyTorch's state-dict order (the names the file stores them under).
    public internal(set) var parameters: FloatBuffer
    /// What a training checkpoint adds: the state a run continues from (``TrainingState``); nil for a model-only
    /// checkpoint (`export`).
    package var training: TrainingState?
    /// For a model-only checkpoint (``modelOnly``), what it keeps of the training behind it; a training
    /// checkpoint's comes from ``training`` (see ``trainingSummary``).
    var summary: TrainingSummary? = nil
    /// The checkpoint the run behind this model started from (`train --init-from`), as it was given; nil for a
    /// model trained from scratch (and for files written before this was recorded).
    public var initialisedFrom: String? = nil
    /// For a series model, its columns and standardisation (metadata `series`); nil for a character model,
    /// whose inputs are the ``vocabulary``. A series model's ``vocabulary`` is empty and its
    /// ``ModelConfig/vocabularySize`` is the number of columns it reads.
    public internal(set) var series: SeriesScaling? = nil

    /// A text model's checkpoint. Throws `.usage` when `parameters` does not hold ``ParameterLayout``'s count for
    /// `config` or `vocabulary` is not `config`'s size. O(1): the buffer is shared, not copied.
    public init(config: ModelConfig, vocabulary: Vocabulary, parameters: FloatBuffer) throws(CharLSTMError) {
        guard parameters.count == ParameterLayout(config).totalCount else {
            throw .usage("the model config takes \(ParameterLayout(config).totalCount) parameters, got \(parameters.count)")
        }
        guard vocabulary.count == config.vocabularySize else {
            throw .usage("the model reads \(config.vocabularySize) characters, the vocabulary holds \(vocabulary.count)")
        }
        self.init(checked: config, vocabulary: vocabulary, parameters: parameters, training: nil)
    }

    /// The checkpoint of `network` (its config and parameters, shared), whose inputs are `vocabulary`'s characters
    /// (empty for a series model, which then sets ``series``).
    init(network: RecurrentNetwork, vocabulary: Vocabulary, training: TrainingState?) {
        self.init(checked: network.config, vocabulary: vocabulary, parameters: network.parameters, training: training)
    }

    /// A checkpoint of parts whose sizes agree (checked by the caller, or by loading).
    init(checked config: ModelConfig, vocabulary: Vocabulary, parameters: FloatBuffer, training: TrainingState?) {
        self.config = config
        self.vocabulary = vocabulary
        self.parameters = parameters
        self.training = training
    }

    /// This checkpoint without its training state, about a third of its size on disk: the model (its parameters
    /// shared, not copied), its vocabulary or series facts, and what ``trainingSummary`` says of the training behind
    /// it (step, validation loss, time). What `charlstm export` writes; it cannot be resumed. O(1).
    public var modelOnly: Checkpoint {
        var copy = self
        copy.summary = trainingSummary
        copy.training = nil
        return copy
    }

    /// A network holding (sharing) these parameters, of either kind (resuming a run); a program's operations take
    /// the typed ``model`` instead.
    func makeNetwork(threads: Int = 1) -> RecurrentNetwork {
        RecurrentNetwork(config: config, sharing: parameters, threads: threads)
    }
}
