import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

@Suite struct InferenceTests {
    /// The forward-only pass gives the training forward's loss, count and final state bit for bit: chunk
    /// lengths that do and do not divide T, one and two threads (B = 20 makes two stream groups), and a
    /// dropout probability that evaluation must ignore.
    @Test(arguments: CellKind.allCases, [(chunk: 1, threads: 1), (3, 2), (7, 1), (20, 2)])
    func evaluateEqualsTheTrainingForward(cell: CellKind, run: (chunk: Int, threads: Int)) {
        let problem = TinyProblem(cell: cell, layers: 3, hidden: 21, T: 7, B: 20, dropout: 0.5)
        var rng = RandomGenerator(seed: 8)
        let model = RecurrentNetwork(config: problem.config, rng: &rng, threads: run.threads)
        let trainingState = problem.makeState(), inferenceState = problem.makeState()
        let ws = Workspace(config: problem.config, sequenceLength: 7, batchSize: 20)
        let expected = model.forward(problem.batch, state: trainingState, workspace: ws, training: false, dropout: &rng)
        let inference = InferenceWorkspace(config: problem.config, batchSize: 20, chunkLength: run.chunk)
        let result = model.evaluate(problem.batch, state: inferenceState, workspace: inference)
        #expect(result.nats.bitPattern == expected.nats.bitPattern, "\(result.nats) vs \(expected.nats)")
        #expect(result.correct == expected.correct && result.count == expected.count)
        #expect(inferenceState.h.array.map(\.bitPattern) == trainingState.h.array.map(\.bitPattern))
        #expect(inferenceState.c.array.map(\.bitPattern) == trainingState.c.array.map(\.bitPattern))
    }

    /// Each cell's facts decide its buffers: the cell state where there is one, the recurrent part of n
    /// where the parts are kept apart, masks only with dropout; and the forward-only workspace of the same
    /// batch is a small fraction of the training one.
    @Test(arguments: CellKind.allCases, [Float(0), 0.5])
    func workspaceBuffersFollowTheCellsFacts(cell: CellKind, dropout: Float) {
        let config = ModelConfig(cell: cell, vocabularySize: 65, hidden: 64, layers: 2, dropout: dropout)
        let roles = Workspace.plan(config: config, sequenceLength: 100, batchSize: 32).map(\.role)
        #expect(roles.contains(.cellState) == cell.hasCellState)
        #expect(roles.contains(.cellGradient) == cell.hasCellState)
        #expect(roles.contains(.separatePart) == !cell.sumsInputAndRecurrentParts)
        #expect(roles.contains(.recurrentPart) == !cell.sumsInputAndRecurrentParts)
        #expect(roles.contains(.dropoutMask) == (dropout > 0))
        #expect(Set(roles).count == roles.count, "each role described once")
        let training = Workspace.bytesNeeded(config: config, sequenceLength: 100, batchSize: 32)
        let inference = InferenceWorkspace.bytesNeeded(config: config, batchSize: 32)
        #expect(inference * 4 < training, "\(inference) vs \(training) bytes")
        // A chunk length given is the one counted: one step's gates, h and logits fewer per step left out.
        let H = 64, G = cell.gateCount * H, chunk = InferenceWorkspace.defaultChunkLength(batchSize: 32)
        let shorter = InferenceWorkspace.bytesNeeded(config: config, batchSize: 32, chunkLength: chunk - 1)
        #expect(inference - shorter == 4 * 32 * (G + H + 65))
    }

    /// The training workspace's figure counts every float: gates and c of each layer per step, its h_0, h
    /// of one layer per step, the h gradient, logits, and the per-pass tables and packed weights, for an LSTM of 2 × 6 with
    /// 5 characters, T = 4, B = 3.
    @Test func workspaceBytesCountEveryBuffer() {
        let config = ModelConfig(cell: .lstm, vocabularySize: 5, hidden: 6, layers: 2)
        let H = 6, G = 24, V = 5, L = 2, T = 4, B = 3
        let perLayer = T * B * G + (T + 1) * B * H + B * H + G
        let shared = (T + 1) * B * H + T * B * V + T * B * H + B * H + 2 * V * G
        // One packed buffer for W_hhᵀ (k H, n G) and W_hh (k G, n H) in turn, panels padded to 64 columns:
        // the upper bound counted is the larger of the two.
        let packed = max(H * 64, G * 64)
        #expect(Workspace.bytesNeeded(config: config, sequenceLength: T, batchSize: B) == 4 * (L * perLayer + shared + packed))
    }
}
