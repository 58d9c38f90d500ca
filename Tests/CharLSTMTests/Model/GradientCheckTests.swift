import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Small random problems shared by the model tests.
struct TinyProblem {
    let config: ModelConfig
    let batch: TokenBatch
    let h0: [[[Double]]], c0: [[[Double]]]

    init(cell: CellKind, layers: Int = 2, vocabulary: Int = 5, hidden: Int = 6, T: Int = 4, B: Int = 3, seed: UInt64 = 9,
         dropout: Float = 0) {
        config = ModelConfig(cell: cell, vocabularySize: vocabulary, hidden: hidden, layers: layers, dropout: dropout)
        var rng = RandomGenerator(seed: seed)
        let xs = (0..<(T * B)).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
        let ys = (0..<(T * B)).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
        batch = TokenBatch(sequenceLength: T, batchSize: B, inputs: xs, targets: ys)
        func state() -> [[[Double]]] {
            (0..<layers).map { _ in (0..<B).map { _ in (0..<hidden).map { _ in rng.nextUnitDouble() - 0.5 } } }
        }
        h0 = state()
        c0 = cell.hasCellState ? state() : (0..<layers).map { _ in (0..<B).map { _ in [Double](repeating: 0, count: hidden) } }
    }

    func makeState() -> RecurrentState {
        let s = RecurrentState(config: config, batch: batch.batchSize)
        let H = config.hidden, B = batch.batchSize
        for k in 0..<config.layers {
            for b in 0..<B {
                for j in 0..<H {
                    s.h[(k * B + b) * H + j] = Float(h0[k][b][j])
                    if config.cell.hasCellState { s.c[(k * B + b) * H + j] = Float(c0[k][b][j]) }
                }
            }
        }
        return s
    }

    func reference(_ params: [String: [Double]], dropout: [[Double]]? = nil) -> ReferenceModel.Output {
        ReferenceModel(config: config, params: params)
            .forward(inputs: batch.inputs, targets: batch.targets, T: batch.sequenceLength, B: batch.batchSize, h0: h0, c0: c0,
                     dropout: dropout)
    }

    /// The dropout factors a training forward drew into `ws`, per layer [(t·B + b)·H + j], for the reference.
    func dropoutFactors(_ ws: Workspace) -> [[Double]] {
        let n = batch.sequenceLength * batch.batchSize * config.hidden, scale = 1 / Double(1 - config.dropout)
        return (0..<config.layers).map { k in
            let words = ws.dropoutMask(k)
            return (0..<n).map { i in words[i / 16] & (1 << (i % 16)) != 0 ? scale : 0 }
        }
    }
}

@Suite struct GradientCheckTests {
    @Test(arguments: CellKind.allCases, [(6, 3), (20, 1), (33, 2)])
    func forwardMatchesReference(cell: CellKind, shape: (hidden: Int, batch: Int)) {
        let problem = TinyProblem(cell: cell, hidden: shape.hidden, B: shape.batch)
        var rng = RandomGenerator(seed: 3)
        let model = RecurrentNetwork(config: problem.config, rng: &rng)
        let state = problem.makeState()
        let ws = Workspace(config: problem.config, sequenceLength: problem.batch.sequenceLength, batchSize: problem.batch.batchSize)
        let result = model.forward(problem.batch, state: state, workspace: ws, training: false, dropout: &rng)
        let ref = problem.reference(ReferenceModel(model).params)
        #expect(abs(result.meanNats - ref.meanNats) < 1e-5)
        let H = problem.config.hidden, B = problem.batch.batchSize
        for k in 0..<problem.config.layers {
            for b in 0..<B {
                for j in 0..<H {
                    #expect(abs(Double(state.h[(k * B + b) * H + j]) - ref.h[k][b][j]) < 1e-5)
                    if cell.hasCellState { #expect(abs(Double(state.c[(k * B + b) * H + j]) - ref.c[k][b][j]) < 1e-5) }
                }
            }
        }
    }

    /// Every parameter of a 2-layer model: the analytic gradient against central differences of the
    /// double-precision reference, with a nonzero carried-in state.
    @Test(arguments: CellKind.allCases, [(6, 3), (18, 2)])
    func everyParameterGradientMatchesFiniteDifferences(cell: CellKind, shape: (hidden: Int, batch: Int)) {
        Self.checkGradients(TinyProblem(cell: cell, hidden: shape.hidden, B: shape.batch))
    }

    /// The same with dropout after every layer (between the two layers and before the decoder): the
    /// reference multiplies by the masks the training forward drew, which are kept as bits and reapplied in
    /// the backward. T·B·H = 72 leaves the last 16-bit mask word partly used.
    @Test(arguments: CellKind.allCases)
    func gradientsWithDropoutMatchFiniteDifferences(cell: CellKind) {
        Self.checkGradients(TinyProblem(cell: cell, hidden: 9, B: 2, dropout: 0.4))
    }

    static func checkGradients(_ problem: TinyProblem) {
        var rng = RandomGenerator(seed: 5)
        let model = RecurrentNetwork(config: problem.config, rng: &rng)
        let ws = Workspace(config: problem.config, sequenceLength: problem.batch.sequenceLength, batchSize: problem.batch.batchSize)
        let loss = model.forward(problem.batch, state: problem.makeState(), workspace: ws, training: true, dropout: &rng)
        let masks: [[Double]]? = problem.config.dropout > 0 ? problem.dropoutFactors(ws) : nil
        if let masks {
            let dropped = masks.joined().filter { $0 == 0 }.count, all = masks.joined().count
            #expect(dropped > 0 && dropped < all, "the masks drop some outputs and keep others")
        }
        #expect(abs(loss.meanNats - problem.reference(ReferenceModel(model).params, dropout: masks).meanNats) < 1e-5)
        model.backward(problem.batch, workspace: ws)

        var params = ReferenceModel(model).params
        let eps = 1e-6
        var worst = 0.0
        for entry in model.layout.entries {
            let analytic = model.gradient(entry.name)!
            for i in 0..<entry.count {
                let original = params[entry.name]![i]
                params[entry.name]![i] = original + eps
                let up = problem.reference(params, dropout: masks).meanNats
                params[entry.name]![i] = original - eps
                let down = problem.reference(params, dropout: masks).meanNats
                params[entry.name]![i] = original
                let numeric = (up - down) / (2 * eps)
                let error = abs(Double(analytic[i]) - numeric) / max(1e-3, abs(numeric))
                worst = max(worst, error)
                #expect(abs(Double(analytic[i]) - numeric) <= 2e-6 + 2e-3 * abs(numeric),
                        "\(entry.name)[\(i)]: analytic \(analytic[i]) numeric \(numeric)")
            }
        }
        #expect(worst < 5e-3)
    }
}
