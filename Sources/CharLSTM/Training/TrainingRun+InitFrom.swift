extension TrainingRun.Configuration {
    /// The model of a run started from `source` (``initFrom``): its shape, with ``dropout`` when it is set.
    /// Throws `.conflict` naming every shape option that differs from the checkpoint's.
    func initialisedModel(_ source: ModelConfig, checkpoint path: String) throws(CharLSTMError) -> ModelConfig {
        var conflicts: [CharLSTMError.Message] = []
        func compare<T: Equatable>(_ setting: CharLSTMError.Setting, _ given: T?, _ saved: T, _ text: (T) -> String) {
            if let given, given != saved { conflicts.append("\(setting: setting) \(text(given)) (checkpoint: \(text(saved)))") }
        }
        compare(.cell, cell, source.cell, \.rawValue)
        compare(.layers, layers, source.layers, String.init)
        compare(.hidden, hidden, source.hidden, String.init)
        guard conflicts.isEmpty else {
            throw .conflict("cannot start from '\(path)' with \(Self.list(conflicts)): \(setting: .initFrom) takes the "
                + "model's shape from the checkpoint; leave these options out, or train from scratch without \(setting: .initFrom)")
        }
        return resumedModel(source)
    }
}

extension TrainingRun {
    /// The checkpoint a run starts from (`--init-from`) and how its vocabulary grows to cover the corpus.
    struct Initialisation {
        /// The checkpoint file.
        let path: String
        let checkpoint: Checkpoint
        let growth: VocabularyGrowth
        /// The model of the run: the checkpoint's shape with the grown vocabulary.
        let config: ModelConfig

        /// Loads the model at `given` (a file, or a folder's best checkpoint) and plans its growth to cover the
        /// characters of `corpus`, counted in one pass over the file. Throws `.noInput` when there is nothing there,
        /// `.invalidData` when it is not a CharLSTM model, `.conflict` for shape options that differ from it.
        /// O(checkpoint + corpus bytes).
        init(_ given: String, corpus: CorpusFile, configuration: Configuration) throws {
            path = try RunFolder.checkpointFile(given, preferBest: true)
            do {
                checkpoint = try Checkpoint.load(path: path)
            } catch let error as CharLSTMError {
                throw error.prefixed("\(setting: .initFrom) needs a CharLSTM model: ")
            }
            do {
                _ = try checkpoint.textModel(for: "--init-from")
            } catch {
                throw CharLSTMError(error.kind, "'\(path)': \(error.message)")
            }
            var shape = try configuration.initialisedModel(checkpoint.config, checkpoint: path)
            growth = try VocabularyGrowth(of: checkpoint.vocabulary, toCover: corpus)
            shape.vocabularySize = growth.new.count
            config = shape
        }

        /// The checkpoint's model grown as planned. O(parameters).
        func makeNetwork(threads: Int) -> RecurrentNetwork {
            checkpoint.makeNetwork(threads: threads).growingVocabulary(growth, dropout: config.dropout)
        }
    }
}
