import CharLSTMKernels
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

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

@Suite struct StepRunnerThreadingTests {
    /// The model of these tests: H not a multiple of 16 (leftover columns), 3 layers, and a vocabulary whose
    /// decoder splits into row blocks.
    static func model(_ cell: CellKind, threads: Int) -> CharModel {
        var rng = RandomGenerator(seed: 5)
        return CharModel(config: ModelConfig(cell: cell, vocabularySize: 23, hidden: 45, layers: 3), rng: &rng, threads: threads)
    }

    static let tokens: [Int32] = (0..<60).map { Int32(($0 * 7 + $0 / 3) % 23) }

    /// Threads share a step (forced on a small model) and give the one-thread runner's logits and state bit for bit.
    @Test(arguments: CellKind.allCases, [2, 3])
    func threadedStepsMatchOneThreadBitForBit(cell: CellKind, threads: Int) {
        let single = StepRunner(model: Self.model(cell, threads: 1))
        let shared = StepRunner(model: Self.model(cell, threads: threads), parallelMinimumBytes: 0, cores: threads)
        for (t, token) in Self.tokens.enumerated() {
            let a = single.step(token).map(\.bitPattern), b = shared.step(token).map(\.bitPattern)
            #expect(a == b, "t \(t)")
            if t == 30 { single.reset(); shared.reset() }
        }
        #expect(single.state.h.array == shared.state.h.array && single.state.c.array == shared.state.c.array)
    }

    /// The step runner gives, bit for bit, the logits of the plain step it replaced: per layer one `sgemv` over
    /// the weights as stored (the fused [W_ih | W_hh] for layers ≥ 1 of cells that sum their parts), then the cell.
    /// So generated text for a given seed is unchanged.
    @Test(arguments: CellKind.allCases)
    func stepsMatchThePlainSgemvStepBitForBit(cell: CellKind) {
        let model = Self.model(cell, threads: 2)
        let runner = StepRunner(model: model, parallelMinimumBytes: 0)
        let config = model.config, H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize
        let p = model.parameters.pointer, state = RecurrentState(config: config, batch: 1)
        let biases = (0..<config.layers).map { _ in FloatBuffer(count: G) }, table = FloatBuffer(count: V * G)
        model.prepareInputTables(embedding: table.pointer, bias: { biases[$0].pointer })
        let a = FloatBuffer(count: G), part = FloatBuffer(count: G), nPart = FloatBuffer(count: H)
        let h = FloatBuffer(count: H), xh = FloatBuffer(count: 2 * H), logits = FloatBuffer(count: V)
        for token in Self.tokens {
            for k in 0..<config.layers {
                let o = model.layout.layer(k), hk = state.h(layer: k)
                a.pointer.update(from: k == 0 ? table.pointer + Int(token) * G : biases[k].pointer, count: G)
                if config.cell.sumsInputAndRecurrentParts && k > 0 {
                    let w = FloatBuffer(count: G * 2 * H)
                    for r in 0..<G {
                        (w.pointer + r * 2 * H).update(from: p + o.weightIH + r * H, count: H)
                        (w.pointer + r * 2 * H + H).update(from: p + o.weightHH + r * H, count: H)
                    }
                    xh.pointer.update(from: state.h(layer: k - 1), count: H)
                    (xh.pointer + H).update(from: hk, count: H)
                    sgemv(trans: false, m: G, n: 2 * H, alpha: 1, a: w.pointer, lda: 2 * H, x: xh.pointer, beta: 1, y: a.pointer)
                } else {
                    if k > 0 {
                        sgemv(trans: false, m: G, n: H, alpha: 1, a: p + o.weightIH, lda: H, x: state.h(layer: k - 1),
                              beta: 1, y: a.pointer)
                    }
                    let y = config.cell.sumsInputAndRecurrentParts ? a.pointer : part.pointer
                    if !config.cell.sumsInputAndRecurrentParts { y.update(from: p + o.biasHH, count: G) }
                    sgemv(trans: false, m: G, n: H, alpha: 1, a: p + o.weightHH, lda: H, x: hk, beta: 1, y: y)
                }
                switch cell {
                case .lstm: lstmCellForward(gates: a.pointer, cPrev: state.c(layer: k), c: state.c(layer: k), h: h.pointer, batch: 1, hidden: H)
                case .rnn: rnnCellForward(gates: a.pointer, h: h.pointer, batch: 1, hidden: H)
                case .gru: gruCellForward(gates: a.pointer, recurrentPart: part.pointer, nPart: nPart.pointer, hPrev: hk,
                                          h: h.pointer, batch: 1, hidden: H)
                }
                hk.update(from: h.pointer, count: H)
            }
            let d = model.layout.decoder
            logits.pointer.update(from: p + d.bias, count: V)
            sgemv(trans: false, m: V, n: H, alpha: 1, a: p + d.weight, lda: H, x: state.h(layer: config.layers - 1),
                  beta: 1, y: logits.pointer)
            #expect(runner.step(token).map(\.bitPattern) == logits.array.map(\.bitPattern))
        }
    }
}
