/// A character model's objective: one-hot characters in, softmax cross-entropy, losses in bits per character.
///
/// Set up from a corpus: its vocabulary (the corpus's characters, a resumed checkpoint's, or those of a model
/// started from and grown, ``TrainingRun/Configuration/initFrom``), the model (straight from the checkpoint when
/// resuming), the split and the ``Trainer``.
final class TextObjective: TrainingObjective {
    let trainer: Trainer
    /// The characters the model knows.
    let vocabulary: Vocabulary
    /// The checkpoint the model started from, kept over resumes; nil for a model trained from scratch.
    let initialisedFrom: String?
    /// How the vocabulary of the model started from grew; set only on the run created with `initFrom`.
    let growth: VocabularyGrowth?

    /// Reads and checks `corpus` (once), settles the model and training configuration (the checkpoint's when
    /// resuming, else the defaults; then the settings given), checks memory, and builds the trainer. Throws as
    /// ``TrainingRun/init(_:series:)`` does. O(corpus + parameters).
    init(_ configuration: TrainingRun.Configuration, corpus: String, resumed: ResumedRun?, threads: Int) throws {
        if resumed?.checkpoint.series != nil { preconditionFailure("a series checkpoint resumes as a series run") }
        // The corpus is scanned once (validated, its alphabet and fingerprint taken) and then read as batches need
        // it. Growing a vocabulary needs each new character's count: `initFrom` serves small corpora, so their
        // bytes are read into memory once, and scanned and counted there.
        let file: CorpusFile
        var initialisation: TrainingRun.Initialisation? = nil
        if let source = configuration.initFrom {
            let bytes = try InputFile(path: corpus, accepting: .regularFilesAndPipes).readAll(memoryLimit: Corpus.memoryLimit)
            do {
                file = try CorpusFile.scan(OwnedBytes(bytes), path: corpus)
            } catch {
                throw error.prefixed("'\(corpus)' ")
            }
            let text = try bytes.withUnsafeBytes { try Corpus.decode($0) }
            initialisation = try TrainingRun.Initialisation(source, text: text, configuration: configuration)
        } else {
            file = try CorpusFile.scan(path: corpus)
        }
        initialisedFrom = initialisation?.path ?? resumed?.checkpoint.initialisedFrom
        growth = initialisation?.growth
        let model: ModelConfig, training: TrainingConfig, text: TokenText
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
        try TrainingRun.checkMemory(needed: Trainer.bytesNeeded(config: model, training: training), model: model, training: training)

        let split = try CorpusSplit(text, validationFraction: training.validationFraction)
        var rng = RandomGenerator(seed: training.seed)
        let network: CharModel
        if let resumed {
            // The checkpoint's weights, as they are: no random model to overwrite.
            network = CharModel(config: model, parameters: resumed.checkpoint.parameters, threads: threads)
        } else if let initialisation {
            network = initialisation.makeModel(threads: threads)
        } else {
            network = CharModel(config: model, rng: &rng, threads: threads)
            // A new model starts out predicting the training text's character frequencies, counted on its first
            // 8 Mi characters: plenty for the estimate, in bounded memory.
            network.setDecoderBiasToFrequencies(of: try split.training.prefix(1 << 23).tokens())
        }
        trainer = try Trainer(model: network, config: training, split: split, rng: rng)
        if let resumed { try trainer.restore(try resumed.checkpoint.trainerSnapshot()) }
    }

    var kind: ModelKind { .text }
    var unit: LossUnit { .bitsPerCharacter }
    var dataCounts: (training: Int, validation: Int) { (trainer.streams.text.count, trainer.validation.count) }
    var plotSubject: String { "" }

    func trainStep(progress: Double?) throws(CharLSTMError) -> TrainingStep {
        let result = try trainer.trainStep(progress: progress)
        return TrainingStep(loss: result.bitsPerCharacter, gradientNorm: result.gradientNorm, learningRate: result.learningRate)
    }

    func validate() throws(CharLSTMError) -> Double { try trainer.validate().bitsPerCharacter }

    func checkpoint(_ history: RunHistory) -> Checkpoint {
        Checkpoint(trainer: trainer, vocabulary: vocabulary, validationLoss: history.validationLoss,
                   bestValidationLoss: history.bestValidationLoss, elapsedSeconds: history.elapsedSeconds,
                   streak: history.streak, patience: history.patience, initialisedFrom: initialisedFrom)
    }
}
