import Synchronization

/// Which kernel and blocking each matrix product gets, and what every candidate measured: what a
/// ``GemmPlanner`` makes and `charlstm bench` prints. Products it does not name get
/// ``GemmChoice/fallback(for:isa:)``.
///
/// `sgemm` reads the process's active plan (``activate(_:)``); since every choice gives the same bits, which plan
/// is active changes only the speed, never a result.
public struct GemmPlan: Sendable {
    /// One product's plan.
    public struct Entry: Sendable {
        /// The fastest candidate.
        public var choice: GemmChoice
        /// Every candidate timed, fastest first, in GFLOP/s (all threads together).
        public var candidates: [Measurement]
        /// Whether it was read from the cache rather than measured now.
        public var fromCache: Bool
        /// The runs whose timings it holds (``PlanCache/runsToSettle``).
        public var runs: Int

        public init(choice: GemmChoice, candidates: [Measurement], fromCache: Bool = false, runs: Int = 1) {
            self.choice = choice
            self.candidates = candidates
            self.fromCache = fromCache
            self.runs = runs
        }

        /// This entry and a `later` timing of the same product as one: each candidate's best figure of both,
        /// fastest first (the choice), holding both entries' runs. O(candidates²).
        public func merged(with later: Entry) -> Entry {
            let best = bestFigures((candidates + later.candidates).map { ($0.choice, $0.gflops) })
                .map { Measurement(choice: $0.0, gflops: $0.1) }
            return Entry(choice: best.first?.choice ?? later.choice, candidates: best, runs: runs + later.runs)
        }
    }

    /// One candidate's speed.
    public struct Measurement: Sendable {
        public var choice: GemmChoice
        public var gflops: Double
        public init(choice: GemmChoice, gflops: Double) {
            self.choice = choice
            self.gflops = gflops
        }
    }

    public var entries: [GemmProblem: Entry]

    public init(entries: [GemmProblem: Entry] = [:]) { self.entries = entries }

    /// The choice for `problem`: the plan's, else the fallback for this CPU.
    public func choice(for problem: GemmProblem) -> GemmChoice {
        entries[problem]?.choice ?? .fallback(for: problem)
    }

    /// The process's plan: what `sgemm` computes with.
    public static var active: GemmPlan { activeChoices.withLock { GemmPlan(entries: $0.mapValues { Entry(choice: $0, candidates: []) }) } }

    /// Makes `plan`'s choices those `sgemm` uses for its products from now on (others keep theirs).
    public static func activate(_ plan: GemmPlan) {
        activeChoices.withLock { table in
            for (problem, entry) in plan.entries { table[problem] = entry.choice }
        }
    }

    /// Forgets every activated choice: every product gets its fallback again.
    public static func deactivateAll() { activeChoices.withLock { $0.removeAll() } }

    /// The active choice for `problem`, else its fallback. A lock and a dictionary look-up: ≈ 50 ns a call.
    static func choice(for problem: GemmProblem) -> GemmChoice {
        activeChoices.withLock { $0[problem] } ?? .fallback(for: problem)
    }

    private static let activeChoices = Mutex<[GemmProblem: GemmChoice]>([:])
}
