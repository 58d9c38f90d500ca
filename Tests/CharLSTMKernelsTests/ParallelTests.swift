import Dispatch
import Foundation
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

    @Test func nestedAndConcurrentCallsRunEveryItemOnce() {
        // Calls from inside an item, and from several threads at once, find the pool busy and take the
        // fallback path; repeated jobs reuse the pool's workers (spinning or asleep).
        let seen = Mutex([Int](repeating: 0, count: 4 * 3 * 5))
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for round in 0..<50 {
                Parallel.forEach(3, threads: 2) { outer in
                    Parallel.forEach(5, threads: 2) { inner in
                        if round == 0 { seen.withLock { $0[(caller * 3 + outer) * 5 + inner] += 1 } }
                    }
                }
            }
        }
        #expect(seen.withLock { $0 } == [Int](repeating: 1, count: 4 * 3 * 5))
        for _ in 0..<1000 {
            let count = Mutex(0)
            Parallel.forEach(2, threads: 2) { _ in count.withLock { $0 += 1 } }
            #expect(count.withLock { $0 } == 2)
        }
    }

    /// The pool's teams, one per participant count, run every item of every job exactly once, jobs after each
    /// other and after pauses long enough for the workers to fall asleep; a call while a job runs (from inside
    /// an item) and one for more participants than cores are refused, having run nothing.
    @Test func theWorkerPoolRunsEveryItemOnceAndRefusesWhatItCannotTake() {
        let pool = WorkerPool(cores: 3, spin: .microseconds(20))
        for job in 0..<400 {
            let participants = 2 + job % 2, count = 1 + job % 9
            let seen = Mutex([Int](repeating: 0, count: count))
            let nested = Mutex([Bool]())
            #expect(pool.run(count, participants: participants) { i in
                seen.withLock { $0[i] += 1 }
                if i == 0 { nested.withLock { $0.append(pool.run(1, participants: 2) { _ in Issue.record("ran nested") }) } }
            })
            #expect(seen.withLock { $0 } == [Int](repeating: 1, count: count))
            #expect(nested.withLock { $0 } == [false])
            if job % 100 == 99 { Thread.sleep(forTimeInterval: 0.002) } // the workers sleep, and are woken
        }
        #expect(!pool.run(4, participants: 4) { _ in Issue.record("ran on more participants than cores") })
        #expect(!pool.run(4, participants: 1) { _ in Issue.record("ran on one participant") })
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
