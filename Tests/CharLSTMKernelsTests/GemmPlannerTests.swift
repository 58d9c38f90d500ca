import Foundation
import Testing
@testable import CharLSTMKernels

/// The planner: bounded in time, its choices among the candidates, remembered in its cache, and a cache that is
/// corrupt, foreign or cannot be written changes nothing but the time.
@Suite struct GemmPlannerTests {
    /// Products of the kinds a training step has (per-step on prepacked B, large NT, TN and NN), kept small.
    static let problems = [
        GemmProblem(transA: false, transB: true, m: 16, n: 256, k: 64, prepackedB: true, threads: 1),
        GemmProblem(transA: false, transB: true, m: 400, n: 256, k: 64, threads: 2),
        GemmProblem(transA: true, transB: false, m: 256, n: 64, k: 400, threads: 2),
        GemmProblem(transA: false, transB: false, m: 400, n: 65, k: 64, threads: 2),
    ]

    static func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "charlstm-plans-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func planningStaysWithinItsBudgetAndPicksACandidate() {
        let kernels = GemmKernel.candidates(for: CPUInfo.current.isa)
        let planner = GemmPlanner(budget: .milliseconds(150), kernels: kernels)
        let clock = ContinuousClock(), start = clock.now
        let plan = planner.plan(Self.problems)
        let elapsed = (clock.now - start).seconds
        // The budget, plus at most one timing (about a fortieth of a product's share) and the setting up of data.
        #expect(elapsed < 0.15 + 0.1, "\(elapsed) s")
        #expect(!plan.entries.isEmpty)
        for (problem, entry) in plan.entries {
            #expect(kernels.contains(entry.choice.kernel) && entry.choice.isValid, "\(problem)")
            #expect(entry.candidates.first?.choice == entry.choice && !entry.fromCache)
            #expect(zip(entry.candidates, entry.candidates.dropFirst()).allSatisfy { $0.gflops >= $1.gflops })
            #expect(plan.choice(for: problem) == entry.choice)
        }
    }

    @Test func aForcedKernelIsTheOnlyOnePlanned() {
        let kernel = GemmKernel.named("avx2-6x16")!
        let plan = GemmPlanner(budget: .milliseconds(40), kernels: [kernel]).plan(Array(Self.problems.prefix(2)))
        #expect(!plan.entries.isEmpty && plan.entries.values.allSatisfy { $0.choice.kernel == kernel })
    }

    @Test func plansAreRememberedAndReadBack() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = PlanCache(directory: folder + "/nested/charlstm", build: "test 1", runsToSettle: 2)
        let kernels = Array(GemmKernel.candidates(for: CPUInfo.current.isa).prefix(3))
        let first = GemmPlanner(budget: .milliseconds(200), cache: cache, kernels: kernels).plan(Self.problems)
        #expect(FileManager.default.fileExists(atPath: cache.path))
        // The next run times them again and keeps each candidate's best figure of both runs (the choice the
        // fastest of those); the plans are then settled (two runs here), and a third run reads them at once.
        let second = GemmPlanner(budget: .milliseconds(200), cache: cache, kernels: kernels).plan(Self.problems)
        for (problem, entry) in first.entries {
            let merged = try #require(second.entries[problem])
            #expect(!merged.fromCache && merged.runs == 2 && merged.choice == merged.candidates[0].choice)
            #expect(zip(merged.candidates, merged.candidates.dropFirst()).allSatisfy { $0.gflops >= $1.gflops })
            for m in entry.candidates {
                #expect(merged.candidates.contains { $0.choice == m.choice && $0.gflops >= m.gflops }, "\(problem)")
            }
        }
        let clock = ContinuousClock(), start = clock.now
        let third = GemmPlanner(budget: .milliseconds(200), cache: cache, kernels: kernels).plan(Self.problems)
        #expect((clock.now - start).seconds < 0.05)
        for (problem, entry) in second.entries {
            let again = try #require(third.entries[problem])
            #expect(again.fromCache && again.runs == 2 && again.choice == entry.choice
                    && again.candidates.map(\.choice) == entry.candidates.map(\.choice))
        }
        // Another build, or other kernels, do not read these.
        #expect(PlanCache(directory: folder + "/nested/charlstm", build: "test 2").entry(for: Self.problems[0], kernels: kernels) == nil)
        #expect(cache.entry(for: Self.problems[0], kernels: Array(kernels.prefix(1))) == nil)
    }

    @Test(arguments: ["not json at all {", #"{"format": "someone-else", "version": 1, "records": []}"#, "[1, 2, 3]",
                      #"{"format": "charlstm-plans", "version": 1, "records": [{"key": 7}]}"#])
    func aCorruptOrForeignCacheIsIgnoredAndRewritten(contents: String) throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = PlanCache(directory: folder, build: "test")
        try contents.write(toFile: cache.path, atomically: true, encoding: .utf8)
        let kernels = Array(GemmKernel.candidates(for: CPUInfo.current.isa).prefix(2))
        let plan = GemmPlanner(budget: .milliseconds(60), cache: cache, kernels: kernels).plan([Self.problems[0]])
        #expect(plan.entries[Self.problems[0]]?.fromCache == false)
        #expect(cache.entry(for: Self.problems[0], kernels: kernels) != nil)
        let text = try String(contentsOfFile: cache.path, encoding: .utf8)
        #expect(text.contains("\"charlstm-plans\"") && !text.contains("someone-else"))
    }

    @Test func aCacheThatCannotBeWrittenIsNotAnError() {
        let cache = PlanCache(directory: "/dev/null/charlstm", build: "test")
        let kernels = Array(GemmKernel.candidates(for: CPUInfo.current.isa).prefix(2))
        let plan = GemmPlanner(budget: .milliseconds(60), cache: cache, kernels: kernels).plan([Self.problems[0]])
        #expect(plan.entries[Self.problems[0]] != nil)
        #expect(!cache.store(plan.entries, kernels: kernels))
        #expect(cache.entry(for: Self.problems[0], kernels: kernels) == nil)
    }

    @Test func aCachedChoiceOutsideTheWorkspaceIsRefused() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = PlanCache(directory: folder, build: "test")
        let kernel = GemmKernel.candidates(for: CPUInfo.current.isa)[0]
        var huge = GemmChoice(kernel: kernel)
        huge.kc = 1 << 20
        #expect(!huge.isValid)
        cache.store([Self.problems[0]: GemmPlan.Entry(choice: huge, candidates: [.init(choice: huge, gflops: 1)])], kernels: [kernel])
        #expect(cache.entry(for: Self.problems[0], kernels: [kernel]) == nil)
    }

    /// A record's count of runs comes from a file: whatever it says, it is read as 1 to a million (a planner adds
    /// to it), and rankings merge as each label's best figure, fastest first.
    @Test func runCountsAreReadWithinRangeAndRankingsMergeByTheBest() {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = PlanCache(directory: folder, build: "test")
        for (written, read) in [(Int.max, 1_000_000), (Int.min, 1), (0, 1), (2, 2)] {
            cache.store([("a", 1)], forKey: "runs", runs: written)
            #expect(cache.measurements(forKey: "runs")?.runs == read, "\(written)")
        }
        #expect(!cache.isSettled(runs: 2) && cache.isSettled(runs: 3) && PlanCache(directory: folder, runsToSettle: -4).isSettled(runs: 1))
        let merged = PlanCache.merged([("a", 5), ("b", 9)], [("b", 7), ("a", 11), ("c", 1)])
        #expect(merged.map(\.label) == ["a", "b", "c"] && merged.map(\.value) == [11, 9, 1])
    }

    @Test func theUsersCacheFolderFollowsXDG() {
        #expect(PlanCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]) == "/x/cache/charlstm")
        #expect(PlanCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.cache/charlstm")
        #expect(PlanCache.defaultDirectory(environment: [:]) == nil)
    }
}
