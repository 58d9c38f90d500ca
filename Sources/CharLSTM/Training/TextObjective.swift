/// A character model's objective: one-hot characters in, softmax cross-entropy, losses in bits per character.
///
/// Its data is a corpus split into the training text, cut into ``BatchStreams``, and the held-out text a validation
/// reads (its first ``TrainingConfig/validationCharacters``) as parallel streams from a zero state. Its checkpoints
/// carry the model's ``vocabulary``.
struct TextObjective: TrainingObjective {
    /// The characters the model knows.
    let vocabulary: Vocabulary
    /// The training text as batches.
    let streams: BatchStreams
    /// The held-out text.
    let validation: TextSlice
    /// The checkpoint the model started from, kept over resumes; nil for a model trained from scratch.
    let initialisedFrom: String?
    /// How the vocabulary of the model started from grew; set only on the run created with `initFrom`.
    let growth: VocabularyGrowth?

    /// The objective of `split`, encoded with `vocabulary`, in batches of `config`'s shape. Throws `.invalidData`
    /// when the training text is too short for one batch.
    init(split: CorpusSplit, vocabulary: Vocabulary, config: TrainingConfig, initialisedFrom: String? = nil,
         growth: VocabularyGrowth? = nil) throws(CharLSTMError) {
        streams = try BatchStreams(text: split.training, batchSize: config.batchSize, sequenceLength: config.sequenceLength)
        validation = split.validation
        self.vocabulary = vocabulary
        self.initialisedFrom = initialisedFrom
        self.growth = growth
    }

    var kind: ModelKind { .text }
    var unit: LossUnit { .bitsPerCharacter }
    var dataCounts: (training: Int, validation: Int) { (streams.text.count, validation.count) }
    var plotSubject: String { "" }
    var batchesPerEpoch: Int { streams.batchesPerEpoch }

    func makeBatch(streams: Int, config: TrainingConfig) -> TokenBatch {
        TokenBatch(sequenceLength: config.sequenceLength, batchSize: streams)
    }

    func fill(_ batch: inout TokenBatch, position: Int) throws(CharLSTMError) {
        try streams.fill(&batch, position: position)
    }

    func loss(_ loss: RecurrentNetwork.ForwardResult) -> Double { loss.bitsPerCharacter }

    func validationStreams(config: TrainingConfig) -> Int { Self.validationStreams(validation, config: config) }

    /// The streams a validation of `validation` reads side by side under `config`.
    static func validationStreams(_ validation: TextSlice, config: TrainingConfig) -> Int {
        RecurrentNetwork.evaluationShape(characters: measured(validation, config).count, batchSize: config.batchSize,
                                  sequenceLength: config.sequenceLength)?.batchSize ?? 1
    }

    /// Bits per character on the first ``TrainingConfig/validationCharacters`` of the held-out text (all of it when
    /// that is 0), read as parallel streams from a zero state; nil when stopped. O(n·L·G·H²).
    func validate(_ model: RecurrentNetwork, config: TrainingConfig, workspace: InferenceWorkspace,
                  shouldStop: () -> Bool) throws(CharLSTMError) -> Double? {
        try model.evaluateStreams(measured(config), batchSize: config.batchSize, sequenceLength: config.sequenceLength,
                                  workspace: workspace, shouldStop: shouldStop)?.bitsPerCharacter
    }

    /// The part of the held-out text a validation reads under `config` (at least 2 characters: one prediction).
    func measured(_ config: TrainingConfig) -> TextSlice { Self.measured(validation, config) }

    private static func measured(_ validation: TextSlice, _ config: TrainingConfig) -> TextSlice {
        config.validationCharacters > 0 ? validation.prefix(max(2, config.validationCharacters)) : validation
    }

    func checkpoint(_ model: RecurrentNetwork, state: TrainingState) -> Checkpoint {
        var checkpoint = Checkpoint(network: model, vocabulary: vocabulary, training: state)
        checkpoint.initialisedFrom = initialisedFrom
        return checkpoint
    }
}

extension TokenBatch: TrainingBatch {
    func forward(_ model: RecurrentNetwork, state: RecurrentState, workspace: Workspace, dropout rng: inout RandomGenerator,
                 gradientRows: Int) -> RecurrentNetwork.ForwardResult {
        model.forward(self, state: state, workspace: workspace, training: true, dropout: &rng, gradientRows: gradientRows)
    }

    func backward(_ model: RecurrentNetwork, workspace: Workspace, accumulate: Bool) {
        model.backward(self, workspace: workspace, accumulate: accumulate)
    }
}

extension RecurrentNetwork.ForwardResult: SummedLoss {}

extension Trainer where Objective == TextObjective {
    /// A trainer of a new `model` on `split` (encoded with `vocabulary`), from step 0 with `rng` as the model's
    /// initialisation left it: what the benchmark and tests train without a run.
    convenience init(model: RecurrentNetwork, vocabulary: Vocabulary, split: CorpusSplit, config: TrainingConfig, rng: RandomGenerator,
                     streamsPerPass: Int? = nil) throws(CharLSTMError) {
        try self.init(objective: try TextObjective(split: split, vocabulary: vocabulary, config: config), model: model,
                      state: TrainingState(starting: config, model: model.config, rng: rng, patience: nil),
                      streamsPerPass: streamsPerPass)
    }
}

extension TextObjective {
    /// The objective, model and state of a text run on `corpus`: read and checked once (its characters, and for a
    /// resume its fingerprint against the checkpoint's), the model and training configuration settled (the
    /// checkpoint's when resuming, else the defaults; then the settings given), memory checked, and the model built:
    /// the checkpoint's weights and state as they are when resuming, another model's grown by the corpus's new
    /// characters with ``TrainingRun/Configuration/initFrom``, else a new one. Throws as
    /// ``TrainingRun/init(_:series:)`` does. O(corpus + parameters).
    static func setUp(_ configuration: TrainingRun.Configuration, corpus: String, resumed: ResumedRun?,
                      threads: Int) throws -> (TextObjective, RecurrentNetwork, TrainingState) {
        // The corpus is scanned once (validated, its alphabet and fingerprint taken) and then read as batches need
        // it; growing a vocabulary (`initFrom`) counts its characters in one more pass through a small buffer.
        let file = try CorpusFile.scan(path: corpus)
        let initialisation = try configuration.initFrom.map { source throws in
            try TrainingRun.Initialisation(source, corpus: file, configuration: configuration)
        }
        let model: ModelConfig, training: TrainingConfig, text: TokenText, vocabulary: Vocabulary
        if let resumed {
            try configuration.checkResumable(model: resumed.checkpoint.config, training: resumed.state.config)
            model = configuration.resumedModel(resumed.checkpoint.config)
            training = configuration.training(from: resumed.state.config, corpus: file)
            vocabulary = resumed.checkpoint.vocabulary
            do {
                text = try TokenText(file: file, vocabulary: vocabulary, vocabularyOf: "the checkpoint")
            } catch {
                throw error.adding("; resume on the corpus the run was trained on")
            }
            try configuration.checkCorpus(file, trainedOn: resumed.state.config)
        } else if let initialisation {
            vocabulary = initialisation.growth.new
            model = initialisation.config
            training = configuration.training(from: TrainingConfig(), corpus: file)
            text = try TokenText(file: file, vocabulary: vocabulary)
        } else {
            vocabulary = try Vocabulary(scalars: file.scalars)
            model = configuration.newModel(vocabularySize: vocabulary.count)
            training = configuration.training(from: TrainingConfig(), corpus: file)
            text = try TokenText(file: file, vocabulary: vocabulary)
        }
        try model.validate()
        try training.validate()
        let split = try CorpusSplit(text, validationFraction: training.validationFraction)
        try TrainingRun.checkMemory(needed: Trainer<Self>.bytesNeeded(model: model, config: training, validationStreams:
                                                                        validationStreams(split.validation, config: training)),
                                    model: model, training: training)
        let objective = try TextObjective(split: split, vocabulary: vocabulary, config: training,
                                          initialisedFrom: initialisation?.path ?? resumed?.checkpoint.initialisedFrom,
                                          growth: initialisation?.growth)

        if let resumed {
            // The checkpoint's weights and state, as they are: no random model to overwrite.
            return (objective, RecurrentNetwork(config: model, sharing: resumed.checkpoint.parameters, threads: threads),
                    resumed.state(with: training))
        }
        var rng = RandomGenerator(seed: training.seed)
        let network: RecurrentNetwork
        if let initialisation {
            network = initialisation.makeNetwork(threads: threads)
        } else {
            network = RecurrentNetwork(config: model, rng: &rng, threads: threads)
            // A new model starts out predicting the training text's character frequencies, counted on its first
            // 8 Mi characters: plenty for the estimate, in bounded memory.
            network.setDecoderBiasToFrequencies(of: try split.training.prefix(1 << 23).tokens())
        }
        return (objective, network, TrainingState(starting: training, model: model, rng: rng, patience: nil))
    }
}
