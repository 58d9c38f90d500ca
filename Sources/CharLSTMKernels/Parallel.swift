import Dispatch

/// Runs work items on up to `threads` threads.
public enum Parallel {
    /// Calls `body(i)` for every i in 0..<count, spread over at most `threads` threads; returns when all are done.
    public static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        if threads <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}
