import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import Testing
@testable import CharLSTMKernels

@Suite struct ChunkTeamTests {
    /// Every chunk runs exactly once per job, and no chunk starts before every chunk of the phases before its own
    /// is done; jobs follow each other with and without pauses long enough for the workers to fall asleep.
    @Test(arguments: [(2, false), (3, false), (2, true), (3, true)])
    func runsEveryChunkOncePhaseAfterPhase(threads: Int, affinity: Bool) {
        let phases = [3, 1, 5, 2], total = phases.reduce(0, +)
        var phaseOf = [Int]()
        for (p, n) in phases.enumerated() { phaseOf += [Int](repeating: p, count: n) }
        let log = Mutex((job: 0, runs: [Int](repeating: 0, count: total), finished: [Int](repeating: 0, count: phases.count),
                         violations: 0))
        let order = phaseOf, counts = phases
        let team = ChunkTeam(threads: threads, phases: phases, spin: .microseconds(20), affinity: affinity) { chunk in
            log.withLock { state in
                let p = order[chunk]
                if p > 0 && state.finished[p - 1] != counts[p - 1] * state.job { state.violations += 1 }
                state.runs[chunk] += 1
            }
            for _ in 0..<(chunk * 50) { _ = Thread.current }
            log.withLock { $0.finished[order[chunk]] += 1 }
        }
        for job in 1...300 {
            log.withLock { $0.job = job }
            team.run()
            let state = log.withLock { $0 }
            #expect(state.runs == [Int](repeating: job, count: total))
            #expect(state.finished == phases.map { $0 * job })
            if job % 100 == 0 { Thread.sleep(forTimeInterval: 0.005) } // workers go to sleep, and are woken
        }
        #expect(log.withLock { $0.violations } == 0)
    }

    /// With affinity, chunk i of every phase runs on participant i job after job (the caller 0), however the threads
    /// happen to arrive.
    @Test func withAffinityEachChunkStaysWithItsThread() {
        let ran = Mutex([[UInt]](repeating: [], count: 4))
        let team = ChunkTeam(threads: 2, phases: [2, 2], spin: .microseconds(200), cycle: .init(period: .seconds(3600)),
                             affinity: true, grace: .seconds(10)) { chunk in
            ran.withLock { $0[chunk].append(threadID()) }
            for _ in 0..<((chunk % 2 + 1) * 200) { _ = Thread.current }
        }
        let caller = threadID()
        for job in 0..<400 {
            team.run()
            if job % 100 == 99 { Thread.sleep(forTimeInterval: 0.002) } // the worker sleeps, and is woken
        }
        let threads = ran.withLock { $0 }
        #expect(threads.allSatisfy { $0.count == 400 })
        #expect(Set(threads[0] + threads[2]) == [caller], "the caller's chunks ran elsewhere")
        #expect(Set(threads[1] + threads[3]).count == 1 && !threads[1].contains(caller), "the worker's chunks moved")
    }

    /// With affinity, a chunk whose owner does not claim it within the grace period is taken over (here its owner,
    /// a worker, never runs), so a late or preempted thread holds nothing up for longer.
    @Test func withAffinityAnUnclaimedChunkIsTakenOverAfterTheGrace() {
        let ran = Mutex([Int]())
        // Two participants: the caller owns chunk 0, the worker chunk 1 and the second phase's only chunk, 2.
        let state = ChunkTeamState(required: [0, 0, 2], phases: [2, 1], spinNanoseconds: 0, graceNanoseconds: 1_000,
                                   work: { chunk in ran.withLock { $0.append(chunk) } }, workers: 1)
        state.claim.store(1 << 32, ordering: .sequentiallyConsistent)
        state.participate(epoch: 1, participant: 0)
        #expect(ran.withLock { $0 } == [0, 1, 2] && state.done.load(ordering: .relaxed) == 3)
        // Another job's chunks are not this one's: nothing runs for a stale epoch.
        state.participate(epoch: 2, participant: 0)
        #expect(ran.withLock { $0 }.count == 3)
    }

    /// A dropped team stops and joins its workers: making and dropping many leaves no threads behind.
    @Test func droppedTeamsLeaveNoThreads() throws {
        func threadCount() throws -> Int {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }!
            return Int(line.split(separator: "\t").last!.trimmingCharacters(in: .whitespaces))!
        }
        guard FileManager.default.fileExists(atPath: "/proc/self/status") else { return }
        let before = try threadCount()
        for round in 0..<40 {
            let count = Mutex(0)
            let team = ChunkTeam(threads: 3, phases: [4], spin: .microseconds(10)) { _ in count.withLock { $0 += 1 } }
            team.run()
            if round % 2 == 0 { Thread.sleep(forTimeInterval: 0.001) } // some asleep when dropped, some spinning
            #expect(count.withLock { $0 } == 4)
        }
        #expect(try threadCount() <= before + 2)
    }

    /// After its bounded spin an idle worker sleeps, and the next job wakes it.
    @Test func idleWorkersSleepAndWake() {
        let count = Mutex(0)
        let team = ChunkTeam(threads: 2, phases: [2], spin: .microseconds(50)) { _ in count.withLock { $0 += 1 } }
        team.run()
        var asleep = false
        for _ in 0..<2_000 where !asleep {
            Thread.sleep(forTimeInterval: 0.001)
            asleep = team.workerSlots.allSatisfy { $0.sleeping.load(ordering: .sequentiallyConsistent) }
        }
        #expect(asleep)
        team.run()
        #expect(count.withLock { $0 } == 4)
    }

    /// Workers that hold the caller up (as when their core is busy) make the team prefer the caller alone; workers
    /// that help make it prefer them again. Short cycles: 10 ms the preferred way, then 4 probes. The slow worker
    /// is five times slower than the caller alone, so that a loaded machine's late wake-ups (CI runs beside other
    /// jobs) cannot turn the comparison round.
    @Test func theTeamPrefersTheFasterWay() {
        let count = Mutex(0), caller = pthread_self(), workerSeconds = Mutex(0.020)
        let team = ChunkTeam(threads: 2, phases: [2], spin: .microseconds(40), cycle: .init(period: .milliseconds(10), probes: 4)) { _ in
            let onWorker = pthread_equal(pthread_self(), caller) == 0
            Thread.sleep(forTimeInterval: onWorker ? workerSeconds.withLock { $0 } : 0.002)
            count.withLock { $0 += 1 }
        }
        var jobs = 0
        #expect(!team.cycle.prefersAlone)
        while !team.cycle.prefersAlone && jobs < 100 { team.run(); jobs += 1 }
        #expect(team.cycle.prefersAlone)   // alone 4 ms a job, with the slow worker 20 ms
        for _ in 0..<20 { team.run(); jobs += 1 }
        #expect(team.cycle.prefersAlone)   // tried again, and still slower
        workerSeconds.withLock { $0 = 0.002 }
        var more = 0
        while team.cycle.prefersAlone && more < 100 { team.run(); more += 1 }
        #expect(!team.cycle.prefersAlone)  // with a worker as fast as the caller 2 ms a job, alone 4 ms
        #expect(count.withLock { $0 } == 2 * (jobs + more))
    }
}

/// The calling thread's POSIX identity as a number.
private func threadID() -> UInt {
#if canImport(Glibc)
    UInt(pthread_self())
#else
    UInt(bitPattern: pthread_self())
#endif
}
