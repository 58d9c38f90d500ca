import Dispatch
import Foundation
import Synchronization

/// Runs work items on up to `threads` threads.
///
/// A pool of worker threads (one fewer than the cores) takes the items together with the calling thread.
/// Between jobs a worker spins for about ``WorkerPool/spinSeconds`` before it sleeps, so a job that
/// follows soon after the last one starts in well under a microsecond instead of the ≈ 15 µs it takes to
/// wake a sleeping thread (what `DispatchQueue.concurrentPerform` costs on the 2-core build VMs). Items are
/// claimed one at a time, and the caller claims them too: when another process holds the other core, the
/// caller simply runs the items itself. A call made while the pool is busy (from inside an item, or from
/// another thread at the same time) runs on `DispatchQueue.concurrentPerform` instead. Measure with
/// ``measureOverhead(threads:itemSeconds:rounds:)``.
public enum Parallel {
    /// Calls `body(i)` for every i in 0..<count, spread over at most `threads` threads; returns when all are done.
    /// Give it about `threads` items of similar cost.
    public static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
        } else if !WorkerPool.shared.run(count, helpers: workers - 1, body) {
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
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}

/// Persistent worker threads for ``Parallel``: one job at a time, items claimed from a shared counter.
final class WorkerPool: @unchecked Sendable {
    /// One worker per core besides the caller's.
    static let shared = WorkerPool(workers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// How long an idle worker polls for the next job before it sleeps.
    static let spinSeconds = 200e-6

    let workers: Int
    /// The job: epoch in the high 32 bits, next unclaimed item in the low 32. Items are claimed by
    /// compare-and-swap, so a worker can never take an item of a later job than the one it joined.
    private let state = Atomic<Int>(0)
    /// Items of the current job finished.
    private let finished = Atomic<Int>(0)
    /// Workers that may still join the current job.
    private let seats = Atomic<Int>(0)
    /// Workers asleep (or about to sleep) on `wake`.
    private let sleepers = Atomic<Int>(0)
    /// A job is running (calls made meanwhile fall back to Dispatch).
    private let busy = Atomic<Bool>(false)
    private let wake = NSCondition()
    /// The current job's item count.
    private let count = Atomic<Int>(0)
    /// The current job's body: written before its epoch is published, read only by a thread that has
    /// claimed one of its items (so the caller is still waiting for the job and does not touch it).
    private nonisolated(unsafe) var body: ((Int) -> Void)? = nil

    private init(workers: Int) {
        self.workers = workers
        for _ in 0..<workers {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs body(0..<count) on the caller and up to `helpers` workers; false (nothing run) when the pool is
    /// busy or too small.
    func run(_ count: Int, helpers: Int, _ body: (Int) -> Void) -> Bool {
        guard helpers <= workers, count < 1 << 31,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        return withoutActuallyEscaping(body) { body in
            self.count.store(count, ordering: .relaxed)
            self.body = body
            finished.store(0, ordering: .relaxed)
            seats.store(helpers, ordering: .relaxed)
            // Publish: new epoch, item 0 (sequentially consistent with the sleepers count, below).
            let epoch = (state.load(ordering: .relaxed) >> 32) + 1
            state.store(epoch << 32, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            work(epoch: epoch, caller: body)
            var polls = 0
            while finished.load(ordering: .acquiring) < count {
                polls += 1
                if polls % 64 == 0 { sched_yield() }
            }
            self.body = nil
            return true
        }
    }

    /// Claims and runs items of job `epoch` until none are left; `caller` is the body when the caller
    /// itself works, nil on a worker.
    private func work(epoch: Int, caller: ((Int) -> Void)?) {
        var current = state.load(ordering: .acquiring)
        while current >> 32 == epoch, current & 0xFFFF_FFFF < count.load(ordering: .relaxed) {
            let (exchanged, original) = state.compareExchange(expected: current, desired: current + 1,
                                                              ordering: .acquiringAndReleasing)
            if exchanged {
                if let caller { caller(current & 0xFFFF_FFFF) } else { runItem(current & 0xFFFF_FFFF) }
                finished.add(1, ordering: .releasing)
                current += 1
            } else {
                current = original
            }
        }
    }

    /// Runs item i of the current job on a worker. Not inlined, so that the worker's reference to the body
    /// is dropped before the item counts as finished (the caller then ends the body's lifetime).
    @inline(never)
    private func runItem(_ i: Int) {
        body!(i)
    }

    private func workerLoop() {
        var seen = 0
        let clock = ContinuousClock()
        while true {
            // Wait for a new epoch: poll for a while, then sleep.
            var epoch = state.load(ordering: .acquiring) >> 32
            if epoch == seen {
                let start = clock.now
                var polls = 0
                while epoch == seen {
                    polls += 1
                    if polls % 256 == 0 && (clock.now - start).seconds > Self.spinSeconds {
                        wake.lock()
                        sleepers.add(1, ordering: .sequentiallyConsistent)
                        while state.load(ordering: .sequentiallyConsistent) >> 32 == seen { wake.wait() }
                        sleepers.subtract(1, ordering: .relaxed)
                        wake.unlock()
                    }
                    epoch = state.load(ordering: .acquiring) >> 32
                }
            }
            seen = epoch
            // Join if a seat is left.
            if seats.subtract(1, ordering: .acquiringAndReleasing).oldValue > 0 {
                work(epoch: epoch, caller: nil)
            }
        }
    }
}

/// Carries a value across threads where the caller guarantees it is safe.
private struct UncheckedSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
