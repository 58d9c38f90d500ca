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
        let model = RecurrentNetwork(config: config, rng: &rng)
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
    static func model(_ cell: CellKind, threads: Int) -> RecurrentNetwork {
        var rng = RandomGenerator(seed: 5)
        return RecurrentNetwork(config: ModelConfig(cell: cell, vocabularySize: 23, hidden: 45, layers: 3), rng: &rng, threads: threads)
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

/// Generation's compact weights (``WeightPrecision/bf16``, ``WeightPrecision/int8``) and its chunk sizes.
@Suite struct CompactGenerationTests {
    /// The threading tests' model; `rounded`: the matrices generation packs (every W_hh, W_ih of the layers
    /// above the first, the decoder's weight) replaced by the values `precision` stores of them, row by packed row
    /// (for LSTM and RNN layers above the first, a row of [W_ih | W_hh]): rounded to bf16, or in int8 the row's
    /// bytes times its scale, its leftover columns kept. Biases and the first layer's W_ih (a lookup) stay fp32.
    static func model(_ cell: CellKind, threads: Int, rounded precision: WeightPrecision = .f32) -> RecurrentNetwork {
        let model = StepRunnerThreadingTests.model(cell, threads: threads)
        guard precision != .f32 else { return model }
        let c = model.config, H = c.hidden, G = c.cell.gateCount * H, p = model.parameters.pointer
        /// Rounds row r of the matrices at `parts` (each H wide, side by side in the packed row).
        func round(row r: Int, of parts: [Int], width: Int) {
            let places = parts.flatMap { base in (0..<width).map { base + r * width + $0 } }
            if precision == .bf16 {
                for i in places { p[i] = WeightPrecision.bf16Rounded(p[i]) }
                return
            }
            let (bytes, scale) = places.map { p[$0] }.withUnsafeBufferPointer { WeightPrecision.int8Row($0) }
            for (i, q) in bytes.enumerated() { p[places[i]] = Float(q) * scale }
        }
        for k in 0..<c.layers {
            let o = model.layout.layer(k)
            for r in 0..<G {
                if k > 0 && c.cell.sumsInputAndRecurrentParts {
                    round(row: r, of: [o.weightIH, o.weightHH], width: H)
                } else {
                    round(row: r, of: [o.weightHH], width: H)
                    if k > 0 { round(row: r, of: [o.weightIH], width: H) }
                }
            }
        }
        for r in 0..<c.vocabularySize { round(row: r, of: [model.layout.decoder.weight], width: H) }
        return model
    }

    @Test func bf16RoundsToNearestEvenAndKeepsSpecialValues() {
        #expect(WeightPrecision.bf16Rounded(1) == 1 && WeightPrecision.bf16Rounded(-2.5) == -2.5)
        // 1 + 2⁻⁸ is half-way between 1 and 1 + 2⁻⁷: to even (1); just above it goes up.
        #expect(WeightPrecision.bf16Rounded(1 + 0x1p-8) == 1)
        #expect(WeightPrecision.bf16Rounded(1 + 0x1p-8 + 0x1p-20) == 1 + 0x1p-7)
        #expect(WeightPrecision.bf16Rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6)  // half-way above an odd one: up to even
        #expect(WeightPrecision.bf16Rounded(.infinity) == .infinity && WeightPrecision.bf16Rounded(-.infinity) == -.infinity)
        #expect(WeightPrecision.bf16Rounded(.nan).isNaN && WeightPrecision.bf16Rounded(.greatestFiniteMagnitude) == .infinity)
        for x: Float in [0.1, -3.3e-5, 1234.5, Float(bitPattern: 0x004C_3F21)] {  // the last a subnormal, 7.0e-39
            let r = WeightPrecision.bf16Rounded(x)
            #expect(abs(r - x) <= abs(x) * 0x1p-8 && r.bitPattern & 0xFFFF == 0, "\(x)")
        }
    }

    /// bf16 weights compute exactly what fp32 weights rounded to bf16 compute: the expansion is exact.
    @Test(arguments: CellKind.allCases)
    func bf16StepsEqualF32StepsOnRoundedWeightsBitForBit(cell: CellKind) {
        let compact = StepRunner(model: Self.model(cell, threads: 2), weights: .bf16, parallelMinimumBytes: 0, cores: 2)
        let rounded = StepRunner(model: Self.model(cell, threads: 1, rounded: .bf16), weights: .f32)
        for token in StepRunnerThreadingTests.tokens {
            #expect(compact.step(token).map(\.bitPattern) == rounded.step(token).map(\.bitPattern))
        }
    }

    /// int8 weights compute what fp32 weights replaced by their bytes times the row's scale compute, up to the order
    /// of rounding (the scale multiplies a row's sum once): the logits agree to a millionth of their size, through
    /// every step of a 3-layer model.
    @Test(arguments: CellKind.allCases)
    func int8StepsFollowF32StepsOnTheStoredValues(cell: CellKind) {
        let compact = StepRunner(model: Self.model(cell, threads: 2), weights: .int8, parallelMinimumBytes: 0, cores: 2)
        let stored = StepRunner(model: Self.model(cell, threads: 1, rounded: .int8), weights: .f32)
        for token in StepRunnerThreadingTests.tokens {
            let a = compact.step(token), b = stored.step(token)
            let size = b.map(abs).max()!
            for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * max(1, size), "\(x) \(y)") }
        }
    }

    /// The same logits on any number of threads and with any chunk size, for both precisions (so the same seed
    /// gives the same text).
    @Test(arguments: CellKind.allCases, WeightPrecision.allCases)
    func anyThreadsAndChunksGiveTheSameLogits(cell: CellKind, weights: WeightPrecision) {
        let single = StepRunner(model: Self.model(cell, threads: 1), weights: weights)
        let shared = StepRunner(model: Self.model(cell, threads: 3), weights: weights, parallelMinimumBytes: 0, cores: 3,
                                chunkBytes: 1)
        for (t, token) in StepRunnerThreadingTests.tokens.enumerated() {
            if t % 15 == 0 { shared.useChunks(bytes: [1, 4 << 10, 64 << 10, 1 << 30][t / 15 % 4], ownRuns: t / 15 % 3 == 1) }
            #expect(single.step(token).map(\.bitPattern) == shared.step(token).map(\.bitPattern), "t \(t)")
        }
    }

    /// Planning the chunking times every candidate size, claimed in turn and in own runs, keeps the state, and is
    /// remembered in the cache; a record that names no chunking is measured again.
    @Test func chunkPlanIsMeasuredKeptAndCached() {
        let folder = TemporaryFolder()
        // Settled after one run: this is about what is cached (RecurrenceSplitTests and GemmPlannerTests settle over runs).
        let cache = PlanCache(directory: folder.path + "/cache", build: "test", runsToSettle: 1)
        let runner = StepRunner(model: Self.model(.lstm, threads: 2), weights: .bf16, parallelMinimumBytes: 0, cores: 2)
        runner.step(3)
        let h = runner.state.h.array, c = runner.state.c.array
        let candidates = [1 << 10, 8 << 10]
        let plan = runner.planChunks(candidates: candidates, budget: .seconds(2), cache: cache), measured = plan.ranked
        #expect(!plan.fromCache)
        #expect(Set(measured.map(\.label)) == ["1024", "1024 own", "8192", "8192 own"] && measured.allSatisfy { $0.stepsPerSecond > 0 })
        #expect(runner.chunkBytes == measured[0].bytes && runner.ownRuns == measured[0].ownRuns)
        #expect(runner.state.h.array == h && runner.state.c.array == c)
        let again = StepRunner(model: Self.model(.lstm, threads: 2), weights: .bf16, parallelMinimumBytes: 0, cores: 2)
        let replanned = again.planChunks(candidates: candidates, budget: .zero, cache: cache), cached = replanned.ranked
        #expect(replanned.fromCache)
        #expect(cached.map(\.label) == measured.map(\.label) && again.chunkBytes == measured[0].bytes
                && again.ownRuns == measured[0].ownRuns)
        #expect(StepChunking(label: "8192 mine", stepsPerSecond: 1) == nil && StepChunking(label: "-4", stepsPerSecond: 1) == nil)
        #expect(StepChunking(label: "4096 own", stepsPerSecond: 1)?.ownRuns == true)
    }

    /// The shipped model loses less than 0.002 bits/char to bf16 or int8 weights on held-out text (the last 5% of
    /// its corpus; here its first 3,000 characters, docs/performance.md has the figures on all of it).
    @Test(arguments: [WeightPrecision.bf16, .int8])
    func compactWeightsCostTheShippedModelLessThanTwoThousandthsOfABit(precision: WeightPrecision) throws {
        let root = Executable.packageRoot
        let checkpoint = try Checkpoint.load(path: root + "/Checkpoints/pretrained/best.safetensors")
        let corpus = try Corpus.load(path: root + "/Corpora/shakespeare.txt").text
        let heldOut = corpus.suffix(corpus.count / 20).prefix(3_000)
        let tokens = heldOut.compactMap { checkpoint.vocabulary.index(of: $0) }
        #expect(tokens.count == heldOut.count)
        let exact = StepRunner(model: checkpoint.makeNetwork(), weights: .f32).bitsPerCharacter(of: tokens)
        let compact = StepRunner(model: checkpoint.makeNetwork(), weights: precision).bitsPerCharacter(of: tokens)
        #expect(exact > 1 && exact < 3, "\(exact)")
        #expect(abs(compact - exact) < 0.002, "f32 \(exact), \(precision) \(compact)")
    }
}
