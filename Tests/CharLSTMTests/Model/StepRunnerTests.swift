import Testing
@testable import CharLSTM

@Suite struct StepRunnerTests {
    /// One character at a time gives the same logits as the batched forward over the whole sequence.
    @Test(arguments: CellKind.allCases)
    func stepsMatchTheSequenceForward(cell: CellKind) {
        let config = ModelConfig(cell: cell, vocabularySize: 7, hidden: 19, layers: 3)
        var rng = RandomGenerator(seed: 21)
        let model = CharModel(config: config, rng: &rng)
        let tokens: [Int32] = [3, 1, 4, 1, 5, 2, 6, 0, 2, 6]
        let T = tokens.count - 1
        let batch = TokenBatch(sequenceLength: T, batchSize: 1, inputs: Array(tokens.dropLast()), targets: Array(tokens.dropFirst()))
        let ws = Workspace(config: config, sequenceLength: T, batchSize: 1)
        model.forward(batch, state: RecurrentState(config: config, batch: 1), workspace: ws, training: false, dropout: &rng)
        let runner = StepRunner(model: model)
        for t in 0..<T {
            let logits = runner.step(tokens[t])
            for v in 0..<config.vocabularySize {
                #expect(abs(logits[v] - ws.logits[t * config.vocabularySize + v]) < 1e-5, "t \(t) v \(v)")
            }
        }
    }
}
