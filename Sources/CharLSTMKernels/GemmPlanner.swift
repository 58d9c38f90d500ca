#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Dispatch

/// Finds, by timing them on this machine, the fastest kernel and blocking for each of a list of matrix products
/// (as FFTW's planner and ATLAS do), within a time budget, and remembers them in a ``PlanCache``.
///
/// For each product, in stages, each stage's candidates timed in interleaved rounds (round r times every
/// candidate once before round r + 1 starts, so a neighbour's burst slows them all alike) and each candidate
/// keeping its best round (others only ever slow a run down):
///  1. every kernel worth timing here (``GemmKernel/candidates(for:)``, or the one `CHARLSTM_SGEMM_KERNEL`
///     forces) with its standard blocking, once; the four fastest again;
///  2. the two fastest with K blocks of 128, 256, 384 and 512;
///  3. the fastest of those with A blocks of about 72, 144 and 240 rows, and C split by rows or by columns
///     between threads (products big enough to be split).
/// A timing is the product itself for the per-step products (on every thread at once, one copy each, as
/// training runs them), and for the large ones a slice of it: each thread's rows of C cut to what about a
/// millisecond computes and k to at most 1,024, with the full width n, so that the packing of A keeps its
/// share. Each product gets an equal share of the budget left; past its share only the first stage goes on,
/// past the budget nothing (a product not reached keeps its fallback). Every candidate gives the same bits, so
/// the plan changes only speed.
public struct GemmPlanner: Sendable {
    /// Wall time all products together may take to plan (not counting those found in the cache).
    public var budget: Duration
    /// Where plans are remembered between runs; nil: nowhere.
    public var cache: PlanCache?
    /// The kernels to time.
    public var kernels: [GemmKernel]
    /// Rounds of each stage.
    public var rounds = 2

    /// A planner of the kernels for this processor (or the forced one), within `budget`, remembering in `cache`.
    public init(budget: Duration = .milliseconds(500), cache: PlanCache? = nil,
                kernels: [GemmKernel] = GemmKernel.forced.map { [$0] } ?? GemmKernel.candidates(for: CPUInfo.current.isa)) {
        self.budget = budget
        self.cache = cache
        self.kernels = kernels
    }

    /// The plan for `problems` (duplicates are planned once): from the cache where it has them settled, else
    /// measured now within the budget (merged with what the cache holds of earlier runs, ``PlanCache``) and then
    /// stored in the cache. Does not activate it (``GemmPlan/activate(_:)``).
    public func plan(_ problems: [GemmProblem]) -> GemmPlan {
        var plan = GemmPlan()
        var unique: [GemmProblem] = []
        for p in problems where !unique.contains(p) && p.m > 0 && p.n > 0 && p.k > 0 { unique.append(p) }
        var toMeasure: [GemmProblem] = []
        for problem in unique {
            if let cache, let entry = cache.entry(for: problem, kernels: kernels) {
                // Taken as it is once settled; else kept should the budget not reach it, and timed again.
                plan.entries[problem] = entry
                if !cache.isSettled(runs: entry.runs) { toMeasure.append(problem) }
            } else {
                toMeasure.append(problem)
            }
        }
        guard !toMeasure.isEmpty else { return plan }
        keepLargeBlocksOutOfTheHeap()
        let clock = ContinuousClock(), deadline = clock.now + budget
        var measured: [GemmProblem: GemmPlan.Entry] = [:]
        for (index, problem) in toMeasure.enumerated() {
            // An equal share of what is left, so time one product did not use goes to the others.
            let left = deadline - clock.now
            guard left > .zero else { break }
            let share = left / (toMeasure.count - index)
            guard var entry = measure(problem, share: share, hardDeadline: deadline) else { continue }
            if let earlier = plan.entries[problem] { entry = earlier.merged(with: entry) }
            plan.entries[problem] = entry
            measured[problem] = entry
        }
        if let cache, !measured.isEmpty { cache.store(measured, kernels: kernels) }
        return plan
    }

    /// Timings of one product's stages (about 40 timings in its `share` of time, past which only the first
    /// stage goes on, and nothing past `hardDeadline`).
    private func measure(_ problem: GemmProblem, share: Duration, hardDeadline: ContinuousClock.Instant) -> GemmPlan.Entry? {
        let clock = ContinuousClock(), until = min(hardDeadline, clock.now + share)
        let bench = GemmTiming(problem: problem, seconds: max(50e-6, min(5e-3, share.seconds / 40)))
        var results: [GemmChoice: Double] = [:]   // best seconds per flop
        func time(_ choices: [GemmChoice], rounds: Int, by limit: ContinuousClock.Instant) {
            for _ in 0..<rounds {
                for choice in choices {
                    if clock.now > limit { return }
                    results[choice] = min(results[choice] ?? .infinity, bench.secondsPerFlop(choice))
                }
            }
        }
        func ranked() -> [GemmChoice] { results.keys.sorted { results[$0]! < results[$1]! } }
        let split = bench.resolvedSplit
        // 1. Every kernel once, then the best four again.
        time(kernels.map { GemmChoice(kernel: $0, split: split) }, rounds: 1, by: hardDeadline)
        time(Array(ranked().prefix(4)), rounds: rounds - 1, by: until)
        // 2. K blocks of the two best kernels.
        let depths = [128, 256, 384, 512].filter { $0 < problem.k + 128 }
        let deeper = ranked().prefix(2).flatMap { c in
            depths.map { GemmChoice(kernel: c.kernel, kc: $0, rows: c.mc, split: split) }.filter { results[$0] == nil }
        }
        time(deeper, rounds: rounds, by: until)
        // 3. A blocks and the split of the best.
        if let top = ranked().first {
            var variants = [72, 144, 240].map { GemmChoice(kernel: top.kernel, kc: top.kc, rows: $0, split: split) }
            if bench.parts > 1 {
                variants.append(GemmChoice(kernel: top.kernel, kc: top.kc, rows: top.mc, split: split == .rows ? .columns : .rows))
            }
            time(variants.filter { results[$0] == nil }, rounds: rounds, by: until)
        }
        guard !results.isEmpty else { return nil }
        let order = ranked()
        return GemmPlan.Entry(choice: order[0], candidates: order.map {
            GemmPlan.Measurement(choice: $0, gflops: 1 / results[$0]! / 1e9)
        })
    }
}

/// Keeps glibc serving blocks of 128 KiB and more from their own mappings, which it returns to the system when
/// they are freed. By default it raises that threshold to the size of each such block freed, so after the
/// planner's megabytes of timing data were freed, blocks of that size came from the heap, whose freed memory
/// stays with the process: a training run's peak RSS was 22 MiB higher (M, `bench`). Looked up at run time;
/// nothing where there is no `mallopt`.
private func keepLargeBlocksOutOfTheHeap() {
    #if canImport(Glibc)
    typealias SetOption = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "mallopt") else { return }
    _ = unsafeBitCast(symbol, to: SetOption.self)(-3, 128 << 10) // M_MMAP_THRESHOLD: fixed, no longer adjusted
    #endif
}

/// The data and the timed call of one product as the planner measures it (see ``GemmPlanner``).
final class GemmTiming: @unchecked Sendable {
    let problem: GemmProblem
    /// The slice timed: rows of C each thread computes, and the depth.
    let rowsPerThread: Int, depth: Int
    /// Calls per timing (the per-step products are short).
    let calls: Int
    /// Threads running at once: the product's split, or one copy per thread for the per-step products.
    let copies: Int, parts: Int
    let flopsPerTiming: Double
    private let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    private let lda: Int, ldb: Int, m: Int
    private let packed: SgemmPackedB?

    /// How `.larger` splits this product (the slice is cut differently, so the timed choices say it outright);
    /// `.larger` for a product on one thread, which is not split.
    var resolvedSplit: GemmChoice.Split { parts == 1 ? .larger : problem.n >= problem.m ? .columns : .rows }

    init(problem p: GemmProblem, seconds: Double) {
        problem = p
        parts = p.prepackedB ? 1 : p.parts
        copies = p.prepackedB ? p.threads : 1
        depth = p.prepackedB ? p.k : min(p.k, 1024)
        // Sized for about 150 GFLOP/s a thread: rows for `seconds`, at least a few tiles' worth, at most the real share.
        let perRow = 2 * Double(p.n) * Double(depth)
        let realRows = (p.m + parts - 1) / parts
        let wanted = Int(seconds * 150e9 / perRow)
        rowsPerThread = p.prepackedB ? p.m : max(min(realRows, 48), min(realRows, wanted))
        m = rowsPerThread * parts
        let once = 2 * Double(m) * Double(p.n) * Double(depth)
        calls = max(1, Int(seconds * 150e9 / once))
        flopsPerTiming = once * Double(calls) * Double(copies)
        lda = p.transA ? m : depth
        ldb = p.transB ? depth : p.n
        let aCount = m * depth * copies, bCount = depth * p.n, cCount = m * p.n * copies
        // As the real operands are allocated (huge pages where large), so that timings match.
        a = LargeMemory.allocateFloats(aCount)
        b = LargeMemory.allocateFloats(bCount)
        c = LargeMemory.allocateFloats(cCount)
        for i in 0..<aCount { a[i] = Float(i % 13) * 0.01 - 0.06 }
        for i in 0..<bCount { b[i] = Float(i % 7) * 0.01 - 0.03 }
        c.initialize(repeating: 0, count: cCount)
        packed = p.prepackedB ? SgemmPackedB(k: depth, n: p.n) : nil
    }

    deinit { LargeMemory.deallocate(a); LargeMemory.deallocate(b); LargeMemory.deallocate(c) }

    /// Seconds per flop of `choice` in one timing.
    func secondsPerFlop(_ choice: GemmChoice) -> Double {
        packed?.pack(transB: problem.transB, b: b, ldb: ldb, choice: choice)
        let clock = ContinuousClock()
        let elapsed = clock.measure { run(choice) }
        return elapsed.seconds / flopsPerTiming
    }

    private func run(_ choice: GemmChoice) {
        let p = problem, m = m, n = p.n, k = depth, calls = calls
        if let packed {
            let a = UnsafePointer(a), c = c, lda = lda
            Parallel.forEachDisjoint(copies, threads: copies) { copy in
                for _ in 0..<calls {
                    sgemm(transA: p.transA, m: m, alpha: 1, a: a + copy * m * k, lda: lda, packedB: packed, beta: 1,
                          c: c + copy * m * n, ldc: n, threads: 1)
                }
            }
            return
        }
        let g = GemmOperands(transA: p.transA, transB: p.transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b,
                             ldb: ldb, beta: 1, c: c, ldc: n, choice: choice)
        for _ in 0..<calls { sgemmSplit(g, parts: parts) }
    }
}
