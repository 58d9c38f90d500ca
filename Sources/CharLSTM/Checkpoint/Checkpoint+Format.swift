import CharLSTMKernels

/// What a checkpoint records about the training behind its model: enough for `info` to say how far it got.
public struct TrainingSummary: Equatable, Sendable {
    public var step: Int
    /// The last validation loss in bits per character, when one was measured.
    public var validationLoss: Double?
    public var bestValidationLoss: Double?
    /// Seconds of training, over all resumes.
    public var elapsedSeconds: Double

    public init(step: Int, validationLoss: Double?, bestValidationLoss: Double?, elapsedSeconds: Double) {
        self.step = step
        self.validationLoss = validationLoss
        self.bestValidationLoss = bestValidationLoss
        self.elapsedSeconds = elapsedSeconds
    }
}

extension Checkpoint {
    /// The step, validation loss and training time behind this checkpoint: from its training state, else
    /// the ``summary`` a model-only checkpoint keeps; nil when neither is known (older model-only files).
    public var trainingSummary: TrainingSummary? {
        guard let t = training else { return summary }
        return TrainingSummary(step: t.step, validationLoss: t.validationLoss, bestValidationLoss: t.bestValidationLoss,
                               elapsedSeconds: t.elapsedSeconds)
    }

    /// The tensors (sharing this checkpoint's buffers) and metadata it is written as.
    private var contents: (tensors: [SafeTensorsWriter.Tensor], metadata: [String: String]) {
        let layout = ParameterLayout(config)
        var tensors: [SafeTensorsWriter.Tensor] = []
        func slice(_ name: String, _ buffer: FloatBuffer, _ e: ParameterLayout.Entry) {
            tensors.append(.init(name: name, shape: e.shape, values: .buffer(buffer, offset: e.offset, count: e.count)))
        }
        for e in layout.entries { slice(e.name, parameters, e) }
        var metadata: [String: String] = [
            "format": "charlstm",
            "format_version": String(Self.formatVersion),
            "cell": config.cell.rawValue,
            "vocabulary": JSONValue.array(vocabulary.scalars.map { .string(String($0)) }).encoded,
            "config": JSONValue.object([
                "cell": .string(config.cell.rawValue), "layers": .int(config.layers), "hidden": .int(config.hidden),
                "vocab_size": .int(config.vocabularySize), "dropout": .number("\(config.dropout)"),
            ]).encoded,
        ]
        if let series { metadata["series"] = series.metadata }
        if let t = training {
            for e in layout.entries {
                slice("optimizer.exp_avg.\(e.name)", t.m, e)
                slice("optimizer.exp_avg_sq.\(e.name)", t.v, e)
            }
            let stateShape = [config.layers, t.config.batchSize, config.hidden]
            tensors.append(.init(name: "state.h", shape: stateShape, values: .buffer(t.h, offset: 0, count: t.h.count)))
            if config.cell.hasCellState {
                tensors.append(.init(name: "state.c", shape: stateShape, values: .buffer(t.c, offset: 0, count: t.c.count)))
            }
            let c = t.config
            var members: [String: JSONValue] = [
                "seq_length": .int(c.sequenceLength), "batch_size": .int(c.batchSize),
                "learning_rate": .number("\(c.learningRate)"), "learning_rate_decay": .number("\(c.learningRateDecay)"),
                "decay_after": .double(c.decayAfter), "weight_decay": .number("\(c.weightDecay)"),
                "clip": .number("\(c.clip)"), "val_fraction": .double(c.validationFraction),
                "seed": .number(String(c.seed)), "corpus": .string(c.corpus), "adam_step": .int(t.adamStep),
                "val_chars": .int(c.validationCharacters),
                "lr_schedule": .string(c.schedule.shape.rawValue), "warmup_steps": .int(c.schedule.warmupSteps),
            ]
            if let f = c.corpusFingerprint {
                members["corpus_bytes"] = .int(f.bytes)
                members["corpus_hash"] = .string(f.hashText)
            }
            metadata["training"] = JSONValue.object(members).encoded
            metadata["epoch"] = String(t.epoch)
            metadata["data_position"] = String(t.position)
            metadata["rng_state"] = t.rngState
            metadata["validations_without_improvement"] = String(t.streak.withoutImprovement)
            metadata["lowest_scheduled_val_bpc"] = t.streak.lowest.map { String($0) } ?? ""
            if let patience = t.patience { metadata["patience"] = String(patience) }
        }
        if let initialisedFrom { metadata["initialised_from"] = initialisedFrom }
        if let s = trainingSummary {
            metadata["step"] = String(s.step)
            metadata["val_bpc"] = s.validationLoss.map { String($0) } ?? ""
            metadata["best_val_bpc"] = s.bestValidationLoss.map { String($0) } ?? ""
            metadata["elapsed_seconds"] = String(s.elapsedSeconds)
        }
        return (tensors, metadata)
    }

    /// The safetensors form of this checkpoint, in memory (a copy of every value). O(parameters).
    public func safeTensors() -> SafeTensors {
        let (tensors, metadata) = contents
        var file = SafeTensors(metadata: metadata)
        for t in tensors { file.tensors[t.name] = .init(shape: t.shape, values: t.withValues { Array($0) }) }
        return file
    }

    /// Writes the checkpoint atomically: `path` holds either its old contents or the new, whatever happens.
    /// The values go from this checkpoint's buffers to the file in pieces (``SafeTensorsWriter``): saving
    /// allocates no copy of them.
    public func save(to path: String, fileSystem: some FileSystem = POSIXFileSystem()) throws {
        let (tensors, metadata) = contents
        let writer = SafeTensorsWriter(tensors: tensors, metadata: metadata)
        try AtomicFile.write(to: path, fileSystem: fileSystem) { output in try writer.write(to: output) }
    }

    /// Reads and checks a checkpoint file, header first (``SafeTensorsReader``), its values straight into the
    /// checkpoint's buffers; every defect is one `CharLSTMError` naming the file.
    public static func load(path: String) throws -> Checkpoint {
        let reader = try SafeTensorsReader(path: path)
        do {
            return try Checkpoint(reading: reader)
        } catch {
            throw error.prefixed("'\(path)': ")
        }
    }

    /// A checkpoint from a decoded safetensors file; see ``init(reading:)``.
    public init(_ file: SafeTensors) throws(CharLSTMError) {
        try self.init(reading: file)
    }

    /// A checkpoint from `source`, checking format, config, vocabulary and every shape from the metadata and
    /// the tensor shapes alone, before anything is allocated or any value is read: a config that claims a
    /// huge model cannot make loading allocate more than the file holds. Then the values are read straight
    /// into the checkpoint's buffers and checked to be finite.
    public init(reading source: any TensorSource) throws(CharLSTMError) {
        let meta = source.metadata
        guard meta["format"] == "charlstm" else { throw .invalidData("not a CharLSTM checkpoint (no \"format\": \"charlstm\" metadata)") }
        guard let version = meta["format_version"].flatMap({ Int($0) }), version >= 1 else {
            throw .invalidData("missing or malformed format_version")
        }
        guard version <= Self.formatVersion else {
            throw .invalidData("written by a newer CharLSTM (format version \(version); this version reads up to \(Self.formatVersion))")
        }
        let configJSON = try Self.object(meta, "config")
        guard let cellName = configJSON["cell"]?.stringValue, let cell = CellKind(rawValue: cellName) else {
            throw .invalidData("config has no valid cell (lstm, gru or rnn)")
        }
        guard meta["cell"] == nil || meta["cell"] == cellName else { throw .invalidData("metadata cell and config cell differ") }
        let layerRange = ModelConfig.layerRange, hiddenRange = ModelConfig.hiddenRange
        guard let layers = configJSON["layers"]?.intValue, layerRange.contains(layers),
              let hidden = configJSON["hidden"]?.intValue, hiddenRange.contains(hidden),
              let vocabSize = configJSON["vocab_size"]?.intValue, vocabSize >= 1,
              let dropout = configJSON["dropout"]?.doubleValue, dropout >= 0, dropout < 1 else {
            throw .invalidData("config needs layers (\(layerRange.lowerBound)…\(layerRange.upperBound)), hidden "
                + "(\(hiddenRange.lowerBound)…\(hiddenRange.upperBound)), vocab_size (≥ 1) and dropout in [0, 1)")
        }
        let config = ModelConfig(cell: cell, vocabularySize: vocabSize, hidden: hidden, layers: layers, dropout: Float(dropout))

        let series = try meta["series"].map { text throws(CharLSTMError) in try SeriesScaling(metadata: text, width: vocabSize) }
        guard let vocabText = meta["vocabulary"], case .array(let items)? = try? JSONValue.parse(vocabText) else {
            throw .invalidData("missing or malformed vocabulary (a JSON array of one-character strings)")
        }
        var scalars: [Unicode.Scalar] = []
        for item in items {
            guard let s = item.stringValue, s.unicodeScalars.count == 1 else {
                throw .invalidData("vocabulary entries must each be one character")
            }
            scalars.append(s.unicodeScalars.first!)
        }
        let vocabulary = try Vocabulary(scalars: scalars)
        guard vocabulary.count == vocabSize || (series != nil && vocabulary.count == 0) else {
            throw .invalidData("the vocabulary has \(vocabulary.count) characters but config.vocab_size is \(vocabSize)")
        }

        // Every tensor to read, with its shape, checked before anything is allocated.
        let layout = ParameterLayout(config)
        var wanted: [(name: String, shape: [Int])] = layout.entries.map { ($0.name, $0.shape) }
        let training = try meta["training"].map { _ throws(CharLSTMError) in try TrainingMetadata(meta, config: config) }
        if let training {
            for e in layout.entries {
                wanted.append(("optimizer.exp_avg.\(e.name)", e.shape))
                wanted.append(("optimizer.exp_avg_sq.\(e.name)", e.shape))
            }
            wanted.append(("state.h", training.stateShape))
            if cell.hasCellState { wanted.append(("state.c", training.stateShape)) }
        }
        for (name, shape) in wanted {
            guard let found = source.shape(of: name) else { throw .invalidData("tensor \(name) is missing") }
            guard found == shape else {
                throw .invalidData("tensor \(name) has shape \(found), expected \(shape) for this config")
            }
        }
        let summary = training == nil ? try Self.modelOnlySummary(meta) : nil

        // Now the buffers, and the values read straight into them.
        let parameters = FloatBuffer(count: layout.totalCount)
        var destinations: [String: UnsafeMutableBufferPointer<Float>] = [:]
        func place(_ name: String, _ buffer: FloatBuffer, at offset: Int, count: Int) {
            destinations[name] = UnsafeMutableBufferPointer(start: buffer.pointer + offset, count: count)
        }
        for e in layout.entries { place(e.name, parameters, at: e.offset, count: e.count) }
        var state: TrainingState? = nil
        if let training {
            let m = FloatBuffer(count: layout.totalCount), v = FloatBuffer(count: layout.totalCount)
            for e in layout.entries {
                place("optimizer.exp_avg.\(e.name)", m, at: e.offset, count: e.count)
                place("optimizer.exp_avg_sq.\(e.name)", v, at: e.offset, count: e.count)
            }
            let stateCount = layers * training.config.batchSize * hidden
            let h = FloatBuffer(count: stateCount)
            let c = FloatBuffer(count: cell.hasCellState ? stateCount : 0)
            place("state.h", h, at: 0, count: h.count)
            if cell.hasCellState { place("state.c", c, at: 0, count: c.count) }
            state = training.state(m: m, v: v, h: h, c: c)
        }
        try source.readTensors(into: destinations)
        for (name, _) in wanted where !destinations[name]!.allSatisfy({ $0.isFinite }) {
            throw .invalidData("tensor \(name) holds NaN or infinite values")
        }
        self.init(config: config, vocabulary: vocabulary, parameters: parameters, training: state)
        self.summary = summary
        initialisedFrom = meta["initialised_from"]
        self.series = series
    }

    /// The training metadata of a training checkpoint, checked.
    private struct TrainingMetadata {
        let config: TrainingConfig
        let stateShape: [Int]
        let adamStep: Int
        let step: Int, epoch: Int, position: Int
        let rngState: String
        let validationLoss: Double?, bestValidationLoss: Double?
        let elapsedSeconds: Double
        let streak: ValidationStreak
        let patience: Int?

        init(_ meta: [String: String], config model: ModelConfig) throws(CharLSTMError) {
            let tj = try Checkpoint.object(meta, "training")
            func int(_ key: String, _ range: ClosedRange<Int>) throws(CharLSTMError) -> Int {
                guard let v = tj[key]?.intValue, range.contains(v) else { throw .invalidData("training.\(key) is missing or out of range") }
                return v
            }
            func double(_ key: String) throws(CharLSTMError) -> Double {
                guard let v = tj[key]?.doubleValue, v.isFinite, v >= 0 else { throw .invalidData("training.\(key) is missing or invalid") }
                return v
            }
            var tc = TrainingConfig()
            tc.sequenceLength = try int("seq_length", TrainingConfig.sequenceLengthRange)
            tc.batchSize = try int("batch_size", TrainingConfig.batchSizeRange)
            tc.learningRate = Float(try double("learning_rate"))
            tc.learningRateDecay = Float(try double("learning_rate_decay"))
            tc.decayAfter = try double("decay_after")
            tc.weightDecay = Float(try double("weight_decay"))
            tc.clip = Float(try double("clip"))
            tc.validationFraction = try double("val_fraction")
            guard let seedText = tj["seed"], case .number(let s) = seedText, let seed = UInt64(s) else {
                throw .invalidData("training.seed is missing or invalid")
            }
            tc.seed = seed
            tc.corpus = tj["corpus"]?.stringValue ?? ""
            // Both optional: checkpoints written before they were recorded load with the default and no fingerprint.
            if tj["val_chars"] != nil { tc.validationCharacters = try int("val_chars", TrainingConfig.validationCharactersRange) }
            if tj["corpus_bytes"] != nil || tj["corpus_hash"] != nil {
                guard let bytes = tj["corpus_bytes"]?.intValue, let hash = tj["corpus_hash"]?.stringValue,
                      let fingerprint = CorpusFingerprint(bytes: bytes, hashText: hash) else {
                    throw .invalidData("training.corpus_bytes and training.corpus_hash must be a size and 16 hex digits")
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
            config = tc
            adamStep = try int("adam_step", 0...Int.max)
            stateShape = [model.layers, tc.batchSize, model.hidden]
            step = try Checkpoint.counter(meta, "step")
            epoch = try Checkpoint.counter(meta, "epoch")
            position = try Checkpoint.counter(meta, "data_position")
            guard let rng = meta["rng_state"], RandomGenerator(stateString: rng) != nil else {
                throw .invalidData("rng_state is missing or malformed")
            }
            rngState = rng
            validationLoss = Checkpoint.optionalDouble(meta, "val_bpc")
            bestValidationLoss = Checkpoint.optionalDouble(meta, "best_val_bpc")
            elapsedSeconds = Checkpoint.optionalDouble(meta, "elapsed_seconds") ?? 0
            // Absent in checkpoints written before `--patience`: no count yet, below the best loss.
            streak = meta["validations_without_improvement"] == nil
                ? ValidationStreak(lowest: bestValidationLoss)
                : ValidationStreak(withoutImprovement: try Checkpoint.counter(meta, "validations_without_improvement"),
                                   lowest: Checkpoint.optionalDouble(meta, "lowest_scheduled_val_bpc"))
            patience = try meta["patience"].map { text throws(CharLSTMError) in
                guard let value = Int(text), value >= 1 else { throw .invalidData("patience is invalid (a whole number ≥ 1)") }
                return value
            }
        }

        func state(m: FloatBuffer, v: FloatBuffer, h: FloatBuffer, c: FloatBuffer) -> TrainingState {
            TrainingState(config: config, step: step, epoch: epoch, position: position, rngState: rngState,
                          adamStep: adamStep, m: m, v: v, h: h, c: c, validationLoss: validationLoss,
                          bestValidationLoss: bestValidationLoss, elapsedSeconds: elapsedSeconds,
                          streak: streak, patience: patience)
        }
    }

    /// What a model-only checkpoint says of its training: nil when it has no `step` (files written before
    /// `export` kept it, and PyTorch's model-only files).
    private static func modelOnlySummary(_ meta: [String: String]) throws(CharLSTMError) -> TrainingSummary? {
        guard meta["step"] != nil else { return nil }
        return TrainingSummary(step: try counter(meta, "step"), validationLoss: optionalDouble(meta, "val_bpc"),
                               bestValidationLoss: optionalDouble(meta, "best_val_bpc"),
                               elapsedSeconds: optionalDouble(meta, "elapsed_seconds") ?? 0)
    }

    private static func counter(_ meta: [String: String], _ key: String) throws(CharLSTMError) -> Int {
        guard let v = meta[key].flatMap({ Int($0) }), v >= 0 else { throw .invalidData("\(key) is missing or invalid") }
        return v
    }

    private static func optionalDouble(_ meta: [String: String], _ key: String) -> Double? {
        meta[key].flatMap { Double($0) }
    }

    private static func object(_ meta: [String: String], _ key: String) throws(CharLSTMError) -> [String: JSONValue] {
        guard let text = meta[key], case .object(let members)? = try? JSONValue.parse(text) else {
            throw .invalidData("missing or malformed \(key) metadata (a JSON object)")
        }
        return members
    }
}
