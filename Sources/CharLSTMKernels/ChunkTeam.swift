import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The calling thread plus `threads − 1` worker threads of its own, running one fixed job of numbered chunks
/// again and again with little synchronisation: made for batch-1 generation, where one character is a job of a
/// few hundred microseconds and `Parallel.forEach`'s ≈ 15 µs wake-up per fork-join would be paid once per layer.
///
/// A job is chunks 0..<`chunkCount` in phases: a chunk of phase p starts only after every chunk of the phases
/// before it is done (a layer needs the whole layer below). Chunks are claimed one at a time from a shared
/// counter, in order, by whichever thread comes first, so a worker that is asleep or late costs little: the
/// caller runs the chunks itself. One whose core is busy can be preempted holding a chunk, so the team times its
/// jobs and runs them on the caller alone while that is faster (see ``run()``). Between jobs a worker spins for at most
/// `spin` and then blocks on a semaphore (it never burns a core while idle); the caller wakes it only when it
/// went to sleep. Dropping the team stops and joins its workers.
///
/// Costs per chunk: one compare-and-swap to claim it and one atomic add to finish it, each moving a cache line
/// between cores when both threads are in, so give chunks microseconds of work (generation's are about 256 KiB
/// of weights). Results do not depend on which thread runs
/// which chunk, provided chunks of one phase write disjoint memory (the caller's promise).
///
/// With `affinity`, each phase's chunks are cut into as many runs of consecutive chunks as there are participants,
/// run i belonging to participant i (the caller 0, worker w w + 1), so that each thread works on the same data job
/// after job and keeps it in its own cache: a participant runs its own chunks, then waits for the phase, and takes
/// another's only when it is still unclaimed after `grace` (its owner asleep or preempted). (Claiming in turn, the
/// column-split recurrence of a 2 × 512 LSTM had its threads swap their halves of W_hh in 13% of the steps, each
/// swap reading 2 MiB from the other core's cache.)
public final class ChunkTeam: @unchecked Sendable {
    /// Threads taking part, the caller included.
    public let threads: Int
    /// Chunks per job.
    public let chunkCount: Int
    private let shared: ChunkTeamState
    private var epoch: UInt64 = 0

    /// A team of `threads` (≥ 2) running `work(chunk)` for the chunks of `phases`, the chunk counts of the
    /// phases in order. Workers spin at most `spin` between jobs. With `affinity`, each participant has its own run
    /// of each phase's chunks, taken by another only after `grace`.
    public convenience init(threads: Int, phases: [Int], spin: Duration = .microseconds(40), affinity: Bool = false,
                            grace: Duration = .microseconds(50), work: @escaping @Sendable (Int) -> Void) {
        self.init(threads: threads, phases: phases, spin: spin, cycle: Cycle(), affinity: affinity, grace: grace, work: work)
    }

    /// As ``init(threads:phases:spin:affinity:grace:work:)`` with a cycle of its own (tests use short ones), its
    /// workers named `name`-1, `name`-2, ….
    init(threads: Int, phases: [Int], spin: Duration, cycle: Cycle, affinity: Bool = false, grace: Duration = .microseconds(50),
         name: String = "charlstm-step", work: @escaping @Sendable (Int) -> Void) {
        self.cycle = cycle
        precondition(threads >= 2 && phases.allSatisfy { $0 > 0 }, "a team needs two threads and non-empty phases")
        self.threads = threads
        var required = [Int](), before = 0
        for count in phases {
            required += [Int](repeating: before, count: count)
            before += count
        }
        chunkCount = before
        shared = ChunkTeamState(required: required, phases: phases, spinNanoseconds: spin.nanoseconds,
                                graceNanoseconds: affinity ? grace.nanoseconds : nil, work: work, workers: threads - 1)
        for w in 0..<(threads - 1) {
            let state = shared, slot = shared.slots[w]
            startThread(named: "\(name)-\(w + 1)") { state.workerLoop(slot, participant: w + 1) }
        }
    }

    /// Runs every chunk once (on this thread and the workers) and returns when all are done. Not reentrant:
    /// one caller at a time. O(chunks) synchronisation.
    ///
    /// Whether the workers help is measured, not assumed: when their core is busy with other work, a preempted
    /// worker holds up its chunk for a whole time slice and the caller alone is faster. So the team runs jobs
    /// the preferred way for a while, then tries a few the other way and keeps the faster (``ChunkTeam/Cycle``).
    /// Running alone, the workers sleep.
    public func run() {
        let start = DispatchTime.now().uptimeNanoseconds
        if cycle.runsAlone {
            for chunk in 0..<chunkCount { shared.work(chunk) }
        } else {
            epoch = epoch % 0xFFFF_FFFF + 1 // 1…2³²−1: never the workers' initial 0
            shared.done.store(0, ordering: .relaxed)
            // Publishing the epoch (sequentially consistent, against a worker announcing that it sleeps).
            shared.claim.store(epoch << 32, ordering: .sequentiallyConsistent)
            for slot in shared.slots where slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                slot.semaphore.signal()
            }
            shared.participate(epoch: epoch, participant: 0)
            shared.wait(until: chunkCount)
        }
        cycle.record(nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
    }

    /// The choice between running jobs with the workers or on the caller alone.
    var cycle: Cycle

    /// Jobs run the preferred way for `period` (timed), then up to `probes` the other way (probing); if the
    /// probes' mean job time beats the preferred way's mean, the other way becomes preferred. A probe job more
    /// than twice the preferred mean ends the probing at once, and each lost probing doubles the period (up to
    /// 32 times), so a way that stalls (a preempted worker: milliseconds per job) is rarely tried. The first
    /// job after each switch (which wakes or lets go of the workers) is not counted.
    struct Cycle {
        let probes: Int, shortestPeriod: UInt64
        private(set) var prefersAlone = false
        private var period: UInt64, probing = 0, elapsed: UInt64 = 0
        private var mainTime: UInt64 = 0, mainJobs: UInt64 = 0, probeTime: UInt64 = 0, probeJobs: UInt64 = 0

        /// Cycles that try `probes` jobs the other way after `period` the preferred way.
        init(period: Duration = .milliseconds(50), probes: Int = 6) {
            self.probes = probes
            shortestPeriod = period.nanoseconds
            self.period = shortestPeriod
        }

        /// Whether the next job runs on the caller alone.
        var runsAlone: Bool { probing > 0 ? !prefersAlone : prefersAlone }

        /// A cycle that never leaves the workers (jobs of different work cannot be compared by their times).
        static var fixed: Cycle { Cycle(probes: 0) }

        /// Takes the time of the job just run.
        mutating func record(nanoseconds ns: UInt64) {
            guard probes > 0 else { return }
            guard probing > 0 else {
                if elapsed > 0 { mainTime += ns; mainJobs += 1 }
                elapsed += max(ns, 1)
                if elapsed >= period && mainJobs > 0 { probing = 1; probeTime = 0; probeJobs = 0 }
                return
            }
            probing += 1
            guard probing > 2 else { return }
            probeTime += ns; probeJobs += 1
            let slow = ns * mainJobs > 2 * mainTime
            guard slow || probing > probes else { return }
            if !slow && probeTime * mainJobs < mainTime * probeJobs {
                prefersAlone.toggle()
                period = shortestPeriod
            } else {
                period = min(2 * period, 32 * shortestPeriod)
            }
            probing = 0; elapsed = 0; mainTime = 0; mainJobs = 0
        }
    }

    /// The workers' slots (tests look at their sleeping flags).
    var workerSlots: [ChunkTeamSlot] { shared.slots }

    deinit {
        shared.stop.store(true, ordering: .sequentiallyConsistent)
        for slot in shared.slots where slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            slot.semaphore.signal()
        }
        for _ in shared.slots { shared.exited.wait() }
    }
}

/// With affinity, which job last claimed a chunk.
final class ChunkClaim: Sendable {
    let epoch = Atomic<UInt64>(0)
}

/// One worker's sleeping flag and the semaphore it sleeps on.
final class ChunkTeamSlot: Sendable {
    let sleeping = Atomic<Bool>(false)
    let semaphore = DispatchSemaphore(value: 0)
}

/// What a team's threads share; the workers hold this, not the team, so dropping the team stops them.
final class ChunkTeamState: @unchecked Sendable {
    /// The job's epoch (high 32 bits) and the next unclaimed chunk (low 32 bits; unused with affinity).
    let claim = Atomic<UInt64>(0)
    /// With affinity, per chunk the epoch of the last job that claimed it (each job claims every chunk, so a flag
    /// never holds an epoch older than the job before: wrapping epochs cannot collide).
    let claimed: [ChunkClaim]
    /// Chunks of the current job done.
    let done = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    let exited = DispatchSemaphore(value: 0)
    let slots: [ChunkTeamSlot]
    /// Chunk i may start once `required[i]` chunks are done (all of the phases before its own).
    let required: [Int]
    /// Chunks per phase.
    let phases: [Int]
    let spinNanoseconds: UInt64
    /// With affinity: how long a participant waits for a chunk's owner to claim it before taking it; nil: chunks
    /// are claimed in turn.
    let graceNanoseconds: UInt64?
    let work: @Sendable (Int) -> Void

    init(required: [Int], phases: [Int], spinNanoseconds: UInt64, graceNanoseconds: UInt64?, work: @escaping @Sendable (Int) -> Void,
         workers: Int) {
        self.required = required
        self.phases = phases
        self.spinNanoseconds = spinNanoseconds
        self.graceNanoseconds = graceNanoseconds
        claimed = graceNanoseconds == nil ? [] : required.map { _ in ChunkClaim() }
        self.work = work
        slots = (0..<workers).map { _ in ChunkTeamSlot() }
    }

    /// Claims and runs chunks of job `epoch` until none is left (or another job has begun): in turn, or, with
    /// affinity, this `participant`'s own first.
    func participate(epoch: UInt64, participant: Int) {
        if let grace = graceNanoseconds {
            participateWithAffinity(epoch: epoch, participant: participant, grace: grace)
            return
        }
        let total = UInt64(required.count)
        var v = claim.load(ordering: .acquiring)
        while v >> 32 == epoch && v & 0xFFFF_FFFF < total {
            let (exchanged, seen) = claim.compareExchange(expected: v, desired: v + 1, ordering: .acquiringAndReleasing)
            guard exchanged else { v = seen; continue }
            let chunk = Int(v & 0xFFFF_FFFF)
            wait(until: required[chunk])
            work(chunk)
            done.add(1, ordering: .releasing)
            v = claim.load(ordering: .acquiring)
        }
    }

    /// ``participate(epoch:participant:)`` with affinity: phase by phase, this participant's own run of the
    /// phase's chunks, then the phase's others that their owners leave unclaimed for `grace` nanoseconds.
    private func participateWithAffinity(epoch: UInt64, participant: Int, grace: UInt64) {
        let participants = slots.count + 1
        var first = 0
        for count in phases {
            let end = first + count
            for chunk in (first + participant * count / participants)..<(first + (participant + 1) * count / participants) {
                _ = run(chunk, epoch: epoch)
            }
            // Wait for the phase; take over what its owners have not claimed after the grace period.
            let start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while done.load(ordering: .acquiring) < end {
                guard claim.load(ordering: .acquiring) >> 32 == epoch else { return }
                spins += 1
                if spins & 63 == 0 && DispatchTime.now().uptimeNanoseconds - start > grace {
                    for chunk in first..<end { _ = run(chunk, epoch: epoch) }
                }
                if spins > 4_000 { sched_yield() }
            }
            first = end
        }
    }

    /// Claims `chunk` for job `epoch` (with affinity) and runs it once the phases before it are done; false when
    /// it was claimed already or another job has begun.
    private func run(_ chunk: Int, epoch: UInt64) -> Bool {
        let flag = claimed[chunk]
        var v = flag.epoch.load(ordering: .acquiring)
        while v != epoch && claim.load(ordering: .acquiring) >> 32 == epoch {
            let (exchanged, seen) = flag.epoch.compareExchange(expected: v, desired: epoch, ordering: .acquiringAndReleasing)
            guard exchanged else { v = seen; continue }
            wait(until: required[chunk])
            work(chunk)
            done.add(1, ordering: .releasing)
            return true
        }
        return false
    }

    /// Spins until `count` chunks are done, yielding the core after a while (the thread we wait for may need it).
    func wait(until count: Int) {
        var spins = 0
        while done.load(ordering: .acquiring) < count {
            spins += 1
            if spins > 4_000 { sched_yield() }
        }
    }

    /// A worker: waits for each new job (spinning, then asleep), takes part in it; ends when told to stop.
    func workerLoop(_ slot: ChunkTeamSlot, participant: Int) {
        var seen: UInt64 = 0
        while let epoch = nextJob(after: seen, slot: slot) {
            seen = epoch
            participate(epoch: epoch, participant: participant)
        }
        exited.signal()
    }

    /// The epoch of the next job after `seen`, or nil once the team stops. Spins up to `spinNanoseconds`,
    /// then announces that it sleeps, checks once more, and blocks until woken.
    private func nextJob(after seen: UInt64, slot: ChunkTeamSlot) -> UInt64? {
        var start = DispatchTime.now().uptimeNanoseconds, spins = 0
        while true {
            if stop.load(ordering: .acquiring) { return nil }
            let epoch = claim.load(ordering: .acquiring) >> 32
            if epoch != seen { return epoch }
            spins += 1
            guard spins & 63 == 0, DispatchTime.now().uptimeNanoseconds - start > spinNanoseconds else { continue }
            slot.sleeping.store(true, ordering: .sequentiallyConsistent)
            if claim.load(ordering: .sequentiallyConsistent) >> 32 != seen || stop.load(ordering: .sequentiallyConsistent) {
                // Work (or stop) arrived meanwhile. If a waker already took the flag, its signal must be consumed.
                if !slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) { slot.semaphore.wait() }
            } else {
                slot.semaphore.wait()
            }
            start = DispatchTime.now().uptimeNanoseconds
            spins = 0
        }
    }
}

#if canImport(Glibc)
/// Names the calling thread (what `top -H` and debuggers show) with glibc's `pthread_setname_np`, looked up at run
/// time because the Glibc module does not export this GNU extension; does nothing where it is missing.
private func setThreadName(_ name: String) {
    typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    guard let symbol = dlsym(nil, "pthread_setname_np") else { return }
    _ = unsafeBitCast(symbol, to: SetName.self)(pthread_self(), name)
}
#endif

/// Starts a detached thread running `body`, named `name` (at most 15 bytes show on Linux). On Linux it is a plain
/// POSIX thread (Foundation's `Thread` is not in FoundationEssentials); elsewhere Foundation's `Thread`.
private func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
#if canImport(Glibc)
    final class Start { let name: String, body: @Sendable () -> Void; init(_ n: String, _ b: @escaping @Sendable () -> Void) { name = n; body = b } }
    let start = Unmanaged.passRetained(Start(name, body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { argument in
        let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
        setThreadName(String(start.name.utf8.prefix(15))!)
        start.body()
        return nil
    }, start)
    precondition(status == 0, "pthread_create failed (\(status))")
    pthread_detach(thread)
#else
    let thread = Thread(block: body)
    thread.name = name
    thread.start()
#endif
}
