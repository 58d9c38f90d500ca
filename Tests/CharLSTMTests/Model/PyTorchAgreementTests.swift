import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// Agreement with PyTorch on committed reference numbers (`benchmarks/fixtures/make_fixtures.py`, float64):
/// loss, final state, every gradient, and the weights after three clipped Adam steps.
@Suite struct PyTorchAgreementTests {
    struct Fixture {
        let json: [String: Any]
        init(_ cell: CellKind) throws {
            try self.init(named: "\(cell.rawValue)_reference")
        }
        init(named name: String) throws {
            let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
            json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        }
        func int(_ key: String) -> Int { json[key] as! Int }
        func double(_ key: String) -> Double { (json[key] as! NSNumber).doubleValue }
        func tensors(_ key: String) -> [String: [Double]] {
            (json[key] as! [String: Any]).mapValues { value in
                let flat = (value as? [String: Any])?["data"] ?? value
                return (flat as! [NSNumber]).map(\.doubleValue)
            }
        }
        func nested(_ key: String) -> [Double] { flatten(json[key] as Any) }
        /// A model of `config` with the fixture's `params`, each tensor present and of its layout's size.
        func model(_ config: ModelConfig) throws -> RecurrentNetwork {
            let params = tensors("params")
            let values = FloatBuffer(count: ParameterLayout(config).totalCount)
            for e in ParameterLayout(config).entries {
                let p = try #require(params[e.name], "fixture lacks \(e.name)")
                #expect(p.count == e.count)
                for i in 0..<e.count { values[e.offset + i] = Float(p[i]) }
            }
            return try RecurrentNetwork(config: config, parameters: values)
        }
        /// The fixture's initial state `h0` (and `c0` for cells with a cell state) for `batch` rows.
        func initialState(_ config: ModelConfig, batch: Int) -> RecurrentState {
            let h0 = nested("h0"), c0 = config.cell.hasCellState ? nested("c0") : []
            let s = RecurrentState(config: config, batch: batch)
            for i in 0..<h0.count { s.h[i] = Float(h0[i]) }
            for i in 0..<c0.count { s.c[i] = Float(c0[i]) }
            return s
        }
        private func flatten(_ v: Any) -> [Double] {
            if let n = v as? NSNumber { return [n.doubleValue] }
            return (v as! [Any]).flatMap(flatten)
        }
    }

    static func expectClose(_ actual: [Float], _ expected: [Double], _ what: String, relative: Double = 1e-5, absolute: Double = 1e-6) {
        #expect(actual.count == expected.count, "\(what): count")
        let scale = expected.map(abs).max() ?? 1
        for (a, e) in zip(actual, expected) {
            #expect(abs(Double(a) - e) <= absolute + relative * max(abs(e), scale * 1e-2), "\(what): \(a) vs \(e)")
        }
    }

    @Test(arguments: CellKind.allCases)
    func matchesPyTorch(cell: CellKind) throws {
        let f = try Fixture(cell)
        let config = ModelConfig(cell: cell, vocabularySize: f.int("vocab_size"), hidden: f.int("hidden"), layers: f.int("layers"))
        let T = f.int("seq_length"), B = f.int("batch_size"), H = config.hidden
        let model = try f.model(config)
        let batch = TokenBatch(sequenceLength: T, batchSize: B, inputs: f.nested("inputs").map { Int32($0) },
                               targets: f.nested("targets").map { Int32($0) })
        func initialState() -> RecurrentState { f.initialState(config, batch: B) }
        let ws = Workspace(config: config, sequenceLength: T, batchSize: B)
        var rng = RandomGenerator(seed: 1)

        // Forward, final state, gradients.
        let state = initialState()
        let result = model.forward(batch, state: state, workspace: ws, training: true, dropout: &rng)
        #expect(abs(result.meanNats - f.double("loss")) < 1e-5 * f.double("loss"))
        Self.expectClose(state.h.array, f.nested("h_final"), "h_final")
        if cell.hasCellState { Self.expectClose(state.c.array, f.nested("c_final"), "c_final") }
        model.backward(batch, workspace: ws)
        for (name, expected) in f.tensors("grads") {
            Self.expectClose(Array(try #require(model.gradient(name))), expected, "grad \(name)")
        }
        _ = H

        // Three clipped Adam steps with weight decay, each from the same batch and initial state.
        let adamConfig = f.json["adam"] as! [String: Any]
        func number(_ k: String) -> Float { (adamConfig[k] as! NSNumber).floatValue }
        var moments = AdamMoments(parameterCount: model.parameters.count)
        let adam = Adam(learningRate: number("learning_rate"), beta1: number("beta1"),
                        beta2: number("beta2"), epsilon: number("eps"), weightDecay: number("weight_decay"),
                        clipNorm: number("clip"))
        let losses = f.nested("losses"), norms = f.nested("grad_norms")
        for s in 0..<(adamConfig["steps"] as! Int) {
            let r = model.forward(batch, state: initialState(), workspace: ws, training: true, dropout: &rng)
            #expect(abs(r.meanNats - losses[s]) < 1e-5 * losses[s], "loss at step \(s)")
            model.backward(batch, workspace: ws)
            let norm = adam.update(parameters: model.parameters, gradients: model.gradients, moments: &moments)
            #expect(abs(norm - norms[s]) < 1e-5 * norms[s], "gradient norm at step \(s)")
        }
        for (name, expected) in f.tensors("params_after_adam") {
            Self.expectClose(Array(try #require(model.parameter(name))), expected, "\(name) after Adam")
        }
    }
}
