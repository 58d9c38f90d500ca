import Synchronization
import Testing
@testable import CharLSTMKernels

@Suite struct ParallelTests {
    @Test(arguments: [(0, 2), (1, 2), (5, 1), (2, 2), (7, 2), (7, 3)])
    func runsEveryItemExactlyOnce(count: Int, threads: Int) {
        let seen = Mutex([Int](repeating: 0, count: count))
        Parallel.forEach(count, threads: threads) { i in seen.withLock { $0[i] += 1 } }
        #expect(seen.withLock { $0 } == [Int](repeating: 1, count: count))
    }

    @Test func overheadAndPeakAreMeasurable() {
        let overhead = Parallel.measureOverhead(threads: 2, itemSeconds: 1e-5, rounds: 5)
        #expect(overhead >= 0 && overhead < 0.01)
        #expect(measurePeakGFLOPS(threads: 1, seconds: 0.001) > 0)
        #expect(measureSgemm(m: 7, n: 17, k: 5, threads: 1, seconds: 0.001) > 0)
        #expect(measureSgemm(m: 7, n: 17, k: 5, threads: 1, seconds: 0.001, transB: true, prepackedB: true) > 0)
        #expect(measureSgemv(m: 7, n: 17, threads: 1, seconds: 0.001) > 0)
    }
}
