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

    /// A mask drawn as bits and applied gives what a Float mask of 1/(1−p) or 0 from the same draws gives,
    /// bit for bit, in and out of place, for lengths that end inside a 16-bit word.
    @Test(arguments: [1, 15, 16, 17, 100])
    func bitMaskEqualsTheFloatMask(count: Int) {
        let p: Float = 0.3, keep = 1 - p, scale = 1 / keep
        var rng = RandomGenerator(seed: UInt64(count)), floatRNG = rng
        let floatMask = (0..<count).map { _ in floatRNG.nextUnitFloat() < keep ? scale : 0 }
        let words = UnsafeMutablePointer<UInt16>.allocate(capacity: (count + 15) / 16)
        defer { words.deallocate() }
        RecurrentNetwork.drawDropoutMask(words, count: count, keep: keep, rng: &rng)
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
