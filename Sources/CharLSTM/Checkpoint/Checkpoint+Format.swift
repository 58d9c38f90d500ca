import CharLSTMKernels

/// What a checkpoint records about the training behind its model: enough for `info` to say how far it got.
public struct TrainingSummary: Equatable, Sendable {
    /// Optimiser steps done.
    public var step: Int
    /// The last validation loss (bits per character, or a series' RMSE), when one was measured.
    public var validationLoss: Double?
    /// The lowest validation loss measured: the one `best.safetensors` holds.
    public var bestValidationLoss: Double?
    /// Seconds of training, over all resumes.
    public var elapsedSeconds: Double

    init(step: Int, validationLoss: Double?, bestValidationLoss: Double?, elapsedSeconds: Double) {
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
                slice("optimizer.exp_avg.\(e.name)", t.optimizer.m, e)
                slice("optimizer.exp_avg_sq.\(e.name)", t.optimizer.v, e)
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
                "seed": .number(String(c.seed)), "corpus": .string(c.corpus), "adam_step": .int(t.optimizer.step),
                "val_chars": .int(c.validationCharacters),
                "lr_schedule": .string(c.schedule.shape.rawValue), "warmup_steps": .int(c.schedule.warmupSteps),
                "eval_every": .int(c.evaluateEvery), "checkpoint_every": .int(c.checkpointEvery), "log_every": .int(c.logEvery),
            ]
            if let f = c.corpusFingerprint {
                members["corpus_bytes"] = .int(f.bytes)
                members["corpus_hash"] = .string(f.hashText)
            }
            metadata["training"] = JSONValue.object(members).encoded
            metadata["epoch"] = String(t.epoch)
            metadata["data_position"] = String(t.position)
            metadata["rng_state"] = t.rng.stateString
            metadata["validations_without_improvement"] = String(t.streak.withoutImprovement)
            metadata["lowest_scheduled_val_\(kind.lossKey)"] = t.streak.lowest.map { String($0) } ?? ""
            if let patience = t.patience { metadata["patience"] = String(patience) }
            if let budget = t.budget { metadata["budget"] = budget.metadata }
        }
        if let initialisedFrom { metadata["initialised_from"] = initialisedFrom }
        if let s = trainingSummary {
            metadata["step"] = String(s.step)
            metadata["val_\(kind.lossKey)"] = s.validationLoss.map { String($0) } ?? ""
            metadata["best_val_\(kind.lossKey)"] = s.bestValidationLoss.map { String($0) } ?? ""
            metadata["elapsed_seconds"] = String(s.elapsedSeconds)
        }
        return (tensors, metadata)
    }

    /// The safetensors form of this checkpoint, in memory (a copy of every value). O(parameters).
    func safeTensors() -> SafeTensors {
        let (tensors, metadata) = contents
        var file = SafeTensors(metadata: metadata)
        for t in tensors { file.tensors[t.name] = .init(shape: t.shape, values: t.withValues { Array($0) }) }
        return file
    }

    /// Writes the checkpoint atomically: `path` holds either its old contents or the new, whatever happens.
    /// The values go from this checkpoint's buffers to the file in pieces (``SafeTensorsWriter``): saving
    /// allocates no copy of them. Its metadata is first checked as loading checks it (``Metadata``), so that a
    /// checkpoint that could not be loaded again (a setting out of range, a NaN loss) is never written: that is
    /// `.invalidData` naming the file and the field, with `path` untouched.
    public func save(to path: String) throws {
        try save(to: path, fileSystem: POSIXFileSystem())
    }

    /// ``save(to:)`` through `fileSystem` (tests inject faults there).
    package func save(to path: String, fileSystem: some FileSystem) throws {
        let (tensors, metadata) = contents
        do {
            _ = try Metadata(metadata)
        } catch {
            throw CharLSTMError(.invalidData, "not saving '\(path)', which could not be loaded again: \(error.message)")
        }
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
    init(_ file: SafeTensors) throws(CharLSTMError) {
        try self.init(reading: file)
    }

    /// A checkpoint from `source`, checking format, config, vocabulary and every shape from the metadata and
    /// the tensor shapes alone, before anything is allocated or any value is read: a config that claims a
    /// huge model cannot make loading allocate more than the file holds. Then the values are read straight
    /// into the checkpoint's buffers and checked to be finite (and Adam's second moments to be at least 0).
    init(reading source: any TensorSource) throws(CharLSTMError) {
        let meta = try Metadata(source.metadata)
        let config = meta.config, cell = config.cell

        // Every tensor to read, with its shape, checked before anything is allocated.
        let layout = ParameterLayout(config)
        var wanted: [(name: String, shape: [Int])] = layout.entries.map { ($0.name, $0.shape) }
        let training = meta.training
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
            let stateCount = config.layers * training.config.batchSize * config.hidden
            let h = FloatBuffer(count: stateCount)
            let c = FloatBuffer(count: cell.hasCellState ? stateCount : 0)
            place("state.h", h, at: 0, count: h.count)
            if cell.hasCellState { place("state.c", c, at: 0, count: c.count) }
            state = training.state(optimizer: AdamMoments(step: training.adamStep, m: m, v: v), h: h, c: c)
        }
        try source.readTensors(into: destinations)
        for (name, _) in wanted where !destinations[name]!.allSatisfy({ $0.isFinite }) {
            throw .invalidData("tensor \(name) holds NaN or infinite values")
        }
        // Adam divides by the square root of its second moments, means of squared gradients: never below 0.
        if training != nil {
            for e in layout.entries {
                let name = "optimizer.exp_avg_sq.\(e.name)"
                if let i = destinations[name]!.firstIndex(where: { $0 < 0 }) {
                    throw .invalidData("tensor \(name) holds a negative value (\(destinations[name]![i]) at index \(i)): "
                        + "Adam's second moments are means of squared gradients, never below 0")
                }
            }
        }
        self.init(checked: config, vocabulary: meta.vocabulary, parameters: parameters, training: state)
        summary = meta.summary
        initialisedFrom = meta.initialisedFrom
        series = meta.series
    }
}
