import Dispatch

/// Runs work items on up to `threads` threads.
///
/// Built on `DispatchQueue.concurrentPerform`: its idle workers block in the kernel (no spin-waiting) and
/// claim iterations dynamically, and the calling thread takes part, so when another process holds the
/// other core the caller simply runs the items itself. Measured on the 2-core build VM with
/// ``measureOverhead(threads:itemSeconds:rounds:)``: about 15 µs per fork-join when the second core is
/// free (the time to wake a sleeping worker), a whole item when it is busy. A persistent pool of threads
/// sleeping on a condition variable was also measured and woke no faster, so give each thread ≳ 100 µs.
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

    /// ``forEach(_:threads:_:)`` for a body that captures raw pointers. The caller promises that the items
    /// write disjoint memory, which is what makes running them at once safe.
    public static func forEachDisjoint(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escaping in
            let box = UncheckedSendableBox(escaping)
            forEach(count, threads: threads) { box.value($0) }
        }
    }

    /// Runs `body` on `parts` contiguous ranges that cover 0..<count, on up to `parts` threads (the caller's
    /// included): the ranges are cut at multiples of `unit` (the last one clipped to `count`), as even as whole
    /// units allow; an empty range is skipped. The caller promises that the ranges' work writes disjoint memory.
    public static func forEachRange(_ count: Int, unit: Int = 1, parts: Int, _ body: (Range<Int>) -> Void) {
        let units = (count + unit - 1) / unit
        forEachDisjoint(parts, threads: parts) { part in
            let lo = min(count, units * part / parts * unit), hi = min(count, units * (part + 1) / parts * unit)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Fork-join cost in seconds: the wall time of `forEach(threads, threads:)` over items of about
    /// `itemSeconds` of arithmetic each, minus the time of one such item alone (best of `rounds`).
    /// Items that end up serialised on one thread show up as overhead of a whole item or more.
    public static func measureOverhead(threads: Int, itemSeconds: Double = 20e-6, rounds: Int = 200) -> Double {
        let clock = ContinuousClock()
        // Calibrate an item: iterations of a dependent multiply-add chain.
        var calibrated = 1_000
        while clock.measure({ _ = spin(calibrated) }).seconds < itemSeconds { calibrated *= 2 }
        let iterations = calibrated
        let sink = OverheadSink()
        var single = Double.infinity, together = Double.infinity
        for _ in 0..<rounds {
            single = min(single, clock.measure { sink.value = spin(iterations) }.seconds)
            together = min(together, clock.measure {
                forEach(threads, threads: threads) { _ in sink.value = spin(iterations) }
            }.seconds)
        }
        return max(0, together - single)
    }
}

/// A dependent chain of `n` multiply-adds; opaque to the optimiser.
@inline(never)
private func spin(_ n: Int) -> Double {
    var x = 1.0
    for _ in 0..<n { x = x * 0.999_999 + 1e-9 }
    return x
}

/// Somewhere for measured work to write its result.
private final class OverheadSink: @unchecked Sendable {
    var value = 0.0
}

extension Duration {
    /// This duration in seconds as a Double.
    package var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    /// This duration in whole nanoseconds, 0 for a negative one.
    var nanoseconds: UInt64 {
        let (s, attoseconds) = components
        return UInt64(max(0, s * 1_000_000_000 + attoseconds / 1_000_000_000))
    }
}

/// Carries a value across threads where the caller guarantees it is safe.
private struct UncheckedSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
