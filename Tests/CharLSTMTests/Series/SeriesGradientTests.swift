import Testing
import CharLSTMKernels
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// A small random series problem: F real-valued inputs per row, a carried-in state, and the double-precision
/// twin of the series model (``ReferenceModel``'s layers, a linear head, the mean squared error).
struct TinySeriesProblem {
    let config: ModelConfig
    let batch: SeriesBatch
    let tokens: TinyProblem

    init(cell: CellKind, layers: Int = 2, width: Int = 2, hidden: Int = 6, T: Int = 4, B: Int = 3, dropout: Float = 0) {
        tokens = TinyProblem(cell: cell, layers: layers, vocabulary: width, hidden: hidden, T: T, B: B, seed: 11, dropout: dropout)
        config = tokens.config
        var rng = RandomGenerator(seed: 12)
        var batch = SeriesBatch(sequenceLength: T, batchSize: B, width: width)
        for i in batch.inputs.indices {
            batch.inputs[i] = Float(2 * rng.nextUnitDouble() - 1)
            batch.targets[i] = Float(2 * rng.nextUnitDouble() - 1)
        }
        self.batch = batch
    }

    /// The reference mean squared error for `params`, with the dropout factors of a training forward if given.
    func referenceLoss(_ params: [String: [Double]], dropout: [[Double]]? = nil) -> Double {
        let T = batch.sequenceLength, B = batch.batchSize, F = batch.width, H = config.hidden
        let rows: [[[Double]]] = (0..<T).map { t in (0..<B).map { b in (0..<F).map { Double(batch.inputs[(t * B + b) * F + $0]) } } }
        let top = ReferenceModel(config: config, params: params)
            .runLayers(rows, T: T, B: B, h0: tokens.h0, c0: tokens.c0, dropout: dropout).outputs
        let w = params["decoder.weight"]!, bias = params["decoder.bias"]!
        var total = 0.0
        for t in 0..<T {
            for b in 0..<B {
                for j in 0..<F {
                    var z = bias[j]
                    for q in 0..<H { z += w[j * H + q] * top[t][b][q] }
                    let d = z - Double(batch.targets[(t * B + b) * F + j])
                    total += d * d
                }
            }
        }
        return total / Double(T * B * F)
    }
}

@Suite struct SeriesGradientTests {
    /// Every parameter of a 2-layer series model, 2 inputs per row: the analytic gradient of the MSE head and
    /// the real-valued input product against central differences of the double-precision reference.
    @Test(arguments: CellKind.allCases, [0, 0.4] as [Float])
    func everyParameterGradientMatchesFiniteDifferences(cell: CellKind, dropout: Float) {
        let problem = TinySeriesProblem(cell: cell, hidden: dropout > 0 ? 9 : 6, B: dropout > 0 ? 2 : 3, dropout: dropout)
        var rng = RandomGenerator(seed: 5)
        let model = RecurrentNetwork(config: problem.config, rng: &rng)
        let ws = Workspace(config: problem.config, sequenceLength: problem.batch.sequenceLength, batchSize: problem.batch.batchSize)
        let loss = model.forward(problem.batch, state: problem.tokens.makeState(), workspace: ws, training: true, dropout: &rng)
        let masks: [[Double]]? = dropout > 0 ? problem.tokens.dropoutFactors(ws) : nil
        #expect(abs(loss.meanSquaredError - problem.referenceLoss(ReferenceModel(model).params, dropout: masks)) < 1e-5)
        model.backward(problem.batch, workspace: ws)

        var params = ReferenceModel(model).params
        let eps = 1e-6
        for entry in model.layout.entries {
            let analytic = model.gradient(entry.name)!
            for i in 0..<entry.count {
                let original = params[entry.name]![i]
                params[entry.name]![i] = original + eps
                let up = problem.referenceLoss(params, dropout: masks)
                params[entry.name]![i] = original - eps
                let down = problem.referenceLoss(params, dropout: masks)
                params[entry.name]![i] = original
                let numeric = (up - down) / (2 * eps)
                #expect(abs(Double(analytic[i]) - numeric) <= 2e-6 + 2e-3 * abs(numeric),
                        "\(entry.name)[\(i)]: analytic \(analytic[i]) numeric \(numeric)")
            }
        }
    }

    /// The forward-only prediction pass gives the training forward's outputs, and the loss without training
    /// leaves the predictions in place.
    @Test(arguments: CellKind.allCases)
    func predictionsEqualTheTrainingForward(cell: CellKind) {
        let problem = TinySeriesProblem(cell: cell, layers: 2, width: 1, hidden: 7, T: 9, B: 1)
        var rng = RandomGenerator(seed: 8)
        let model = RecurrentNetwork(config: problem.config, rng: &rng)
        let ws = Workspace(config: problem.config, sequenceLength: 9, batchSize: 1)
        model.forward(problem.batch, state: RecurrentState(config: problem.config, batch: 1), workspace: ws, training: false, dropout: &rng)
        var predictions = [Float](repeating: 0, count: 9)
        problem.batch.inputs.withUnsafeBufferPointer { x in
            predictions.withUnsafeMutableBufferPointer { p in
                model.predict(x.baseAddress!, rows: 9, state: RecurrentState(config: problem.config, batch: 1),
                              workspace: InferenceWorkspace(config: problem.config, batchSize: 1, chunkLength: 4), into: p.baseAddress!)
            }
        }
        for r in 0..<9 { #expect(abs(predictions[r] - ws.logits[r]) < 1e-6) }
    }

    /// The squared-error kernel against its naive twin, value and gradient.
    @Test func squaredErrorKernelMatchesNaiveTwin() {
        var rng = RandomGenerator(seed: 2)
        let n = 37
        let z = (0..<n).map { _ in Float(4 * rng.nextUnitDouble() - 2) }, y = (0..<n).map { _ in Float(4 * rng.nextUnitDouble() - 2) }
        let naive = zip(z, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        var out = z
        let sse = out.withUnsafeMutableBufferPointer { squaredError(predictions: $0.baseAddress!, targets: y, count: n, gradientScale: 0.5) }
        #expect(abs(sse - naive) < 1e-9 * max(1, naive))
        for i in 0..<n { #expect(abs(out[i] - (z[i] - y[i])) < 1e-6) }  // 2 · (z − y) · 0.5
        var same = z
        _ = same.withUnsafeMutableBufferPointer { squaredError(predictions: $0.baseAddress!, targets: y, count: n, gradientScale: nil) }
        #expect(same == z)
    }
}
