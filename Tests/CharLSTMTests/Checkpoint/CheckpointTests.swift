import Foundation
import Synchronization
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

@Suite struct CheckpointTests {
    static let text = String(repeating: "To be, or not to be, that is the question: whether 'tis nobler in the mind to suffer. ", count: 12)

    static func makeTrainer(cell: CellKind, seed: UInt64 = 42, hidden: Int = 20) throws -> (Trainer<TextObjective>, Vocabulary) {
        let vocabulary = Vocabulary(of: text.unicodeScalars)
        let split = try CorpusSplit(try vocabulary.encode(text.unicodeScalars), validationFraction: 0.1)
        var rng = RandomGenerator(seed: seed)
        let modelConfig = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: hidden, layers: 2, dropout: 0.25)
        let model = RecurrentNetwork(config: modelConfig, rng: &rng)
        var config = TrainingConfig()
        config.sequenceLength = 10
        config.batchSize = 5
        config.decayAfter = 1
        config.learningRateDecay = 0.9
        config.weightDecay = 1e-4
        return (try Trainer(objective: try TextObjective(split: split, vocabulary: vocabulary, config: config), model: model,
                            state: TrainingState(starting: config, model: modelConfig, rng: rng, patience: nil)), vocabulary)
    }

    /// `trainer`'s checkpoint of now, with a run's record of validation losses and time.
    static func checkpoint(of trainer: Trainer<TextObjective>, validationLoss: Double? = nil, bestValidationLoss: Double? = nil,
                           elapsedSeconds: Double = 0) -> Checkpoint {
        trainer.state.validationLoss = validationLoss
        trainer.state.bestValidationLoss = bestValidationLoss
        trainer.state.elapsedSeconds = elapsedSeconds
        return trainer.checkpoint()
    }

    /// This test's folder, removed with what the test wrote when the test ends.
    let folder = TemporaryFolder()

    /// N steps straight and N/2 + save + load + N/2 give bit-identical weights, moments and state — across
    /// an epoch boundary, with dropout and learning-rate decay in play.
    @Test(arguments: CellKind.allCases)
    func resumeIsBitExact(cell: CellKind) throws {
        let (straight, _) = try Self.makeTrainer(cell: cell)
        let steps = 2 * straight.batchesPerEpoch + 3
        for _ in 0..<steps { try straight.trainStep() }

        let (first, vocabulary) = try Self.makeTrainer(cell: cell)
        for _ in 0..<(steps / 2) { try first.trainStep() }
        let path = folder.path + "/latest.safetensors"
        try Self.checkpoint(of: first, validationLoss: 2.5, bestValidationLoss: 2.4, elapsedSeconds: 1).save(to: path)

        let loaded = try Checkpoint.load(path: path)
        #expect(loaded.vocabulary == vocabulary)
        #expect(loaded.config == first.model.config)
        #expect(loaded.training?.bestValidationLoss == 2.4)
        // The checkpoint's weights and state, as they are: nothing random to overwrite.
        let resumed = try Trainer(objective: first.objective, model: loaded.makeNetwork(), state: try #require(loaded.training))
        for _ in (steps / 2)..<steps { try resumed.trainStep() }
        TrainerTests.expectSameState(resumed, straight)
    }

    /// The shipped pretrained model was written before saves streamed: loading and saving it again, and
    /// decoding and encoding it in memory, give the same bytes.
    @Test func savingALoadedCheckpointReproducesTheFileByteForByte() throws {
        let pretrained = Executable.packageRoot + "/Checkpoints/pretrained/best.safetensors"
        let original = try #require(FileManager.default.contents(atPath: pretrained).map { [UInt8]($0) })
        let folder = TemporaryFolder()
        try Checkpoint.load(path: pretrained).save(to: folder.path + "/copy.safetensors")
        #expect(folder.contents("copy.safetensors") == original)
        #expect(try SafeTensors.decode(original).encoded() == original)
        // A training checkpoint too: the streamed file equals the in-memory encoding.
        let (trainer, _) = try Self.makeTrainer(cell: .lstm)
        try trainer.trainStep()
        let checkpoint = Self.checkpoint(of: trainer, validationLoss: 2.5, elapsedSeconds: 1.25)
        try checkpoint.save(to: folder.path + "/latest.safetensors")
        #expect(folder.contents("latest.safetensors") == checkpoint.safeTensors().encoded())
    }

    @Test func savesHandTheFileSystemBoundedPieces() throws {
        let (trainer, _) = try Self.makeTrainer(cell: .gru, hidden: 300)
        let checkpoint = trainer.checkpoint()
        let folder = TemporaryFolder()
        let recorder = WriteRecordingFileSystem()
        try checkpoint.save(to: folder.path + "/latest.safetensors", fileSystem: recorder)
        let sizes = recorder.sizes
        let bytes = try #require(folder.contents("latest.safetensors"))
        #expect(sizes.reduce(0, +) == bytes.count)
        #expect(bytes.count > 3 * SafeTensorsWriter.pieceBytes)
        #expect(sizes.allSatisfy { $0 <= SafeTensorsWriter.pieceBytes }, "\(sizes)")
        #expect(bytes == checkpoint.safeTensors().encoded())
    }

    @Test func modelOnlyCheckpointLoadsWithTorchNames() throws {
        let (trainer, vocabulary) = try Self.makeTrainer(cell: .gru)
        let file = try Checkpoint(config: trainer.model.config, vocabulary: vocabulary, parameters: trainer.model.parameters).safeTensors()
        #expect(Set(file.tensors.keys) == Set(["gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0", "gru.bias_hh_l0",
                                               "gru.weight_ih_l1", "gru.weight_hh_l1", "gru.bias_ih_l1", "gru.bias_hh_l1",
                                               "decoder.weight", "decoder.bias"]))
        #expect(file.tensors["gru.weight_ih_l0"]?.shape == [60, vocabulary.count])
        let back = try Checkpoint(try SafeTensors.decode(file.encoded()))
        #expect(back.training == nil)
        #expect(back.parameters.array == trainer.model.parameters.array)
    }

    @Test func rejectsInconsistentFiles() throws {
        let (trainer, vocabulary) = try Self.makeTrainer(cell: .lstm)
        let good = trainer.checkpoint().safeTensors()
        func expectRejected(_ message: String, _ mutate: (inout SafeTensors) -> Void) {
            var file = good
            mutate(&file)
            #expect(throws: CharLSTMError.self, "\(message)") { try Checkpoint(try SafeTensors.decode(file.encoded())) }
        }
        expectRejected("foreign") { $0.metadata["format"] = nil }
        expectRejected("newer") { $0.metadata["format_version"] = "2" }
        expectRejected("vocabulary size") { $0.metadata["vocabulary"] = "[\"a\",\"b\"]" }
        expectRejected("vocabulary order") { $0.metadata["vocabulary"] = JSONValue.array(vocabulary.scalars.reversed().map { .string(String($0)) }).encoded }
        expectRejected("vocabulary json") { $0.metadata["vocabulary"] = "[\"a\"," }
        expectRejected("shape") { $0.tensors["lstm.weight_hh_l1"] = .init(shape: [80, 19], values: .init(repeating: 0, count: 80 * 19)) }
        expectRejected("missing tensor") { $0.tensors["decoder.bias"] = nil }
        expectRejected("nan") {
            let t = $0.tensors["decoder.bias"]!
            $0.tensors["decoder.bias"] = .init(shape: t.shape, values: [.nan] + t.values.dropFirst())
        }
        expectRejected("cell") { $0.metadata["config"] = $0.metadata["config"]!.replacingOccurrences(of: "lstm", with: "tcn") }
        expectRejected("rng") { $0.metadata["rng_state"] = "0,0,0,0" }
        expectRejected("state shape") { $0.tensors["state.c"] = nil }
    }
}

/// The real file system, recording the size of every write.
final class WriteRecordingFileSystem: FileSystem {
    private let recorded = Mutex<[Int]>([])
    private let real = POSIXFileSystem()

    var sizes: [Int] { recorded.withLock { $0 } }

    func create(_ path: String) throws(SystemCallError) -> Int32 { try real.create(path) }
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        let n = try real.write(descriptor, bytes)
        record(n)
        return n
    }

    private func record(_ size: Int) { recorded.withLock { $0.append(size) } }
    func sync(_ descriptor: Int32) throws(SystemCallError) { try real.sync(descriptor) }
    func close(_ descriptor: Int32) throws(SystemCallError) { try real.close(descriptor) }
    func rename(_ source: String, _ destination: String) throws(SystemCallError) { try real.rename(source, destination) }
    func remove(_ path: String) { real.remove(path) }
    func syncFolder(_ path: String) throws(SystemCallError) { try real.syncFolder(path) }
}
