import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Training reads its corpus from the file (issue 15): the same weights as the in-memory path, a fingerprint
/// that refuses another corpus on resume unless allowed, a corpus changed during training stopped with an
/// error, validation capped, and `eval` streamed to the in-memory result.
@Suite struct LargeCorpusTests {
    static func configuration(_ corpus: String, _ folder: TemporaryFolder) -> TrainingRun.Configuration {
        var c = TrainingRun.Configuration(corpus: corpus, folder: folder.path + "/run")
        c.hidden = 16
        c.layers = 2
        c.dropout = 0.1
        c.batchSize = 4
        c.sequenceLength = 12
        c.validationFraction = 0.1
        c.threads = 1
        c.evaluateEvery = 25
        // A constant rate: the in-memory reference below steps without a budget, and the run is split in two.
        c.learningRateSchedule = .constant
        c.warmupSteps = 0
        return c
    }

    /// Today's in-memory path, as before the file was streamed: decode, encode, split in memory.
    static func inMemoryTrainer(_ text: String, like run: TrainingRun) throws -> Trainer<TextObjective> {
        let vocabulary = Vocabulary(of: text.unicodeScalars)
        #expect(vocabulary == run.vocabulary)
        let split = try CorpusSplit(try vocabulary.encode(text.unicodeScalars), validationFraction: run.training.validationFraction)
        var rng = RandomGenerator(seed: run.training.seed)
        let model = RecurrentNetwork(config: run.model, rng: &rng, threads: 1)
        model.setDecoderBiasToFrequencies(of: try split.training.tokens())  // as a new run starts
        return try Trainer(model: model, vocabulary: vocabulary, split: split, config: run.training, rng: rng)
    }


    /// A run on a file (with multi-byte characters), stopped and resumed across an epoch boundary, gives the
    /// weights, moments, state and validation losses of the in-memory trainer, bit for bit.
    @Test func fileTrainingGivesTheInMemoryWeights() throws {
        let folder = TemporaryFolder()
        let text = TestCorpus.english(characters: 2000) + TestCorpus.chinese(characters: 600)
        let corpus = TestCorpus.write(text, in: folder)
        let reference: Trainer<TextObjective>, steps: Int
        do {
            let first = try TrainingRun(Self.configuration(corpus, folder))
            reference = try Self.inMemoryTrainer(text, like: first)
            steps = reference.batchesPerEpoch + 10
            try first.train(budget: .steps(steps / 2))
        }
        var resumedConfiguration = TrainingRun.Configuration(resume: folder.path + "/run")
        resumedConfiguration.threads = 1
        resumedConfiguration.evaluateEvery = 25
        let resumed = try TrainingRun(resumedConfiguration)
        var validations: [Double] = []
        try resumed.train(budget: .steps(steps)) { if let v = $0.validation { validations.append(v) } }

        var expected: [Double] = []
        for step in 1...steps {
            try reference.trainStep()
            if step > steps / 2 && (step % 25 == 0 || step == steps) { expected.append(try reference.validate()) }
        }
        let trainer = resumed.textTrainer!
        #expect(trainer.state.step == steps && trainer.state.epoch == 1)
        #expect(BitComparison.firstDifference(trainer.model.parameters, reference.model.parameters) == nil)
        #expect(BitComparison.firstDifference(trainer.state.optimizer.m, reference.state.optimizer.m) == nil)
        #expect(BitComparison.firstDifference(trainer.state.h, reference.state.h) == nil)
        #expect(BitComparison.firstDifference(trainer.state.c, reference.state.c) == nil)
        #expect(validations.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// Another text of the same length and alphabet is refused on resume (the fingerprint), nothing in the run
    /// folder touched; with --allow-changed-corpus the run continues and records the new fingerprint. A
    /// checkpoint written before fingerprints were recorded still resumes.
    @Test func resumeChecksTheCorpusFingerprint() throws {
        let folder = TemporaryFolder()
        let text = TestCorpus.english()
        let corpus = TestCorpus.write(text, in: folder)
        let run = folder.path + "/run"
        #expect(Tool.trainTiny(corpus, out: run, steps: 6).code == 0)
        let saved = try #require(try Checkpoint.load(path: run + "/latest.safetensors").training?.config.corpusFingerprint)
        let scanned = try CorpusFile.scan(path: corpus)
        #expect(saved == scanned.fingerprint)

        // Two characters swapped: same size, same alphabet, same character count.
        var scalars = Array(text.unicodeScalars)
        scalars.swapAt(100, 101)
        #expect(scalars[100] != scalars[101])
        let other = TestCorpus.write(String(String.UnicodeScalarView(scalars)), "other.txt", in: folder)
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(["train", other, "--resume", run, "--steps", "8"], code: 78,
                           mentions: ["'\(other)' is not the corpus this run was trained on", "--allow-changed-corpus"])
        #expect(FileSnapshot.folder(run) == before)

        #expect(Tool.run(["train", other, "--resume", run, "--steps", "8", "--allow-changed-corpus", "--threads", "1"]).code == 0)
        let moved = try #require(try Checkpoint.load(path: run + "/latest.safetensors").training)
        let otherScan = try CorpusFile.scan(path: other)
        #expect(moved.step == 8 && moved.config.corpusFingerprint == otherScan.fingerprint)

        // An older checkpoint: no fingerprint, no validation cap. It loads with the default cap and resumes anywhere.
        var file = try SafeTensors.decode(try #require(folder.contents("run/latest.safetensors")))
        guard case .object(var members) = try JSONValue.parse(try #require(file.metadata["training"])) else {
            Issue.record("training metadata is not an object")
            return
        }
        for key in ["corpus_bytes", "corpus_hash", "val_chars"] { #expect(members.removeValue(forKey: key) != nil) }
        file.metadata["training"] = JSONValue.object(members).encoded
        let old = folder.path + "/old"
        try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: true)
        folder.file("old/latest.safetensors", file.encoded())
        let loaded = try #require(try Checkpoint.load(path: old + "/latest.safetensors").training)
        #expect(loaded.config.corpusFingerprint == nil && loaded.config.validationCharacters == TrainingConfig.defaultValidationCharacters)
        #expect(Tool.run(["train", corpus, "--resume", old, "--steps", "10", "--threads", "1"]).code == 0)
    }

    /// A corpus that grows, or is rewritten in place, during training stops the run with an `.io` error before
    /// the next step; the last checkpoint is untouched and loads.
    @Test(arguments: [false, true])
    func aCorpusChangedDuringTrainingStopsTheRun(rewrite: Bool) throws {
        let folder = TemporaryFolder()
        let text = TestCorpus.english()
        let corpus = TestCorpus.write(text, in: folder)
        var configuration = Self.configuration(corpus, folder)
        configuration.checkpointEvery = 2
        let run = try TrainingRun(configuration)
        run.beforeStep = { step, _ in
            guard step == 3 else { return }
            // Written in place (a new file renamed over the path would leave the open one unchanged, and fine).
            let handle = FileHandle(forWritingAtPath: corpus)!
            if rewrite {
                Thread.sleep(forTimeInterval: 0.01)
                handle.write(Data(text.uppercased().utf8))
            } else {
                handle.seekToEndOfFile()
                handle.write(Data("More text.\n".utf8))
            }
            try? handle.close()
        }
        let latest = run.folder.latest
        let error = #expect(throws: CharLSTMError.self) { try run.train(budget: .steps(10)) }
        #expect(error?.kind == .io)
        #expect(error?.message.contains("'\(corpus)'") == true)
        #expect(error?.message.contains(rewrite ? "was modified" : "changed size") == true, "\(String(describing: error))")
        let kept = try Checkpoint.load(path: latest)
        #expect(kept.training?.step == 2)
        #expect(run.step == 3)
    }

    /// A periodic validation reads the first --val-chars characters of the split; 0 reads all of it.
    @Test func validationIsCapped() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 6000), in: folder)
        var configuration = Self.configuration(corpus, folder)
        configuration.validationCharacters = 100
        let capped = try TrainingRun(configuration).textTrainer!
        let validation = capped.objective.validation
        #expect(validation.count == 600)
        let model = capped.model, config = capped.state.config
        let expected = try #require(try model.evaluateStreams(validation.prefix(100), batchSize: config.batchSize,
                                                              sequenceLength: config.sequenceLength))
        let result = try capped.validate()
        #expect(expected.count == 96 && result.bitPattern == expected.bitsPerCharacter.bitPattern)
        capped.state.config.validationCharacters = 0
        let all = try capped.validate(), whole = try #require(try model.evaluateStreams(validation, batchSize: 4, sequenceLength: 12))
        #expect(whole.count == 576 && all.bitPattern == whole.bitsPerCharacter.bitPattern)
        #expect(TrainingConfig().validationCharacters == 300_000)
        Tool.expectFailure(["train", corpus, "--val-chars", "-1"], code: 64, mentions: ["--val-chars"])
        Tool.expectFailure(["train", corpus, "--val-chars", "1"], code: 64, mentions: ["at least 2"])
    }

    /// `eval` streams the file and reports what the in-memory evaluation reports, bit for bit, with progress
    /// reported up to the last prediction.
    @Test func evalStreamsTheFile() throws {
        let folder = TemporaryFolder()
        let checkpoint = SharedRun.latest
        let text = TestCorpus.english(characters: 1500)
        let path = TestCorpus.write(text, "held-out.txt", in: folder)
        var seen: [Int] = []
        let streamed = try checkpoint.textModel().evaluate(try CorpusFile.scan(path: path), progress: { seen.append($0) })
        let inMemory = try checkpoint.textModel().evaluate(Array(text.unicodeScalars))
        #expect(streamed.bitsPerCharacter.bitPattern == inMemory.bitsPerCharacter.bitPattern)
        #expect(streamed.accuracy == inMemory.accuracy && streamed.predictions == 1499)
        #expect(seen.last == 1499 && seen == seen.sorted() && seen.count == 6)
    }
}
