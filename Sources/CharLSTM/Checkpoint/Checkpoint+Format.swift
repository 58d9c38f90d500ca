import CharLSTMKernels

extension Checkpoint {
    /// The safetensors form of this checkpoint. O(parameters).
    public func safeTensors() -> SafeTensors {
        let layout = ParameterLayout(config)
        var tensors: [String: SafeTensors.Tensor] = [:]
        func slice(_ buffer: FloatBuffer, _ e: ParameterLayout.Entry) -> SafeTensors.Tensor {
            .init(shape: e.shape, values: Array(UnsafeBufferPointer(start: buffer.pointer + e.offset, count: e.count)))
        }
        for e in layout.entries { tensors[e.name] = slice(parameters, e) }
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
        if let t = training {
            for e in layout.entries {
                tensors["optimizer.exp_avg.\(e.name)"] = slice(t.m, e)
                tensors["optimizer.exp_avg_sq.\(e.name)"] = slice(t.v, e)
            }
            let stateShape = [config.layers, t.config.batchSize, config.hidden]
            tensors["state.h"] = .init(shape: stateShape, values: t.h.array)
            if config.cell.hasCellState { tensors["state.c"] = .init(shape: stateShape, values: t.c.array) }
            let c = t.config
            metadata["training"] = JSONValue.object([
                "seq_length": .int(c.sequenceLength), "batch_size": .int(c.batchSize),
                "learning_rate": .number("\(c.learningRate)"), "learning_rate_decay": .number("\(c.learningRateDecay)"),
                "decay_after": .double(c.decayAfter), "weight_decay": .number("\(c.weightDecay)"),
                "clip": .number("\(c.clip)"), "val_fraction": .double(c.validationFraction),
                "seed": .number(String(c.seed)), "corpus": .string(c.corpus), "adam_step": .int(t.adamStep),
            ]).encoded
            metadata["step"] = String(t.step)
            metadata["epoch"] = String(t.epoch)
            metadata["data_position"] = String(t.position)
            metadata["rng_state"] = t.rngState
            metadata["val_bpc"] = t.validationBPC.map { String($0) } ?? ""
            metadata["best_val_bpc"] = t.bestValidationBPC.map { String($0) } ?? ""
            metadata["elapsed_seconds"] = String(t.elapsedSeconds)
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Writes the checkpoint atomically: `path` holds either its old contents or the new, whatever happens.
    public func save(to path: String, fileSystem: some FileSystem = POSIXFileSystem()) throws {
        try safeTensors().save(to: path, fileSystem: fileSystem)
    }

    /// Reads and checks a checkpoint file; every defect is one `CharLSTMError` naming the file.
    public static func load(path: String) throws -> Checkpoint {
        let file = try SafeTensors.load(path: path)
        do {
            return try Checkpoint(file)
        } catch {
            throw CharLSTMError(error.kind, "'\(path)': \(error.message)")
        }
    }

    /// A checkpoint from a decoded safetensors file, checking format, config, vocabulary and every shape.
    public init(_ file: SafeTensors) throws(CharLSTMError) {
        let meta = file.metadata
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
        guard let layers = configJSON["layers"]?.intValue, (1...16).contains(layers),
              let hidden = configJSON["hidden"]?.intValue, (1...8192).contains(hidden),
              let vocabSize = configJSON["vocab_size"]?.intValue, vocabSize >= 1,
              let dropout = configJSON["dropout"]?.doubleValue, dropout >= 0, dropout < 1 else {
            throw .invalidData("config needs layers (1…16), hidden (1…8192), vocab_size (≥ 1) and dropout in [0, 1)")
        }
        let config = ModelConfig(cell: cell, vocabularySize: vocabSize, hidden: hidden, layers: layers, dropout: Float(dropout))

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
        guard vocabulary.count == vocabSize else {
            throw .invalidData("the vocabulary has \(vocabulary.count) characters but config.vocab_size is \(vocabSize)")
        }

        let layout = ParameterLayout(config)
        func check(_ name: String, _ shape: [Int]) throws(CharLSTMError) {
            guard let t = file.tensors[name] else { throw .invalidData("tensor \(name) is missing") }
            guard t.shape == shape else {
                throw .invalidData("tensor \(name) has shape \(t.shape), expected \(shape) for this config")
            }
            guard t.values.allSatisfy({ $0.isFinite }) else { throw .invalidData("tensor \(name) holds NaN or infinite values") }
        }
        func read(_ name: String, _ shape: [Int], into buffer: FloatBuffer, at offset: Int) throws(CharLSTMError) {
            try check(name, shape)
            file.tensors[name]!.values.withUnsafeBufferPointer {
                (buffer.pointer + offset).update(from: $0.baseAddress!, count: $0.count)
            }
        }
        // Every shape is checked before anything is allocated, so a config that claims a huge model cannot
        // make loading allocate more than the file holds.
        for e in layout.entries { try check(e.name, e.shape) }
        let parameters = FloatBuffer(count: layout.totalCount)
        for e in layout.entries { try read(e.name, e.shape, into: parameters, at: e.offset) }
        self.init(config: config, vocabulary: vocabulary, parameters: parameters)

        guard meta["training"] != nil else { return }
        let tj = try Self.object(meta, "training")
        func int(_ key: String, _ range: ClosedRange<Int>) throws(CharLSTMError) -> Int {
            guard let v = tj[key]?.intValue, range.contains(v) else { throw .invalidData("training.\(key) is missing or out of range") }
            return v
        }
        func double(_ key: String) throws(CharLSTMError) -> Double {
            guard let v = tj[key]?.doubleValue, v.isFinite, v >= 0 else { throw .invalidData("training.\(key) is missing or invalid") }
            return v
        }
        func counter(_ key: String) throws(CharLSTMError) -> Int {
            guard let v = meta[key].flatMap({ Int($0) }), v >= 0 else { throw .invalidData("\(key) is missing or invalid") }
            return v
        }
        var tc = TrainingConfig()
        tc.sequenceLength = try int("seq_length", 1...100_000)
        tc.batchSize = try int("batch_size", 1...100_000)
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
        let adamStep = try int("adam_step", 0...Int.max)
        let stateShape = [layers, tc.batchSize, hidden]
        for e in layout.entries {
            try check("optimizer.exp_avg.\(e.name)", e.shape)
            try check("optimizer.exp_avg_sq.\(e.name)", e.shape)
        }
        try check("state.h", stateShape)
        if cell.hasCellState { try check("state.c", stateShape) }
        let m = FloatBuffer(count: layout.totalCount), v = FloatBuffer(count: layout.totalCount)
        for e in layout.entries {
            try read("optimizer.exp_avg.\(e.name)", e.shape, into: m, at: e.offset)
            try read("optimizer.exp_avg_sq.\(e.name)", e.shape, into: v, at: e.offset)
        }
        let h = FloatBuffer(count: layers * tc.batchSize * hidden)
        try read("state.h", stateShape, into: h, at: 0)
        let c = FloatBuffer(count: cell.hasCellState ? h.count : 0)
        if cell.hasCellState { try read("state.c", stateShape, into: c, at: 0) }
        guard let rng = meta["rng_state"], RandomGenerator(stateString: rng) != nil else {
            throw .invalidData("rng_state is missing or malformed")
        }
        func optionalDouble(_ key: String) -> Double? { meta[key].flatMap { Double($0) } }
        training = TrainingState(
            config: tc, step: try counter("step"), epoch: try counter("epoch"), position: try counter("data_position"),
            rngState: rng, adamStep: adamStep, m: m, v: v, h: h, c: c,
            validationBPC: optionalDouble("val_bpc"), bestValidationBPC: optionalDouble("best_val_bpc"),
            elapsedSeconds: optionalDouble("elapsed_seconds") ?? 0)
    }

    private static func object(_ meta: [String: String], _ key: String) throws(CharLSTMError) -> [String: JSONValue] {
        guard let text = meta[key], case .object(let members)? = try? JSONValue.parse(text) else {
            throw .invalidData("missing or malformed \(key) metadata (a JSON object)")
        }
        return members
    }
}
