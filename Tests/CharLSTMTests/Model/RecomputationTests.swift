import Testing
@testable import CharLSTM
import CharLSTMKernels

/// What the training workspace no longer keeps is recomputed bit for bit.
@Suite struct RecomputationTests {
    /// A layer's h recomputed from its gates (and c, or h_{t−1}) is the forward's h, bit for bit, for
    /// every cell, with one and two stream groups.
    @Test(arguments: CellKind.allCases, [1, 2])
    func hiddenIsRecomputedBitForBit(cell: CellKind, threads: Int) {
        let problem = TinyProblem(cell: cell, layers: 2, hidden: 19, T: 5, B: 16)
        var rng = RandomGenerator(seed: 4)
        let model = CharModel(config: problem.config, rng: &rng, threads: threads)
        let ws = Workspace(config: problem.config, sequenceLength: 5, batchSize: 16)
        model.forward(problem.batch, state: problem.makeState(), workspace: ws, training: false, dropout: &rng)
        let count = 6 * 16 * 19, top = problem.config.layers - 1
        let forward = Array(UnsafeBufferPointer(start: ws.hidden, count: count))
        #expect(forward.contains { $0 != 0 })
        ws.hidden.update(repeating: .nan, count: count)
        model.recomputeHidden(layer: top, workspace: ws)
        #expect(Array(UnsafeBufferPointer(start: ws.hidden, count: count)).map(\.bitPattern) == forward.map(\.bitPattern))
    }

    /// A mask drawn as bits and applied gives what a Float mask of 1/(1−p) or 0 from the same draws gives,
    /// bit for bit, in and out of place, for lengths that end inside a 16-bit word.
    @Test(arguments: [1, 15, 16, 17, 100])
    func bitMaskEqualsTheFloatMask(count: Int) {
        let p: Float = 0.3, keep = 1 - p, scale = 1 / keep
        var rng = RandomGenerator(seed: UInt64(count)), floatRNG = rng
        let floatMask = (0..<count).map { _ in floatRNG.nextUnitFloat() < keep ? scale : 0 }
        let words = UnsafeMutablePointer<UInt16>.allocate(capacity: (count + 15) / 16)
        defer { words.deallocate() }
        CharModel.drawDropoutMask(words, count: count, keep: keep, rng: &rng)
        #expect(rng == floatRNG, "one draw per element")
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
}
