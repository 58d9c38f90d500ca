import Testing
@testable import CharLSTM
import CharLSTMKernels

@Suite struct AdamTests {
    /// An update on several threads gives the bits of one, parameters and both moments, with clipping and weight
    /// decay on, over a count that is neither a multiple of 16 nor small enough to stay on one thread.
    @Test(arguments: [2, 3])
    func anUpdateOnSeveralThreadsGivesTheBitsOfOne(threads: Int) {
        let n = 2 * rowOpsElementsPerThread + 5
        var rng = RandomGenerator(seed: 3)
        let start = (0..<n).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
        let gradients = FloatBuffer((0..<n).map { _ in Float(rng.nextUnitDouble() * 0.2 - 0.1) })
        let adam = Adam(learningRate: 0.01, weightDecay: 0.001, clipNorm: 1)
        func run(threads: Int) -> [[UInt32]] {
            let parameters = FloatBuffer(start)
            var moments = AdamMoments(parameterCount: n)
            for _ in 0..<3 {
                let norm = adam.update(parameters: parameters, gradients: gradients, moments: &moments, threads: threads)
                #expect(norm > 1, "clipping is on")
            }
            return [parameters.array, moments.m.array, moments.v.array].map { $0.map(\.bitPattern) }
        }
        let one = run(threads: 1)
        #expect(one[0] != start.map(\.bitPattern))
        #expect(run(threads: threads) == one)
    }
}
