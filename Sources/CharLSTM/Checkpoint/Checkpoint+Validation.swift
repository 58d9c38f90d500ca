import CharLSTMKernels

// A checkpoint's metadata, read and checked in one place: every field against its range (``ValueRange`` and the
// limits written beside each setting), so that no later arithmetic on it can overflow or produce NaN. Every
// command that reads a checkpoint (`info`, `generate`, `eval`, `inspect`, `export`, `forecast`, `train --resume`,
// `--init-from`) reads it through ``Checkpoint/init(reading:)``, and every save checks its own metadata here first,
// so a checkpoint this program wrote is always one it can load.

extension Checkpoint {
    /// What a checkpoint's metadata says, every field checked: the model, its vocabulary, a series model's scaling,
    /// a training checkpoint's state, a model-only checkpoint's summary. Errors are `.invalidData` naming the field
    /// (`training.val_fraction must be in (0, 0.5], got "2"`); ``Checkpoint/load(path:)`` adds the file.
    struct Metadata {
        let config: ModelConfig
        let vocabulary: Vocabulary
        let series: SeriesScaling?
        let training: TrainingMetadata?
        /// A model-only checkpoint's summary of its training; nil for a training checkpoint.
        let summary: TrainingSummary?
        let initialisedFrom: String?

        /// Inputs a model may have: one per Unicode scalar at most (a vocabulary grown by `--init-from` may pass
        /// the 65,536 a corpus may hold), or one per column of a series model.
        static let inputRange = 1...0x110000

        /// Reads and checks every field of `meta`. O(metadata).
        init(_ meta: [String: String]) throws(CharLSTMError) {
            guard meta["format"] == "charlstm" else {
                throw .invalidData("not a CharLSTM checkpoint (no \"format\": \"charlstm\" metadata)")
            }
            guard let version = meta["format_version"].flatMap({ Int($0) }), version >= 1 else {
                throw .invalidData("missing or malformed format_version")
            }
            guard version <= Checkpoint.formatVersion else {
                throw .invalidData("written by a newer CharLSTM (format version \(version); this version reads up to "
                    + "\(Checkpoint.formatVersion))")
            }
            let c = try Self.object(meta, "config")
            guard let cellName = c["cell"]?.stringValue, let cell = CellKind(rawValue: cellName) else {
                throw .invalidData("config has no valid cell (lstm, gru or rnn)")
            }
            guard meta["cell"] == nil || meta["cell"] == cellName else { throw .invalidData("metadata cell and config cell differ") }
            let layers = try ValueRange.integer(c["layers"], field: "config.layers", in: ModelConfig.layerRange)
            let hidden = try ValueRange.integer(c["hidden"], field: "config.hidden", in: ModelConfig.hiddenRange)
            let inputs = try ValueRange.integer(c["vocab_size"], field: "config.vocab_size", in: Self.inputRange)
            let dropout = try ValueRange.real(c["dropout"], field: "config.dropout", in: ModelConfig.dropoutInterval)
            // As a Float, which the model computes with: a dropout just below 1 may round to 1, and 1 / (1 − p) to ∞.
            guard Float(dropout) < 1 else { throw .invalidData("config.dropout must be below 1 as a 32-bit float, got \(dropout)") }
            config = ModelConfig(cell: cell, vocabularySize: inputs, hidden: hidden, layers: layers, dropout: Float(dropout))

            series = try meta["series"].map { text throws(CharLSTMError) in try SeriesScaling(metadata: text, width: inputs) }
            guard let vocabText = meta["vocabulary"], case .array(let items)? = try? JSONValue.parse(vocabText) else {
                throw .invalidData("missing or malformed vocabulary (a JSON array of one-character strings)")
            }
            var scalars: [Unicode.Scalar] = []
            scalars.reserveCapacity(min(items.count, Self.inputRange.upperBound))
            for item in items {
                guard let s = item.stringValue, s.unicodeScalars.count == 1 else {
                    throw .invalidData("vocabulary entries must each be one character")
                }
                scalars.append(s.unicodeScalars.first!)
            }
            vocabulary = try Vocabulary(scalars: scalars)
            guard series == nil || vocabulary.count == 0 else {
                throw .invalidData("a series model's vocabulary must be empty, not \(vocabulary.count) characters")
            }
            guard vocabulary.count == inputs || series != nil else {
                throw .invalidData("the vocabulary has \(vocabulary.count) characters but config.vocab_size is \(inputs)")
            }
            let model = config, kind = ModelKind(series: series)
            training = try meta["training"].map { _ throws(CharLSTMError) in try TrainingMetadata(meta, config: model, kind: kind) }
            summary = meta["training"] == nil ? try Self.modelOnlySummary(meta, kind: kind) : nil
            initialisedFrom = meta["initialised_from"]
        }

        /// What a model-only checkpoint says of its training: nil when it has no `step` (files written before
        /// `export` kept it, and PyTorch's model-only files).
        private static func modelOnlySummary(_ meta: [String: String], kind: ModelKind) throws(CharLSTMError) -> TrainingSummary? {
            guard meta["step"] != nil else { return nil }
            return TrainingSummary(step: try ValueRange.integer(meta["step"], field: "step", in: ValueRange.counts),
                                   validationLoss: try optionalLoss(meta, "val", kind: kind),
                                   bestValidationLoss: try optionalLoss(meta, "best_val", kind: kind),
                                   elapsedSeconds: try elapsedSeconds(meta))
        }

        /// The validation loss `name`_`unit` (`val_bpc`, `best_val_rmse`, …, in the unit of `kind`'s losses); a series
        /// checkpoint written before its losses had their own name keeps them under `_bpc`. Absent or empty for none.
        static func optionalLoss(_ meta: [String: String], _ name: String, kind: ModelKind) throws(CharLSTMError) -> Double? {
            var key = "\(name)_\(kind.lossKey)"
            if meta[key] == nil && kind == .series { key = "\(name)_\(ModelKind.text.lossKey)" }
            guard let text = meta[key], !text.isEmpty else { return nil }
            return try ValueRange.real(text, field: key, in: ValueRange.loss)
        }

        /// Seconds of training; 0 when not recorded.
        static func elapsedSeconds(_ meta: [String: String]) throws(CharLSTMError) -> Double {
            guard let text = meta["elapsed_seconds"], !text.isEmpty else { return 0 }
            return try ValueRange.real(text, field: "elapsed_seconds", in: ValueRange.trainingSeconds)
        }

        static func object(_ meta: [String: String], _ key: String) throws(CharLSTMError) -> [String: JSONValue] {
            guard let text = meta[key], case .object(let members)? = try? JSONValue.parse(text) else {
                throw .invalidData("missing or malformed \(key) metadata (a JSON object)")
            }
            return members
        }
    }

    /// The training metadata of a training checkpoint, checked.
    struct TrainingMetadata {
        let config: TrainingConfig
        let stateShape: [Int]
        let adamStep: Int
        let step: Int, epoch: Int, position: Int
        let rng: RandomGenerator
        let validationLoss: Double?, bestValidationLoss: Double?
        let elapsedSeconds: Double
        let streak: ValidationStreak
        let patience: Int?
        let budget: TrainingBudget?

        init(_ meta: [String: String], config model: ModelConfig, kind: ModelKind) throws(CharLSTMError) {
            let tj = try Metadata.object(meta, "training")
            func int(_ key: String, _ range: ClosedRange<Int>) throws(CharLSTMError) -> Int {
                try ValueRange.integer(tj[key], field: "training.\(key)", in: range)
            }
            func real(_ key: String, _ interval: RealInterval) throws(CharLSTMError) -> Double {
                try ValueRange.real(tj[key], field: "training.\(key)", in: interval)
            }
            var tc = TrainingConfig()
            tc.sequenceLength = try int("seq_length", TrainingConfig.sequenceLengthRange)
            tc.batchSize = try int("batch_size", TrainingConfig.batchSizeRange)
            tc.learningRate = Float(try real("learning_rate", TrainingConfig.learningRateInterval))
            tc.learningRateDecay = Float(try real("learning_rate_decay", TrainingConfig.learningRateDecayInterval))
            tc.decayAfter = try real("decay_after", TrainingConfig.decayAfterInterval)
            tc.weightDecay = Float(try real("weight_decay", TrainingConfig.weightDecayInterval))
            tc.clip = Float(try real("clip", TrainingConfig.clipInterval))
            tc.validationFraction = try real("val_fraction", TrainingConfig.validationFractionInterval)
            guard case .number(let s)? = tj["seed"], let seed = StrictNumber.unsigned(s) else {
                throw .invalidData("training.seed must be a whole number from 0 to \(UInt64.max)")
            }
            tc.seed = seed
            tc.corpus = tj["corpus"]?.stringValue ?? ""
            // Both optional: checkpoints written before they were recorded load with the default and no fingerprint.
            if tj["val_chars"] != nil { tc.validationCharacters = try int("val_chars", TrainingConfig.validationCharactersRange) }
            if tj["corpus_bytes"] != nil || tj["corpus_hash"] != nil {
                let bytes = try int("corpus_bytes", ValueRange.counts)
                guard let hash = tj["corpus_hash"]?.stringValue, let fingerprint = CorpusFingerprint(bytes: bytes, hashText: hash) else {
                    throw .invalidData("training.corpus_hash must be 16 hex digits")
                }
                tc.corpusFingerprint = fingerprint
            }
            // Checkpoints written before schedules existed have neither key: they trained at a constant rate.
            tc.schedule = .constant
            if let name = tj["lr_schedule"] {
                guard let shape = name.stringValue.flatMap(LearningRateSchedule.Shape.init(rawValue:)) else {
                    throw .invalidData("training.lr_schedule is not one of "
                        + "\(LearningRateSchedule.Shape.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tc.schedule.shape = shape
            }
            if tj["warmup_steps"] != nil { tc.schedule.warmupSteps = try int("warmup_steps", LearningRateSchedule.warmupRange) }
            // Recorded since a resume keeps them; older checkpoints resume with the defaults.
            if tj["eval_every"] != nil { tc.evaluateEvery = try int("eval_every", TrainingConfig.intervalRange) }
            if tj["checkpoint_every"] != nil { tc.checkpointEvery = try int("checkpoint_every", TrainingConfig.intervalRange) }
            if tj["log_every"] != nil { tc.logEvery = try int("log_every", TrainingConfig.intervalRange) }
            config = tc
            adamStep = try int("adam_step", ValueRange.counts)
            stateShape = [model.layers, tc.batchSize, model.hidden]
            step = try ValueRange.integer(meta["step"], field: "step", in: ValueRange.counts)
            // Adam takes one update per training step, and a run stops at step 10^15: a count above the step would
            // pass 10^15 before the step does, and then no checkpoint of the run could be saved.
            guard adamStep <= step else {
                throw .invalidData("training.adam_step must be a whole number from 0 to the checkpoint's step (\(step)), "
                    + "got \(adamStep): Adam takes one update per training step")
            }
            epoch = try ValueRange.integer(meta["epoch"], field: "epoch", in: ValueRange.counts)
            // A step completes at most one epoch (an epoch is at least one batch): more epochs than steps would
            // pass 10^15 first, and the run's metrics.csv would then hold a row no resume reads.
            guard epoch <= step else {
                throw .invalidData("epoch must be a whole number from 0 to the checkpoint's step (\(step)), "
                    + "got \(epoch): a training step completes at most one epoch")
            }
            position = try ValueRange.integer(meta["data_position"], field: "data_position", in: ValueRange.counts)
            guard let rng = meta["rng_state"].flatMap(RandomGenerator.init(stateString:)) else {
                throw .invalidData("rng_state is missing or malformed")
            }
            self.rng = rng
            validationLoss = try Metadata.optionalLoss(meta, "val", kind: kind)
            bestValidationLoss = try Metadata.optionalLoss(meta, "best_val", kind: kind)
            elapsedSeconds = try Metadata.elapsedSeconds(meta)
            // Absent in checkpoints written before `--patience`: no count yet, below the best loss.
            streak = meta["validations_without_improvement"] == nil
                ? ValidationStreak(lowest: bestValidationLoss)
                : ValidationStreak(withoutImprovement: try ValueRange.integer(meta["validations_without_improvement"],
                                                                             field: "validations_without_improvement",
                                                                             in: ValueRange.counts),
                                   lowest: try Metadata.optionalLoss(meta, "lowest_scheduled_val", kind: kind))
            patience = try meta["patience"].map { text throws(CharLSTMError) in
                try ValueRange.integer(text, field: "patience", in: TrainingRun.Configuration.patienceRange)
            }
            // Absent in checkpoints written before the budget was recorded.
            budget = try meta["budget"].map { text throws(CharLSTMError) in try TrainingBudget(metadata: text) }
        }

        /// The state these fields and the buffers read describe.
        func state(optimizer: AdamMoments, h: FloatBuffer, c: FloatBuffer) -> TrainingState {
            TrainingState(config: config, budget: budget, step: step, epoch: epoch, position: position, rng: rng,
                          optimizer: optimizer, h: h, c: c, validationLoss: validationLoss,
                          bestValidationLoss: bestValidationLoss, elapsedSeconds: elapsedSeconds, streak: streak,
                          patience: patience)
        }
    }
}

extension SeriesScaling {
    /// The largest |mean| and standard deviation a series model may have been standardised with: 10^101, above
    /// what values within ``SeriesTable/valueLimit`` give (differences of two such values included), and low
    /// enough that a prediction mapped back into the series' units stays finite.
    static let statisticLimit = 1e101

    /// Reads the `series` metadata of a model with `width` inputs: a name for each, distinct and not empty, a mean
    /// within ±``statisticLimit``, a standard deviation in (0, ``statisticLimit``], and a lag in ``lagRange``.
    /// Throws `.invalidData` naming the field.
    init(metadata text: String, width: Int) throws(CharLSTMError) {
        guard case .object(let o)? = try? JSONValue.parse(text), case .array(let names)? = o["columns"],
              case .array(let means)? = o["mean"], case .array(let deviations)? = o["std"] else {
            throw .invalidData("malformed series metadata (a JSON object with columns, mean and std)")
        }
        guard names.count == width, means.count == width, deviations.count == width else {
            throw .invalidData("the series metadata must give a name, a mean and a std for each of the \(width) inputs "
                + "of the model (it gives \(names.count), \(means.count) and \(deviations.count))")
        }
        let columns = names.compactMap(\.stringValue)
        guard columns.count == width, !columns.contains(""), Set(columns).count == width else {
            throw .invalidData("series.columns must be \(width) distinct, non-empty names")
        }
        var mean: [Double] = [], deviation: [Double] = []
        for j in 0..<width {
            mean.append(try ValueRange.real(means[j], field: "series.mean[\(j)]",
                                            in: .closed(-Self.statisticLimit, Self.statisticLimit)))
            deviation.append(try ValueRange.real(deviations[j], field: "series.std[\(j)]",
                                                 in: .openClosed(0, Self.statisticLimit)))
        }
        let lag = try o["lag"].map { value throws(CharLSTMError) in
            try ValueRange.integer(value, field: "series.lag", in: Self.lagRange)
        } ?? 0
        self.init(fitted: columns, mean: mean, deviation: deviation, lag: lag)
    }
}
