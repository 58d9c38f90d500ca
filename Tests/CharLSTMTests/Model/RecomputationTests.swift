import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// What the training workspace no longer keeps is rebuilt bit for bit.
@Suite struct RecomputationTests {
    /// The backward rebuilds a lower layer's h (which the forward did not keep) bit for bit: after the
    /// backward of a 2-layer model, the h buffer holds layer 0's h, which must equal the h a 1-layer model
    /// with layer 0's weights leaves there after its forward. Every cell, one and two stream groups, dropout.
    @Test(arguments: CellKind.allCases, [1, 2])
    func lowerLayerHiddenIsRebuiltBitForBit(cell: CellKind, threads: Int) {
        let problem = TinyProblem(cell: cell, layers: 2, hidden: 19, T: 5, B: 16, dropout: 0.3)
        var rng = RandomGenerator(seed: 4)
        let model = RecurrentNetwork(config: problem.config, rng: &rng, threads: threads)
        let ws = Workspace(config: problem.config, sequenceLength: 5, batchSize: 16)
        model.forward(problem.batch, state: problem.makeState(), workspace: ws, training: true, dropout: &rng)
        model.backward(problem.batch, workspace: ws)

        var one = problem.config
        one.layers = 1
        let lower = RecurrentNetwork(config: one, sharing: FloatBuffer(count: ParameterLayout(one).totalCount), threads: threads)
        for e in lower.layout.entries {  // layer 0 and the decoder: the same names and shapes
            lower.parameter(e.name)!.baseAddress!.update(from: model.parameter(e.name)!.baseAddress!, count: e.count)
        }
        let state = RecurrentState(config: one, batch: 16), full = problem.makeState()
        state.h.pointer.update(from: full.h.pointer, count: 16 * 19)
        if cell.hasCellState { state.c.pointer.update(from: full.c.pointer, count: 16 * 19) }
        let lowerWorkspace = Workspace(config: one, sequenceLength: 5, batchSize: 16)
        lower.forward(problem.batch, state: state, workspace: lowerWorkspace, training: false, dropout: &rng)
        let count = 6 * 16 * 19
        let expected = Array(UnsafeBufferPointer(start: lowerWorkspace.hidden, count: count)).map(\.bitPattern)
        #expect(expected.contains { $0 != 0 })
        #expect(Array(UnsafeBufferPointer(start: ws.hidden, count: count)).map(\.bitPattern) == expected)
    }

    /// A layer's output rebuilt whole from what a training pass keeps (for the layer above's weight gradient) is
    /// the forward's h_1…h_T bit for bit: every cell, one and two threads.
    @Test(arguments: CellKind.allCases, [1, 2])
    func aLayersOutputIsRebuiltBitForBit(cell: CellKind, threads: Int) {
        // 16·64·256 = 2¹⁸ values: enough for the LSTM's rows to be cut between two threads.
        let (T, B, H) = (16, 64, 256)
        let problem = TinyProblem(cell: cell, layers: 1, hidden: H, T: T, B: B, dropout: 0)
        var rng = RandomGenerator(seed: 6)
        let model = RecurrentNetwork(config: problem.config, rng: &rng, threads: threads)
        let ws = Workspace(config: problem.config, sequenceLength: T, batchSize: B)
        model.forward(problem.batch, state: problem.makeState(), workspace: ws, training: true, dropout: &rng)
        let count = T * B * H
        #expect(count >= rowOpsElementsPerThread)
        let expected = Array(UnsafeBufferPointer(start: ws.hidden + B * H, count: count)).map(\.bitPattern)
        let rebuilt = FloatBuffer(count: count)
        model.rebuildOutput(layer: 0, steps: T, batch: B, workspace: ws, into: rebuilt.pointer)
        #expect(expected.contains { $0 != 0 })
        #expect(rebuilt.array.map(\.bitPattern) == expected)
    }

    /// The mask's draws, one element at a time: the seed from `rng`, block b from stream b, the even element of a
    /// pair from bits 40–63 of a draw and the odd one from bits 8–31, kept when u·2⁻²⁴ < keep (as Floats).
    static func naiveMask(count: Int, keep: Float, rng: inout RandomGenerator) -> [Bool] {
        let seed = rng.next(), block = RecurrentNetwork.dropoutBlock
        var kept: [Bool] = []
        var generator = RandomGenerator(seed: seed)
        var draw: UInt64 = 0
        for i in 0..<count {
            if i % block == 0 { generator = RandomGenerator(seed: seed, stream: i / block) }
            if i % 2 == 0 { draw = generator.next() }
            let u = i % 2 == 0 ? draw >> 40 : (draw >> 8) & 0xFF_FFFF
            kept.append(Float(u) * (1.0 / 16_777_216.0) < keep)
        }
        return kept
    }

    /// A mask drawn as bits and applied gives what a Float mask of 1/(1−p) or 0 from the naive twin's draws
    /// gives, bit for bit, in and out of place, for lengths that end inside a 16-bit word and inside a block.
    @Test(arguments: [1, 15, 16, 17, 100, RecurrentNetwork.dropoutBlock + 33])
    func bitMaskEqualsTheFloatMask(count: Int) {
        let p: Float = 0.3, keep = 1 - p, scale = 1 / keep
        var rng = RandomGenerator(seed: UInt64(count)), naiveRNG = rng
        let floatMask = Self.naiveMask(count: count, keep: keep, rng: &naiveRNG).map { $0 ? scale : 0 }
        let words = UnsafeMutablePointer<UInt16>.allocate(capacity: (count + 15) / 16)
        defer { words.deallocate() }
        RecurrentNetwork.drawDropoutMask(words, count: count, keep: keep, rng: &rng)
        #expect(rng == naiveRNG, "one draw from the run's generator: the seed")
        if count % 16 != 0 { #expect(words[count / 16] >> (count % 16) == 0, "no bits past the end") }
        var source = RandomGenerator(seed: 99)
        let x = FloatBuffer((0..<count).map { _ in Float(source.nextUnitDouble() * 4 - 2) })
        let y = FloatBuffer(count: count)
        applyDropoutMask(x.pointer, mask: words, scale: scale, into: y.pointer, count: count)
        let expected = (0..<count).map { (x[$0] * floatMask[$0]).bitPattern }
        #expect(y.array.map(\.bitPattern) == expected)
        #expect(y.array.contains(0) == floatMask.contains(0))
        applyDropoutMask(x.pointer, mask: words, scale: scale, into: x.pointer, count: count)
        #expect(x.array.map(\.bitPattern) == expected)
    }

    /// The mask does not depend on the thread count, and applying it on several threads gives the bits of one:
    /// five blocks and a part (enough to be cut between threads), drawn and applied with 1, 2 and 3 threads.
    @Test func maskAndItsProductAreTheSameOnAnyNumberOfThreads() {
        let count = 5 * RecurrentNetwork.dropoutBlock + 1_000, keep: Float = 0.8
        var source = RandomGenerator(seed: 5)
        let x = FloatBuffer((0..<count).map { _ in Float(source.nextUnitDouble() * 4 - 2) })
        var masks: [[UInt16]] = [], products: [[UInt32]] = []
        for threads in 1...3 {
            var rng = RandomGenerator(seed: 21)
            let words = UnsafeMutablePointer<UInt16>.allocate(capacity: (count + 15) / 16)
            defer { words.deallocate() }
            RecurrentNetwork.drawDropoutMask(words, count: count, keep: keep, rng: &rng, threads: threads)
            masks.append(Array(UnsafeBufferPointer(start: words, count: (count + 15) / 16)))
            let y = FloatBuffer(count: count)
            applyDropoutMask(x.pointer, mask: words, scale: 1 / keep, into: y.pointer, count: count, threads: threads)
            products.append(y.array.map(\.bitPattern))
        }
        #expect(masks[1] == masks[0] && masks[2] == masks[0])
        #expect(products[1] == products[0] && products[2] == products[0])
    }

    /// Each element is kept with probability `keep`: over 2²⁰ elements the kept share is within 10 standard
    /// deviations (≈ 0.004) of it, for several `keep`; no two blocks of a mask are equal (their streams differ);
    /// and a mask of keep 1 keeps everything.
    @Test(arguments: [Float(0.5), 0.8, 0.95, 1])
    func maskKeepsTheRightShare(keep: Float) {
        let count = 1 << 20, block = RecurrentNetwork.dropoutBlock
        var rng = RandomGenerator(seed: 8)
        let words = UnsafeMutablePointer<UInt16>.allocate(capacity: count / 16)
        defer { words.deallocate() }
        RecurrentNetwork.drawDropoutMask(words, count: count, keep: keep, rng: &rng, threads: 2)
        let mask = Array(UnsafeBufferPointer(start: words, count: count / 16))
        let kept = Double(mask.reduce(0) { $0 + $1.nonzeroBitCount }) / Double(count)
        let sigma = (Double(keep) * (1 - Double(keep)) / Double(count)).squareRoot()
        #expect(abs(kept - Double(keep)) <= max(10 * sigma, 1e-12), "kept \(kept) of keep \(keep)")
        if keep < 1 {
            let blocks = (0..<(count / block)).map { Array(mask[($0 * block / 16)..<(($0 + 1) * block / 16)]) }
            #expect(Set(blocks).count == blocks.count)
        }
    }
}
