import Dispatch

/// Runs work items on up to `threads` threads.
///
/// Built on `DispatchQueue.concurrentPerform`, whose idle workers block in the kernel rather than spin,
/// so a busy machine costs time slices, not correctness or burnt cores. The calling thread takes part.
/// Measured fork-join overhead on the 2-core build machine: see ``Parallel/measureOverhead(threads:rounds:)``.
public enum Parallel {
    /// Calls `body(i)` for every i in 0..<count, spread over at most `threads` threads; returns when all are done.
    ///
    /// Items are dealt round-robin to `min(threads, count)` workers (worker w runs w, w + workers, …), so
    /// give it about `threads` items of similar cost.
    public static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
        } else if workers == count {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var i = w
                while i < count { body(i); i += workers }
            }
        }
    }

    /// Average wall time in seconds of one empty `forEach(threads, threads:)` round trip.
    public static func measureOverhead(threads: Int, rounds: Int = 2000) -> Double {
        let clock = ContinuousClock()
        forEach(threads, threads: threads) { _ in }
        let elapsed = clock.measure {
            for _ in 0..<rounds { forEach(threads, threads: threads) { _ in } }
        }
        return elapsed.seconds / Double(rounds)
    }
}

extension Duration {
    /// This duration in seconds as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
