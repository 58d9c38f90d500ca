import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

@Suite struct TrainerTests {
    static let text = String(repeating: "It was the best of times, it was the worst of times, it was the age of wisdom. ", count: 10)

    static func makeTrainer(cell: CellKind, batchSize: Int, threads: Int, seed: UInt64 = 42, dropout: Float = 0.25,
                            streamsPerPass: Int? = nil) throws -> (Trainer<TextObjective>, Vocabulary) {
        let (objective, training) = try makeObjective(batchSize: batchSize)
        var rng = RandomGenerator(seed: seed)
        let config = ModelConfig(cell: cell, vocabularySize: objective.vocabulary.count, hidden: 20, layers: 2, dropout: dropout)
        let model = RecurrentNetwork(config: config, rng: &rng, threads: threads)
        let state = TrainingState(starting: training, model: config, rng: rng, patience: nil)
        return (try Trainer(objective: objective, model: model, state: state, streamsPerPass: streamsPerPass), objective.vocabulary)
    }

    /// The text's objective in batches of `batchSize` × 10, and the training configuration.
    static func makeObjective(batchSize: Int) throws -> (TextObjective, TrainingConfig) {
        let vocabulary = Vocabulary(of: text.unicodeScalars)
        let split = try CorpusSplit(try vocabulary.encode(text.unicodeScalars), validationFraction: 0.1)
        var training = TrainingConfig()
        training.sequenceLength = 10
        training.batchSize = batchSize
        training.decayAfter = 1
        training.learningRateDecay = 0.9
        training.weightDecay = 1e-4
        return (try TextObjective(split: split, vocabulary: vocabulary, config: training), training)
    }

    /// A trainer continuing from `checkpoint`'s weights and state as a resumed run's does, on the same text.
    static func resumedTrainer(_ checkpoint: Checkpoint, threads: Int, streamsPerPass: Int? = nil) throws -> Trainer<TextObjective> {
        let state = try #require(checkpoint.training)
        let (objective, _) = try makeObjective(batchSize: state.config.batchSize)
        return try Trainer(objective: objective, model: checkpoint.makeNetwork(threads: threads), state: state,
                           streamsPerPass: streamsPerPass)
    }

    static func bits(_ buffer: FloatBuffer) -> [UInt32] { buffer.array.map(\.bitPattern) }

    /// Everything a trainer carries, compared bit for bit.
    static func expectSameState<A, B>(_ a: Trainer<A>, _ b: Trainer<B>) {
        expectSameState(a.model, a.state, b.model, b.state)
    }

    /// Everything two models and training states hold, compared bit for bit.
    static func expectSameState(_ modelA: RecurrentNetwork, _ a: TrainingState, _ modelB: RecurrentNetwork, _ b: TrainingState,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.step == b.step && a.epoch == b.epoch && a.position == b.position, sourceLocation: sourceLocation)
        #expect(a.rng == b.rng, sourceLocation: sourceLocation)
        #expect(a.optimizer.step == b.optimizer.step, sourceLocation: sourceLocation)
        #expect(BitComparison.firstDifference(modelA.parameters, modelB.parameters) == nil, sourceLocation: sourceLocation)
        #expect(BitComparison.firstDifference(a.optimizer.m, b.optimizer.m) == nil, sourceLocation: sourceLocation)
        #expect(BitComparison.firstDifference(a.optimizer.v, b.optimizer.v) == nil, sourceLocation: sourceLocation)
        #expect(BitComparison.firstDifference(a.h, b.h) == nil, sourceLocation: sourceLocation)
        #expect(BitComparison.firstDifference(a.c, b.c) == nil, sourceLocation: sourceLocation)
    }


    /// An LSTM run saved to a checkpoint file half way and resumed continues bit for bit: two threads, two
    /// stream groups, dropout and learning-rate decay, an epoch boundary crossed before the save and
    /// another after; c and both Adam moments compared too.
    @Test func lstmResumeThroughACheckpointIsBitExact() throws {
        let (straight, vocabulary) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2)
        let steps = 2 * straight.batchesPerEpoch + 3, half = straight.batchesPerEpoch + 1
        for _ in 0..<steps { try straight.trainStep() }

        let (first, _) = try Self.makeTrainer(cell: .lstm, batchSize: 16, threads: 2)
        for _ in 0..<half { try first.trainStep() }
        #expect(first.state.epoch == 1 && first.state.c.array.contains { $0 != 0 })
        let folder = TemporaryFolder()
        let path = folder.path + "/latest.safetensors"
        try first.checkpoint().save(to: path)
        #expect(first.checkpoint().vocabulary == vocabulary)

        let resumed = try Self.resumedTrainer(try Checkpoint.load(path: path), threads: 2)
        Self.expectSameState(resumed, first)
        for _ in half..<steps { try resumed.trainStep() }
        #expect(resumed.state.epoch == 2)
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
            #expect(abs(a.loss - b.loss) <= 1e-5 * a.loss)
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
        let resumed = try Self.resumedTrainer(first.checkpoint(), threads: 2, streamsPerPass: 8)
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
            #expect(a.loss.bitPattern == b.loss.bitPattern)
            let borrowed = try validating.validate()
            let own = try #require(try validating.model.evaluateStreams(validating.objective.validation, batchSize: 16, sequenceLength: 10))
            #expect(borrowed.bitPattern == own.bitsPerCharacter.bitPattern && own.count > 0)
        }
        Self.expectSameState(validating, plain)
    }

    /// Validation asks whether to stop before every batch (and every chunk of one), gives up as soon as it is told
    /// to (nil), and then measures as before: a stop does not wait for a whole validation.
    @Test(arguments: [CellKind.lstm, .gru])
    func validationGivesUpWhenToldToStop(cell: CellKind) throws {
        let (trainer, _) = try Self.makeTrainer(cell: cell, batchSize: 2, threads: 1)
        var asked = 0
        let whole = try #require(try trainer.validate(shouldStop: { asked += 1; return false }))
        let batches = (trainer.objective.validation.count - 1) / (2 * 10)
        #expect(batches >= 2 && asked > batches)
        asked = 0
        #expect(try trainer.validate(shouldStop: { asked += 1; return asked > 2 }) == nil)
        #expect(asked == 3)
        #expect(try trainer.validate().bitPattern == whole.bitPattern)
    }

    /// The validation workspace of config M fits in the idle training workspace: a trainer's memory is the
    /// parameters (four copies: weights, gradients, two Adam moments) and the training workspace alone.
    @Test func validationTakesNoMemoryOfItsOwnOnConfigM() {
        let m = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 512, layers: 2, dropout: 0.2)
        var training = TrainingConfig()
        training.sequenceLength = 100
        training.batchSize = 64
        let parameters = 4 * 4 * ParameterLayout(m).totalCount
        #expect(Trainer<TextObjective>.bytesNeeded(model: m, config: training, validationStreams: 64)
                == parameters + Workspace.bytesNeeded(config: m, sequenceLength: 100, batchSize: 64))
        #expect(InferenceWorkspace.bytesNeeded(config: m, batchSize: 64) > 9_000_000)
    }

    /// Only a workspace over the budget is split, into equal pieces of at least the minimum stream count,
    /// whatever the thread count: config M (2×512, 100×64) and L (3×512) whole, M's batch of 112 in two pieces
    /// of 56 and of 128 in two of 64, a 3×1024 model in pieces of 32, never fewer than 32 streams.
    @Test func bigWorkspacesTakeTheBatchInPieces() {
        let m = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 512, layers: 2, dropout: 0)
        let l = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 512, layers: 3, dropout: 0)
        let xl = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 1024, layers: 3, dropout: 0)
        let s = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 128, layers: 2, dropout: 0)
        #expect(Workspace.streamsPerPass(config: m, sequenceLength: 100, batchSize: 64) == 64)
        #expect(Workspace.streamsPerPass(config: l, sequenceLength: 100, batchSize: 64) == 64)
        #expect(Workspace.streamsPerPass(config: m, sequenceLength: 100, batchSize: 128) == 64)
        #expect(Workspace.streamsPerPass(config: m, sequenceLength: 100, batchSize: 96) == 96)
        #expect(Workspace.streamsPerPass(config: m, sequenceLength: 100, batchSize: 112) == 56)
        #expect(Workspace.streamsPerPass(config: xl, sequenceLength: 100, batchSize: 64) == 32)
        #expect(Workspace.streamsPerPass(config: xl, sequenceLength: 1000, batchSize: 64) == 32)
        #expect(Workspace.streamsPerPass(config: s, sequenceLength: 50, batchSize: 50) == 50)
        #expect(Workspace.bytesNeeded(config: m, sequenceLength: 100, batchSize: 64) < 180_000_000)
    }

    /// How a recurrence is shared: whole below 8 streams a thread, then, for the cells that sum their parts, as
    /// measured, else by columns once W_hh outgrows a core's L2, else by streams (always for the GRU); the products
    /// of a column split are each thread's share of the columns.
    @Test func theRecurrenceIsSplitByColumnsWhereTheCellSumsItsPartsAndWhhOutgrowsL2() {
        RecurrenceSplit.$columnsAbove.withValue(2 << 20) {
            #expect(RecurrenceSplit(cell: .lstm, batch: 15, hidden: 512, threads: 2) == .whole(threads: 2))
            #expect(RecurrenceSplit(cell: .lstm, batch: 64, hidden: 512, threads: 1) == .whole(threads: 1))
            #expect(RecurrenceSplit(cell: .lstm, batch: 16, hidden: 512, threads: 2) == .columns(2))
            #expect(RecurrenceSplit(cell: .lstm, batch: 64, hidden: 256, threads: 2) == .streamGroups(2))
            #expect(RecurrenceSplit(cell: .rnn, batch: 32, hidden: 1024, threads: 2) == .columns(2))
            #expect(RecurrenceSplit(cell: .rnn, batch: 32, hidden: 512, threads: 2) == .streamGroups(2))
            #expect(RecurrenceSplit(cell: .gru, batch: 32, hidden: 2048, threads: 2) == .streamGroups(2))
            // A measured choice wins over the rule, a forced one over both; an unshared batch and the GRU have none.
            #expect(RecurrenceSplit(cell: .lstm, batch: 16, hidden: 512, threads: 2, measured: .streams) == .streamGroups(2))
            #expect(RecurrenceSplit(cell: .lstm, batch: 64, hidden: 256, threads: 2, measured: .columns) == .columns(2))
            #expect(RecurrenceSplit(cell: .lstm, batch: 15, hidden: 512, threads: 2, measured: .columns) == .whole(threads: 2))
            #expect(RecurrenceSplit(cell: .gru, batch: 32, hidden: 64, threads: 2, measured: .columns) == .streamGroups(2))
            RecurrenceSplit.$forced.withValue(.columns) {
                #expect(RecurrenceSplit(cell: .lstm, batch: 64, hidden: 256, threads: 2, measured: .streams) == .columns(2))
            }
        }
        #expect(CPUInfo.level2CacheBytes >= 64 << 10)
        #expect(CPUInfo.parseCacheSize("2048K\n") == 2 << 20 && CPUInfo.parseCacheSize("1M") == 1 << 20)
        #expect(CPUInfo.parseCacheSize("524288") == 512 << 10 && CPUInfo.parseCacheSize("-1K") == nil)
        #expect(CPUInfo.parseCacheSize("99999999999M") == nil && CPUInfo.parseCacheSize("big") == nil)
        #expect(RecurrenceSplit.columns(2).products(batch: 32, columns: 2048) == (32, 1024, 1))
        #expect(RecurrenceSplit.streamGroups(2).products(batch: 33, columns: 1536) == (17, 1536, 1))
        #expect(RecurrenceSplit.whole(threads: 2).products(batch: 4, columns: 512) == (4, 512, 2))
    }

    /// One and two threads train the same bits, and validate to the same bits: every product sums in the
    /// same order however it is split. Batch 4 runs each step's products on two threads; batch 16 cuts each
    /// step's recurrence by columns (LSTM, RNN; `columnsAbove` 0) or by streams (all cells; `Int.max`),
    /// ``RecurrenceSplit``.
    @Test(arguments: CellKind.allCases, [(4, 0), (16, 0), (16, Int.max)])
    func twoThreadsTrainTheSameBitsAsOne(cell: CellKind, shape: (batchSize: Int, columnsAbove: Int)) throws {
        try RecurrenceSplit.$columnsAbove.withValue(shape.columnsAbove) {
            let (one, _) = try Self.makeTrainer(cell: cell, batchSize: shape.batchSize, threads: 1)
            let (two, _) = try Self.makeTrainer(cell: cell, batchSize: shape.batchSize, threads: 2)
            for _ in 0..<5 {
                let a = try one.trainStep(), b = try two.trainStep()
                #expect(a.loss.bitPattern == b.loss.bitPattern)
                #expect(a.gradientNorm.bitPattern == b.gradientNorm.bitPattern)
            }
            Self.expectSameState(one, two)
            #expect(try one.validate().bitPattern == two.validate().bitPattern)
        }
    }

    /// Validation (the forward-only pass in the trainer's workspace) gives what the training forward gives
    /// over the same streams, bit for bit, and the same again when the workspace is reused.
    @Test(arguments: CellKind.allCases)
    func validationEqualsTheTrainingForwardOverTheStreams(cell: CellKind) throws {
        let (trainer, _) = try Self.makeTrainer(cell: cell, batchSize: 4, threads: 2)
        for _ in 0..<3 { try trainer.trainStep() }
        let model = trainer.model, config = trainer.state.config, validation = trainer.objective.validation
        let (B, T) = try #require(RecurrentNetwork.evaluationShape(characters: validation.count, batchSize: config.batchSize,
                                                            sequenceLength: config.sequenceLength))
        let streams = try BatchStreams(text: validation, batchSize: B, sequenceLength: T)
        let ws = Workspace(config: model.config, sequenceLength: T, batchSize: B)
        let state = RecurrentState(config: model.config, batch: B)
        var batch = TokenBatch(sequenceLength: T, batchSize: B), unused = RandomGenerator(seed: 1)
        var expected = RecurrentNetwork.ForwardResult.zero
        for p in 0..<streams.batchesPerEpoch {
            try streams.fill(&batch, position: p)
            expected.add(model.forward(batch, state: state, workspace: ws, training: false, dropout: &unused))
        }
        #expect(expected.count > 0)
        for _ in 0..<2 {
            #expect(try trainer.validate().bitPattern == expected.bitsPerCharacter.bitPattern)
        }
    }

    /// A state that does not fit the model or the data is refused when a trainer is made of it, naming what.
    @Test func aStateThatDoesNotFitIsRefused() throws {
        let (trainer, _) = try Self.makeTrainer(cell: .lstm, batchSize: 4, threads: 1)
        try trainer.trainStep()
        let (other, _) = try Self.makeTrainer(cell: .gru, batchSize: 4, threads: 1)
        let good = trainer.state
        func expectRefused(_ kind: CharLSTMError.Kind, _ change: (inout TrainingState) -> Void) throws {
            var state = good
            change(&state)
            let (objective, _) = try Self.makeObjective(batchSize: 4)
            #expect {
                _ = try Trainer(objective: objective, model: trainer.model, state: state)
            } throws: { error in
                (error as? CharLSTMError)?.kind == kind
            }
        }
        try expectRefused(.conflict) { $0.position = trainer.batchesPerEpoch }
        try expectRefused(.invalidData) { $0.step = -1 }
        try expectRefused(.invalidData) { $0.optimizer.step = -1 }
        try expectRefused(.invalidData) { $0.optimizer = other.state.optimizer }
        try expectRefused(.invalidData) { $0.c = other.state.c }
        try expectRefused(.invalidData) { $0.h = FloatBuffer(count: 3) }
        // The good state makes a trainer that takes the next step.
        let (objective, _) = try Self.makeObjective(batchSize: 4)
        try Trainer(objective: objective, model: trainer.model, state: good).trainStep()
    }
}
