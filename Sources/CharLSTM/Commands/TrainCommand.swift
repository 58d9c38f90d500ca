import CharLSTMKernels
import Foundation

/// `charlstm train`: everything is checked (corpus, options, resume compatibility, memory, output folder)
/// before any file in the output folder is touched; then ``TrainingSession`` runs the loop.
struct TrainCommand {
    let options: TrainOptions
    let console: Console
    /// Where checkpoints are written; tests inject write failures here. The CLI uses the real file system.
    var fileSystem: any FileSystem = POSIXFileSystem()
    /// Called before every training step; tests inject faults here.
    var beforeStep: ((Trainer) -> Void)? = nil

    func run() throws -> Int32 {
        let o = options
        let threads = o.threads ?? ProcessInfo.processInfo.activeProcessorCount
        // The output folder is known before anything is read, so that one another process trains in is
        // refused at once.
        let out = FilePath(o.out ?? o.resume.map(Paths.runFolder(ofCheckpoint:))
            ?? Paths.defaultRunFolder(forCorpus: o.corpus ?? Paths.bundledCorpus)).withoutTrailingSlashes.string
        try refuseProtectedFolder(out)
        try RunFolderLock.checkFree(out)
        let resumed: (path: String, checkpoint: Checkpoint)? = try o.resume.map { given in
            let path = try Paths.checkpointFile(given, preferBest: false)
            let checkpoint = try Checkpoint.load(path: path)
            guard checkpoint.training != nil else {
                throw CharLSTMError.invalidData("'\(path)' holds a model but no training state, so it cannot be resumed")
            }
            return (path, checkpoint)
        }
        let corpusPath = o.corpus ?? resumed?.checkpoint.training?.config.corpus.nonEmpty ?? Paths.bundledCorpus
        if o.corpus == nil && !Paths.exists(corpusPath) {
            throw CharLSTMError.noInput("no corpus given and '\(corpusPath)' is not there: name a UTF-8 text file, "
                + "e.g. 'charlstm train my.txt' (run from the repository folder to use the bundled corpus)")
        }

        // Model and training configuration: from the checkpoint when resuming, else from the options.
        var training = TrainingConfig()
        let config: ModelConfig
        let vocabulary: Vocabulary
        let text = try Corpus.load(path: corpusPath).text
        if let (_, checkpoint) = resumed {
            try checkResumeConflicts(checkpoint)
            training = checkpoint.training!.config
            var c = checkpoint.config
            if o.explicitlySet.contains("dropout") { c.dropout = Float(o.dropout) }
            config = c
            vocabulary = checkpoint.vocabulary
            let missing = vocabulary.missingCharacters(in: text)
            guard missing.isEmpty else {
                throw CharLSTMError.invalidData("'\(corpusPath)' has \(Vocabulary.describe(missing)) not in the "
                    + "checkpoint's vocabulary: resume on the corpus the run was trained on")
            }
        } else {
            vocabulary = Vocabulary(of: text)
            config = ModelConfig(cell: o.cell, vocabularySize: vocabulary.count, hidden: o.hidden, layers: o.layers,
                                 dropout: Float(o.dropout))
            training.sequenceLength = o.seqLength
            training.batchSize = o.batchSize
            training.seed = o.seed
        }
        try config.validate()
        // Options that may change on resume, and all options of a new run.
        func given(_ name: String) -> Bool { resumed == nil || o.explicitlySet.contains(name) }
        if given("learning-rate") { training.learningRate = Float(o.learningRate) }
        if given("learning-rate-decay") { training.learningRateDecay = Float(o.learningRateDecay) }
        if given("decay-after") { training.decayAfter = o.decayAfter }
        if given("weight-decay") { training.weightDecay = Float(o.weightDecay) }
        if given("clip") { training.clip = Float(o.clip) }
        if given("val-fraction") { training.validationFraction = o.valFraction }
        training.corpus = corpusPath
        try checkMemory(config: config, training: training)

        let split = try CorpusSplit(try vocabulary.encode(text), validationFraction: training.validationFraction)
        var rng = RandomGenerator(seed: training.seed)
        let model = CharModel(config: config, rng: &rng, threads: threads)
        let trainer = try Trainer(model: model, config: training, split: split, rng: rng)
        var history = TrainingSession.History()
        if let (_, checkpoint) = resumed {
            try checkpoint.restore(into: trainer)
            let t = checkpoint.training!
            history = .init(bestValidationBPC: t.bestValidationBPC, lastValidationBPC: t.validationBPC,
                            elapsedBefore: t.elapsedSeconds)
        }

        // Only now is the output folder touched, and from here on this process owns it.
        try Paths.prepareFolder(out)
        let lock = try RunFolderLock(folder: out)
        defer { lock.release() }
        // A run never overwrites another: a new run, or a resumed one sent to another folder, needs an empty one.
        let continuesInPlace = resumed.map { Files.sameFile(FilePath($0.path).parent.string, out) } ?? false
        func inFolder(_ name: String) -> String { FilePath(out).appending(name).string }
        if !continuesInPlace && !o.force {
            for name in ["latest.safetensors", "best.safetensors"] where Paths.exists(inFolder(name)) {
                throw CharLSTMError.conflict("'\(out)' already holds a training run (\(name)): continue it with "
                    + "'--resume \(out)', choose another --out, or start over with --force")
            }
        }
        if !continuesInPlace && o.force {
            for name in ["latest.safetensors", "best.safetensors", "metrics.csv", "loss.svg"] { Files.remove(inFolder(name)) }
        }
        // Temporary files of writes that a crash interrupted are never needed again.
        for name in Files.names(inFolder: out) where name.hasPrefix(".") && name.contains(".tmp-") {
            Files.remove(inFolder(name))
        }
        let session = TrainingSession(
            trainer: trainer, vocabulary: vocabulary, folder: out, console: console, history: history,
            budget: .init(steps: o.steps, epochs: o.effectiveEpochs, minutes: o.minutes),
            evalEvery: o.evalEvery, checkpointEvery: o.checkpointEvery, logEvery: o.logEvery,
            title: "\(FilePath(corpusPath).lastComponent ?? corpusPath) · \(config.cell.rawValue) \(config.layers)×\(config.hidden)",
            fileSystem: fileSystem, beforeStep: beforeStep)
        try console.out.write((resumed.map { "resuming '\($0.path)' at step \(trainer.step)" } ?? "training a new model")
            + ": \(config.cell.rawValue), \(config.layers) layers × \(config.hidden), \(vocabulary.count) characters, "
            + "\(config.parameterCount) parameters; corpus '\(corpusPath)' (\(split.training.count) training, "
            + "\(split.validation.count) validation characters); output '\(out)'; \(threads) threads\n")
        try console.out.flush()
        return try session.run()
    }

    private func refuseProtectedFolder(_ out: String) throws(CharLSTMError) {
        if Paths.isPretrainedFolder(out) {
            throw .conflict("'\(out)' holds the shipped pretrained model, which training never overwrites: choose another --out")
        }
    }

    /// Model-shaping options given on the command line must match the checkpoint.
    private func checkResumeConflicts(_ checkpoint: Checkpoint) throws(CharLSTMError) {
        let o = options, c = checkpoint.config, t = checkpoint.training!.config
        var conflicts: [String] = []
        if o.explicitlySet.contains("cell") && o.cell != c.cell { conflicts.append("--cell \(o.cell.rawValue) (checkpoint: \(c.cell.rawValue))") }
        if o.explicitlySet.contains("layers") && o.layers != c.layers { conflicts.append("--layers \(o.layers) (checkpoint: \(c.layers))") }
        if o.explicitlySet.contains("hidden") && o.hidden != c.hidden { conflicts.append("--hidden \(o.hidden) (checkpoint: \(c.hidden))") }
        if o.explicitlySet.contains("seq-length") && o.seqLength != t.sequenceLength {
            conflicts.append("--seq-length \(o.seqLength) (checkpoint: \(t.sequenceLength))")
        }
        if o.explicitlySet.contains("batch-size") && o.batchSize != t.batchSize {
            conflicts.append("--batch-size \(o.batchSize) (checkpoint: \(t.batchSize))")
        }
        if o.explicitlySet.contains("seed") && o.seed != t.seed { conflicts.append("--seed \(o.seed) (checkpoint: \(t.seed))") }
        guard conflicts.isEmpty else {
            throw .conflict("cannot resume with \(conflicts.joined(separator: ", ")): these are fixed by the checkpoint; "
                + "leave them out, or start a new run with another --out")
        }
    }

    /// Refuses, before allocating, a model whose training buffers would not fit in memory.
    private func checkMemory(config: ModelConfig, training: TrainingConfig) throws(CharLSTMError) {
        let parameters = Double(ParameterLayout(config).totalCount)
        let work = Double(Workspace.bytesNeeded(config: config, sequenceLength: training.sequenceLength, batchSize: training.batchSize))
        let needed = parameters * 4 * 4 + work * 1.0
        let available = Double(Paths.physicalMemory)
        if needed > 0.8 * available {
            throw CharLSTMError(.unavailable, "this model would need about \(Paths.bytes(needed)) of memory to train "
                + "(\(Int(parameters)) parameters, batch \(training.batchSize) × \(training.sequenceLength)), but the machine has "
                + "\(Paths.bytes(available)): lower --hidden, --layers, --batch-size or --seq-length")
        }
    }
}

extension String {
    /// nil for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
