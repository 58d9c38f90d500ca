import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

@Suite struct TrainerTests {
    static let text = String(repeating: "It was the best of times, it was the worst of times, it was the age of wisdom. ", count: 10)

    static func makeTrainer(cell: CellKind, batchSize: Int, threads: Int, seed: UInt64 = 42, dropout: Float = 0.25,
                            streamsPerPass: Int? = nil) throws -> (Trainer, Vocabulary) {
        let vocabulary = Vocabulary(of: text.unicodeScalars)
        let split = try CorpusSplit(try vocabulary.encode(text.unicodeScalars), validationFraction: 0.1)
        var rng = RandomGenerator(seed: seed)
        let config = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: 20, layers: 2, dropout: dropout)
        let model = CharModel(config: config, rng: &rng, threads: threads)
        var training = TrainingConfig()
        training.sequenceLength = 10
        training.batchSize = batchSize
        training.decayAfter = 1
        training.learningRateDecay = 0.9
        training.weightDecay = 1e-4
        return (try Trainer(model: model, config: training, split: split, rng: rng, streamsPerPass: streamsPerPass), vocabulary)
    }

    static func bits(_ buffer: FloatBuffer) -> [UInt32] { buffer.array.map(\.bitPattern) }

    /// Everything a trainer carries, compared bit for bit.
    static func expectSameState(_ a: Trainer, _ b: Trainer) {
        #expect(a.step == b.step && a.epoch == b.epoch && a.position == b.position)
        #expect(a.rng == b.rng)
        #expect(a.optimizer.step == b.optimizer.step)
        #expect(bits(a.model.parameters) == bits(b.model.parameters))
        #expect(bits(a.optimizer.m) == bits(b.optimizer.m))
        #expect(bits(a.optimizer.v) == bits(b.optimizer.v))
        #expect(bits(a.state.h) == bits(b.state.h))
        #expect(bits(a.state.c) == bits(b.state.c))
    }

    /// An LSTM run saved to a checkpoint file half way and resumed continues bit for bit: two threads, two
    /// stream groups, dropout and learning-rate decay, an epoch boundary crossed before the save and
    /// another after; c and both Adam moments compared too.
    @Test func lstmResumeThroughACheckpointIsBitExact() throws {
        let (straight, vocabulary) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2)
        let steps = 2 * straight.streams.batchesPerEpoch + 3, half = straight.streams.batchesPerEpoch + 1
        for _ in 0..<steps { try straight.trainStep() }

        let (first, _) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2)
        for _ in 0..<half { try first.trainStep() }
        #expect(first.epoch == 1 && first.state.c.array.contains { $0 != 0 })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("charlstm-trainer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("latest.safetensors").path
        try Checkpoint(trainer: first, vocabulary: vocabulary, validationLoss: nil, bestValidationLoss: nil, elapsedSeconds: 0)
            .save(to: path)

        let (resumed, _) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2, seed: 7)
        try Checkpoint.load(path: path).restore(into: resumed)
        Self.expectSameState(resumed, first)
        for _ in half..<steps { try resumed.trainStep() }
        #expect(resumed.epoch == 2)
        Self.expectSameState(resumed, straight)
    }

    /// A batch taken in pieces of streams gives the loss and gradient of the whole batch (up to the order of
    /// the sums over streams) and carries the same state bit for bit (each stream runs alone through time).
    @Test(arguments: CellKind.allCases)
    func aBatchInPiecesGivesTheGradientOfTheWholeBatch(cell: CellKind) throws {
        let (whole, _) = try Self.makeTrainer(cell: cell, batchSize: 16, threads: 2, dropout: 0)
        let (pieces, _) = try Self.makeTrainer(cell: cell, batchSize: 16, threads: 2, dropout: 0, streamsPerPass: 4)
        for step in 0..<2 {
            let a = try whole.trainStep(), b = try pieces.trainStep()
            #expect(abs(a.bitsPerCharacter - b.bitsPerCharacter) <= 1e-5 * a.bitsPerCharacter)
            #expect(abs(a.gradientNorm - b.gradientNorm) <= 1e-4 * a.gradientNorm)
            let g = whole.model.gradients.array, h = pieces.model.gradients.array
            let scale = g.map(abs).max()!
            #expect(zip(g, h).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
            if step == 0 {  // the same weights so far: each stream's forward is the same arithmetic
                let sameH = Self.bits(whole.state.h) == Self.bits(pieces.state.h)
                let sameC = Self.bits(whole.state.c) == Self.bits(pieces.state.c)
                #expect(sameH && sameC)
            }
        }
    }

    /// A run whose batches are taken in pieces resumes bit for bit too (dropout masks drawn piece by piece).
    @Test func aRunInPiecesResumesBitForBit() throws {
        let (straight, _) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2, streamsPerPass: 8)
        for _ in 0..<6 { try straight.trainStep() }
        let (first, _) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2, streamsPerPass: 8)
        for _ in 0..<3 { try first.trainStep() }
        let (resumed, _) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2, seed: 9, streamsPerPass: 8)
        try resumed.restore(first.snapshot())
        for _ in 0..<3 { try resumed.trainStep() }
        Self.expectSameState(resumed, straight)
    }

    /// Validation borrows the training workspace's memory between steps: validating after every step trains
    /// the same bits as not validating (a pass writes every buffer before reading it), in one pass and in
    /// pieces, and each validation gives the bits of a validation in a workspace of its own.
    @Test(arguments: CellKind.allCases, [nil, 8])
    func validationBetweenStepsChangesNothing(cell: CellKind, streamsPerPass: Int?) throws {
        let (validating, _) = try Self.makeTrainer(cell: cell, batchSize: 16, threads: 2, streamsPerPass: streamsPerPass)
        let (plain, _) = try Self.makeTrainer(cell: cell, batchSize: 16, threads: 2, streamsPerPass: streamsPerPass)
        for _ in 0..<4 {
            let a = try validating.trainStep(), b = try plain.trainStep()
            #expect(a.bitsPerCharacter.bitPattern == b.bitsPerCharacter.bitPattern)
            let borrowed = try validating.validate()
            let own = try validating.model.evaluateStreams(validating.validation, batchSize: 16, sequenceLength: 10)
            #expect(borrowed.nats.bitPattern == own.nats.bitPattern && borrowed.count == own.count)
        }
        Self.expectSameState(validating, plain)
    }

    /// The validation workspace of config M fits in the idle training workspace: a trainer's memory is the
    /// parameters (four copies: weights, gradients, two Adam moments) and the training workspace alone.
    @Test func validationTakesNoMemoryOfItsOwnOnConfigM() {
        let m = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 512, layers: 2, dropout: 0.2)
        var training = TrainingConfig()
        training.sequenceLength = 100
        training.batchSize = 64
        let parameters = 4 * 4 * ParameterLayout(m).totalCount
        #expect(Trainer.bytesNeeded(config: m, training: training)
                == parameters + Workspace.bytesNeeded(config: m, sequenceLength: 100, batchSize: 32))
        #expect(InferenceWorkspace.bytesNeeded(config: m, batchSize: 64) > 9_000_000)
    }

    /// Only a workspace over the budget is split, into equal pieces of at least the minimum stream count,
    /// whatever the thread count: config M (2×512, 100×64) in two pieces of 32, config S (2×128) whole.
    @Test func bigWorkspacesTakeTheBatchInPieces() {
        let m = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 512, layers: 2, dropout: 0)
        let s = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 128, layers: 2, dropout: 0)
        #expect(Workspace.streamsPerPass(config: m, sequenceLength: 100, batchSize: 64) == 32)
        #expect(Workspace.streamsPerPass(config: m, sequenceLength: 100, batchSize: 48) == 48)
        #expect(Workspace.streamsPerPass(config: m, sequenceLength: 100, batchSize: 128) == 32)
        #expect(Workspace.streamsPerPass(config: s, sequenceLength: 50, batchSize: 50) == 50)
        #expect(Workspace.bytesNeeded(config: m, sequenceLength: 100, batchSize: 32) < 90_000_000)
    }

    /// One and two threads train the same bits, and validate to the same bits: every product sums in the
    /// same order however it is split. Batch 4 runs each step's products on two threads, batch 16 one
    /// stream group per thread.
    @Test(arguments: CellKind.allCases, [4, 16])
    func twoThreadsTrainTheSameBitsAsOne(cell: CellKind, batchSize: Int) throws {
        let (one, _) = try Self.makeTrainer(cell: cell, batchSize: batchSize, threads: 1)
        let (two, _) = try Self.makeTrainer(cell: cell, batchSize: batchSize, threads: 2)
        for _ in 0..<5 {
            let a = try one.trainStep(), b = try two.trainStep()
            #expect(a.bitsPerCharacter.bitPattern == b.bitsPerCharacter.bitPattern)
            #expect(a.gradientNorm.bitPattern == b.gradientNorm.bitPattern)
        }
        Self.expectSameState(one, two)
        #expect(try one.validate().nats.bitPattern == two.validate().nats.bitPattern)
    }

    /// Validation (the forward-only pass in the trainer's workspace) gives what the training forward gives
    /// over the same streams, bit for bit, and the same again when the workspace is reused.
    @Test(arguments: CellKind.allCases)
    func validationEqualsTheTrainingForwardOverTheStreams(cell: CellKind) throws {
        let (trainer, _) = try Self.makeTrainer(cell: cell, batchSize: 4, threads: 2)
        for _ in 0..<3 { try trainer.trainStep() }
        let model = trainer.model, config = trainer.config
        let (B, T) = try #require(CharModel.evaluationShape(characters: trainer.validation.count, batchSize: config.batchSize,
                                                            sequenceLength: config.sequenceLength))
        let streams = try BatchStreams(text: trainer.validation, batchSize: B, sequenceLength: T)
        let ws = Workspace(config: model.config, sequenceLength: T, batchSize: B)
        let state = RecurrentState(config: model.config, batch: B)
        var batch = TokenBatch(sequenceLength: T, batchSize: B), unused = RandomGenerator(seed: 1)
        var expected = CharModel.ForwardResult.zero
        for p in 0..<streams.batchesPerEpoch {
            try streams.fill(&batch, position: p)
            expected.add(model.forward(batch, state: state, workspace: ws, training: false, dropout: &unused))
        }
        #expect(expected.count > 0)
        for _ in 0..<2 {
            let result = try trainer.validate()
            #expect(result.nats.bitPattern == expected.nats.bitPattern && result.correct == expected.correct
                    && result.count == expected.count)
        }
    }

    /// A snapshot that does not fit the trainer is refused with an error, and the trainer is unchanged.
    @Test func restoreRefusesASnapshotThatDoesNotFit() throws {
        let (trainer, _) = try Self.makeTrainer(cell: .lstm, batchSize: 4, threads: 1)
        try trainer.trainStep()
        let (reference, _) = try Self.makeTrainer(cell: .lstm, batchSize: 4, threads: 1)
        try reference.trainStep()
        let (other, _) = try Self.makeTrainer(cell: .gru, batchSize: 4, threads: 1)
        let good = trainer.snapshot()
        func expectRefused(_ kind: CharLSTMError.Kind, _ change: (inout Trainer.Snapshot) -> Void) {
            var s = good
            change(&s)
            #expect(throws: CharLSTMError.self) { try trainer.restore(s) }
            do { try trainer.restore(s) } catch { #expect(error.kind == kind) }
            Self.expectSameState(trainer, reference)
        }
        expectRefused(.conflict) { $0.position = trainer.streams.batchesPerEpoch }
        expectRefused(.invalidData) { $0.step = -1 }
        expectRefused(.invalidData) { $0.parameters = other.model.parameters }
        expectRefused(.invalidData) { $0.optimizer = other.optimizer.snapshot() }
        expectRefused(.invalidData) { $0.c = other.state.c }
        expectRefused(.invalidData) { $0.h = FloatBuffer(count: 3) }
    }
}
