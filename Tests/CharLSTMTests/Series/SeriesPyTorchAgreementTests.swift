import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// Agreement of the series model with PyTorch (`nn.LSTM`/`GRU`/`RNN` over 2 inputs + `nn.Linear` + MSE) on
/// committed reference numbers (`benchmarks/fixtures/make_series_fixtures.py`, float64): loss, final state, every
/// gradient, and the weights after three clipped Adam steps with weight decay.
@Suite struct SeriesPyTorchAgreementTests {
    @Test(arguments: CellKind.allCases)
    func matchesPyTorch(cell: CellKind) throws {
        let f = try PyTorchAgreementTests.Fixture(named: "series_\(cell.rawValue)_reference")
        let F = f.int("width"), T = f.int("seq_length"), B = f.int("batch_size")
        let config = ModelConfig(cell: cell, vocabularySize: F, hidden: f.int("hidden"), layers: f.int("layers"))
        let model = try f.model(config)
        var batch = SeriesBatch(sequenceLength: T, batchSize: B, width: F)
        batch.inputs = f.nested("inputs").map(Float.init)
        batch.targets = f.nested("targets").map(Float.init)
        func initialState() -> RecurrentState { f.initialState(config, batch: B) }
        let ws = Workspace(config: config, sequenceLength: T, batchSize: B)
        var rng = RandomGenerator(seed: 1)

        let state = initialState()
        let loss = model.forward(batch, state: state, workspace: ws, training: true, dropout: &rng)
        #expect(abs(loss.meanSquaredError - f.double("loss")) < 1e-5 * f.double("loss"))
        PyTorchAgreementTests.expectClose(state.h.array, f.nested("h_final"), "h_final")
        if cell.hasCellState { PyTorchAgreementTests.expectClose(state.c.array, f.nested("c_final"), "c_final") }
        model.backward(batch, workspace: ws)
        for (name, expected) in f.tensors("grads") {
            PyTorchAgreementTests.expectClose(Array(try #require(model.gradient(name))), expected, "grad \(name)")
        }

        let adamConfig = f.json["adam"] as! [String: Any]
        func number(_ k: String) -> Float { (adamConfig[k] as! NSNumber).floatValue }
        var moments = AdamMoments(parameterCount: model.parameters.count)
        let adam = Adam(learningRate: number("learning_rate"), beta1: number("beta1"),
                        beta2: number("beta2"), epsilon: number("eps"), weightDecay: number("weight_decay"), clipNorm: number("clip"))
        let losses = f.nested("losses"), norms = f.nested("grad_norms")
        for s in 0..<(adamConfig["steps"] as! Int) {
            let r = model.forward(batch, state: initialState(), workspace: ws, training: true, dropout: &rng)
            #expect(abs(r.meanSquaredError - losses[s]) < 1e-5 * losses[s], "loss at step \(s)")
            model.backward(batch, workspace: ws)
            let norm = adam.update(parameters: model.parameters, gradients: model.gradients, moments: &moments)
            #expect(abs(norm - norms[s]) < 1e-5 * norms[s], "gradient norm at step \(s)")
        }
        for (name, expected) in f.tensors("params_after_adam") {
            PyTorchAgreementTests.expectClose(Array(try #require(model.parameter(name))), expected, "\(name) after Adam")
        }
    }
}
