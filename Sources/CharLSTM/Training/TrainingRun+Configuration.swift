extension TrainingRun {
    /// What a training run trains on, where it writes, and how: the library's form of `charlstm train`'s options.
    ///
    /// Every model and training setting is optional. Left `nil`, a new run takes the default (``defaultCell``,
    /// ``defaultLayers``, ``defaultHidden``, ``defaultDropout`` and the defaults of ``TrainingConfig``), and a run
    /// that resumes keeps the checkpoint's value. A resumed run refuses a `cell`, `layers`, `hidden`,
    /// `sequenceLength`, `batchSize`, `seed` or `validationFraction` that differs from the checkpoint's (they fix
    /// the model, the batches, the random streams and the held-out text); `dropout`, the optimiser and schedule
    /// settings and the intervals may change.
    ///
    /// ```swift
    /// var configuration = TrainingRun.Configuration(corpus: "notes.txt", folder: "Checkpoints/notes")
    /// configuration.hidden = 128
    /// configuration.dropout = 0.1
    /// let run = try TrainingRun(configuration)
    /// ```
    public struct Configuration: Equatable, Sendable {
        /// The training text, a UTF-8 file. `nil`: the corpus the resumed run was trained on (a new run needs one).
        public var corpus: String?
        /// The run folder for checkpoints, `metrics.csv` and `loss.svg`. `nil`: the folder of the checkpoint
        /// resumed from (a new run needs one).
        public var folder: String?
        /// A checkpoint file, or a run folder (then its `latest.safetensors`), to continue training from.
        public var resume: String?
        /// A checkpoint file, or a run folder (then its `best.safetensors`), whose model a new run starts from:
        /// its shape and weights, its vocabulary grown by the corpus's new characters (``VocabularyGrowth``).
        /// The run is new (step 0, fresh optimiser and schedule); `cell`, `layers` and `hidden` must be `nil` or
        /// the checkpoint's. Not with ``resume``.
        public var initFrom: String?
        /// Stop once this many validations in a row (every ``evaluateEvery`` steps) found no new lowest loss;
        /// `nil`: never stop early.
        public var patience: Int?
        /// Start over in a folder that already holds another run, replacing its checkpoints, metrics and plot when
        /// the new run saves its first checkpoint (until then they stay as they are, so stopping or killing the new
        /// run earlier loses nothing). Without it such a folder is refused.
        public var overwrite = false
        /// Most threads the matrix products use; `nil`: every core.
        public var threads: Int?

        /// The recurrent cell.
        public var cell: CellKind?
        /// Stacked recurrent layers, in ``ModelConfig/layerRange``.
        public var layers: Int?
        /// Hidden units per layer, in ``ModelConfig/hiddenRange``.
        public var hidden: Int?
        /// Dropout probability in [0, 1), applied after every recurrent layer (so also before the decoder).
        public var dropout: Double?
        /// Characters per training sequence (steps of backpropagation through time).
        public var sequenceLength: Int?
        /// Sequences per batch.
        public var batchSize: Int?
        /// Share of the corpus, taken from its end, held out for validation: (0, 0.5].
        public var validationFraction: Double?
        /// Adam's learning rate: (0, 10].
        public var learningRate: Double?
        /// The shape of the learning rate's decay to zero at the end of the budget (see ``LearningRateSchedule``).
        public var learningRateSchedule: LearningRateSchedule.Shape?
        /// Steps of linear learning-rate warm-up at the start of training; 0 for none.
        public var warmupSteps: Int?
        /// Factor applied to the learning rate once per epoch after ``decayAfter`` epochs: (0, 1].
        public var learningRateDecay: Double?
        /// Epochs before the learning rate starts to decay.
        public var decayAfter: Double?
        /// L2 weight decay, as in `torch.optim.Adam`.
        public var weightDecay: Double?
        /// Largest global gradient norm; 0 disables clipping.
        public var clip: Double?
        /// Seed of weight initialisation and dropout masks.
        public var seed: UInt64?
        /// Most characters of the validation split a periodic validation reads; 0: all (see
        /// ``TrainingConfig/validationCharacters``).
        public var validationCharacters: Int?
        /// Resume on a corpus whose fingerprint differs from the checkpoint's (e.g. text was appended to it).
        /// Without it such a resume is refused. The characters must still all be in the checkpoint's vocabulary.
        public var allowChangedCorpus = false

        /// Steps between validation passes (and updates of `best.safetensors` and `loss.svg`); `nil`: the default of
        /// the run's kind for a new run (``TrainingConfig/evaluateEvery``, 500, for text; ``SeriesDefaults/evaluateEvery``
        /// for a series), the checkpoint's when resuming.
        public var evaluateEvery: Int?
        /// Steps between saves of `latest.safetensors`; `nil`: 500, or the checkpoint's.
        public var checkpointEvery: Int?
        /// Steps between rows of `metrics.csv`; `nil`: 10, or the checkpoint's.
        public var logEvery: Int?

        /// The cell of a new run when ``cell`` is `nil`.
        package static let defaultCell = CellKind.lstm
        /// The layers of a new run when ``layers`` is `nil`.
        package static let defaultLayers = 2
        /// The hidden size of a new run when ``hidden`` is `nil`.
        package static let defaultHidden = 256
        /// The dropout of a new run when ``dropout`` is `nil`.
        package static let defaultDropout = 0.0

        /// A configuration with every setting at its default.
        public init(corpus: String? = nil, folder: String? = nil, resume: String? = nil) {
            self.corpus = corpus
            self.folder = folder
            self.resume = resume
        }

        /// Throws a `.usage` error naming the first setting outside its limits.
        func validate() throws(CharLSTMError) {
            func check(_ what: String, _ value: Int?, _ range: ClosedRange<Int>) throws(CharLSTMError) {
                if let value { try requireSetting(what, value, in: range) }
            }
            func check(_ what: String, _ value: Double?, _ interval: RealInterval) throws(CharLSTMError) {
                if let value { try requireSetting(what, value, in: interval) }
            }
            try check("layers", layers, ModelConfig.layerRange)
            try check("hidden size", hidden, ModelConfig.hiddenRange)
            try check("dropout", dropout, ModelConfig.dropoutInterval)
            try check("sequence length", sequenceLength, TrainingConfig.sequenceLengthRange)
            try check("batch size", batchSize, TrainingConfig.batchSizeRange)
            try check("validation fraction", validationFraction, TrainingConfig.validationFractionInterval)
            try check("validation characters", validationCharacters, TrainingConfig.validationCharactersRange)
            if validationCharacters == 1 {
                throw .usage("validation characters must be 0 (the whole split) or at least 2 (one prediction), not 1")
            }
            try check("learning rate", learningRate, TrainingConfig.learningRateInterval)
            try check("warm-up steps", warmupSteps, LearningRateSchedule.warmupRange)
            try check("learning-rate decay", learningRateDecay, TrainingConfig.learningRateDecayInterval)
            try check("decay-after epochs", decayAfter, TrainingConfig.decayAfterInterval)
            try check("weight decay", weightDecay, TrainingConfig.weightDecayInterval)
            try check("clip", clip, TrainingConfig.clipInterval)
            try check("evaluation interval", evaluateEvery, TrainingConfig.intervalRange)
            try check("checkpoint interval", checkpointEvery, TrainingConfig.intervalRange)
            try check("log interval", logEvery, TrainingConfig.intervalRange)
            try check("threads", threads, Self.threadRange)
            try check("patience", patience, Self.patienceRange)
            if resume != nil && initFrom != nil {
                throw .usage("\(setting: .resume) and \(setting: .initFrom) cannot be combined: \(setting: .resume) continues a run, "
                    + "\(setting: .initFrom) starts a new one from another model's weights")
            }
        }

        /// Validations without improvement `patience` may allow: a count of at least 1.
        package static let patienceRange = ValueRange.positiveCounts
        /// Threads a run may use.
        package static let threadRange = 1...256

        /// The model of a new run on a corpus of `vocabularySize` characters.
        func newModel(vocabularySize: Int) -> ModelConfig {
            ModelConfig(cell: cell ?? Self.defaultCell, vocabularySize: vocabularySize, hidden: hidden ?? Self.defaultHidden,
                        layers: layers ?? Self.defaultLayers, dropout: Float(dropout ?? Self.defaultDropout))
        }

        /// The model of a resumed run: the checkpoint's, with ``dropout`` when it is set.
        func resumedModel(_ checkpoint: ModelConfig) -> ModelConfig {
            var model = checkpoint
            if let dropout { model.dropout = Float(dropout) }
            return model
        }

        /// `base` (the defaults, or a resumed checkpoint's) with every setting that is set.
        func training(from base: TrainingConfig, corpus: CorpusFile) -> TrainingConfig {
            var t = base
            if let sequenceLength { t.sequenceLength = sequenceLength }
            if let batchSize { t.batchSize = batchSize }
            if let seed { t.seed = seed }
            if let learningRate { t.learningRate = Float(learningRate) }
            if let learningRateSchedule { t.schedule.shape = learningRateSchedule }
            if let warmupSteps { t.schedule.warmupSteps = warmupSteps }
            if let learningRateDecay { t.learningRateDecay = Float(learningRateDecay) }
            if let decayAfter { t.decayAfter = decayAfter }
            if let weightDecay { t.weightDecay = Float(weightDecay) }
            if let clip { t.clip = Float(clip) }
            if let validationFraction { t.validationFraction = validationFraction }
            if let validationCharacters { t.validationCharacters = validationCharacters }
            if let evaluateEvery { t.evaluateEvery = evaluateEvery }
            if let checkpointEvery { t.checkpointEvery = checkpointEvery }
            if let logEvery { t.logEvery = logEvery }
            t.corpus = corpus.path
            t.corpusFingerprint = corpus.fingerprint
            return t
        }

        /// A resumed run's corpus must be the one its checkpoint recorded (same size and hash), unless
        /// ``allowChangedCorpus``; checkpoints without a fingerprint are not checked.
        func checkCorpus(_ file: CorpusFile, trainedOn training: TrainingConfig) throws(CharLSTMError) {
            guard let saved = training.corpusFingerprint, saved != file.fingerprint, !allowChangedCorpus else { return }
            throw .conflict("'\(file.path)' is not the corpus this run was trained on (\(file.fingerprint); the checkpoint's "
                + "corpus: \(saved)): resume on that file, or add \(setting: .allowChangedCorpus) to continue on this text "
                + "(e.g. after appending to it)")
        }

        /// Settings that fix the model, the batches, the random streams or the held-out text must match the checkpoint
        /// resumed from.
        func checkResumable(model: ModelConfig, training: TrainingConfig) throws(CharLSTMError) {
            var conflicts: [CharLSTMError.Message] = []
            func compare<T: Equatable>(_ setting: CharLSTMError.Setting, _ given: T?, _ saved: T, _ text: (T) -> String) {
                if let given, given != saved { conflicts.append("\(setting: setting) \(text(given)) (checkpoint: \(text(saved)))") }
            }
            compare(.cell, cell, model.cell, \.rawValue)
            compare(.layers, layers, model.layers, String.init)
            compare(.hidden, hidden, model.hidden, String.init)
            compare(.sequenceLength, sequenceLength, training.sequenceLength, String.init)
            compare(.batchSize, batchSize, training.batchSize, String.init)
            compare(.seed, seed, training.seed, String.init)
            // The split decides which text is trained on and which is held out: moved, the validation would score
            // text already trained on, and the batches would change.
            compare(.validationFraction, validationFraction, training.validationFraction) { String($0) }
            guard conflicts.isEmpty else {
                throw .conflict("cannot resume with \(Self.list(conflicts)): these are fixed by the checkpoint; "
                    + "leave them out, or start a new run with another \(setting: .folder)")
            }
        }

        /// `a, b, c`.
        static func list(_ parts: [CharLSTMError.Message]) -> CharLSTMError.Message {
            parts.dropFirst().reduce(parts.first ?? "") { $0 + ", " + $1 }
        }
    }
}
