import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Runs work items on up to `threads` threads.
///
/// Fork-joins go to a ``WorkerPool``: workers of its own that, after each job, keep looking for the next one
/// for ``WorkerPool/spin`` before they sleep, so the fork-joins of a training step, which follow each other
/// every few hundred microseconds, start at once instead of after the ≈ 15–50 µs it takes to wake a sleeping
/// `DispatchQueue.concurrentPerform` worker. (On the 2-core Emerald Rapids VM, S's two threads were both busy
/// only 89% of its step on Dispatch, the second half of each product waiting for its worker to wake; on the
/// pool 300 steps of S took 11–17% less wall time in alternating runs, as much on a machine loaded with two
/// busy processes, and M was unchanged. Workers that `sched_yield` between looks were tried: under such a
/// load they lost their share of the cores to the scheduler and one run in two took 2–3 times as long.)
/// The calling thread takes part and runs what a late worker has not begun, so when another process holds
/// the other core the caller simply runs the items itself. A call made while the pool is busy (from inside
/// an item, or from another thread) or for more threads than cores runs on `DispatchQueue.concurrentPerform`.
public enum Parallel {
    /// Calls `body(i)` for every i in 0..<count, spread over at most `threads` threads; returns when all are done.
    ///
    /// Items are dealt round-robin to `min(threads, count)` workers (worker w runs w, w + workers, …), so
    /// give it about `threads` items of similar cost.
    public static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
        } else if WorkerPool.shared.run(count, participants: workers, body) {
            return
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

/// The threads behind ``Parallel/forEach(_:threads:_:)``: for each number of participants p (2 up to the cores),
/// a ``ChunkTeam`` of p chunks, chunk w running the items w, w + p, w + 2p, …; with affinity, so the caller runs
/// chunk 0 and worker w chunk w, job after job (the same rows of each product stay in the same core's cache),
/// unless a worker is still asleep after the team's grace. Its workers spin for ``spin`` after each job, then
/// sleep. One job at a time: ``run(_:participants:_:)`` refuses a call while one runs.
final class WorkerPool: @unchecked Sendable {
    /// The pool of the process, for up to the active processor count of participants.
    static let shared = WorkerPool(cores: ProcessInfo.processInfo.activeProcessorCount, spin: .microseconds(200))

    /// How long a worker keeps looking for the next job before it sleeps.
    let spin: Duration
    /// The most participants a job may have.
    let cores: Int
    /// A job is running: calls meanwhile are refused.
    private let busy = Atomic<Bool>(false)
    /// Teams by participant count, made on first use; touched only while `busy` is held.
    private var teams: [Int: ChunkTeam] = [:]
    private let job = PoolJob()

    init(cores: Int, spin: Duration) {
        self.cores = cores
        self.spin = spin
    }

    /// Runs body(i) for every i in 0..<count on the caller and `participants − 1` workers; false, having run
    /// nothing, when the pool is busy or `participants` exceeds the cores.
    func run(_ count: Int, participants: Int, _ body: (Int) -> Void) -> Bool {
        guard participants >= 2, participants <= cores,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let team = teams[participants] ?? makeTeam(participants)
        withoutActuallyEscaping(body) { body in
            // Written before the team publishes the job, read by a participant only after it claimed a chunk.
            job.body = body
            job.count = count
            job.participants = participants
            team.run()
            job.body = nil
        }
        return true
    }

    private func makeTeam(_ participants: Int) -> ChunkTeam {
        let job = job
        let team = ChunkTeam(threads: participants, phases: [participants], spin: spin, cycle: .fixed, affinity: true,
                             name: "charlstm-pool") { chunk in job.run(chunk) }
        teams[participants] = team
        return team
    }
}

/// The job a ``WorkerPool`` runs: its items and the body.
private final class PoolJob: @unchecked Sendable {
    var body: ((Int) -> Void)?
    var count = 0, participants = 0

    /// Runs chunk w: items w, w + participants, …. Not inlined, so that the participant's reference to the body
    /// ends before the chunk counts as done (the caller then ends the body's lifetime).
    @inline(never)
    func run(_ chunk: Int) {
        guard let body else { return }
        var i = chunk
        while i < count { body(i); i += participants }
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
