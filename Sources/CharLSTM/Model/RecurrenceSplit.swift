import CharLSTMKernels
import Synchronization

/// How a training pass shares a layer's recurrence between threads. Each step's recurrent product reads the
/// whole of W_hh (4H × H) for the streams it serves: with every thread taking its own streams (``streamGroups``),
/// every thread reads all of it every step, for half the rows; cut by columns (``columns``), each thread reads
/// its part of W_hh for all the rows, half the weight traffic for twice the rows, which on a 2-core Emerald
/// Rapids ran the 2×512 product 1.3–1.7× faster (2-thread microbenchmark, 2026-12-07). The columns cost two
/// synchronisations a step (one ``ChunkTeam`` job of two phases), which the streams do without. Every split gives
/// the same bits: each element of a product is one chain whatever rows or columns it is computed with, and the
/// cell kernels work row by row. So the choice may depend on the machine, and is made by timing both on it
/// (``RecurrentNetwork/planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``); until then, or where nothing was
/// timed, by a rule: the columns pay where W_hh outgrows a core's L2 (config M's 4 MiB on the Xeon's 2 MiB: 5%
/// faster than the stream groups); where it fits, each thread reads it from its own L2 and the two
/// synchronisations are all the columns add (config S, 2×128: the stream groups 6–17% faster, 2×256 10–12%;
/// 2×384, 2.4 MB, even; 2026-12-07, alternating runs).
enum RecurrenceSplit: Equatable {
    /// One group of all the streams, its products on the given threads (a batch too small to share).
    case whole(threads: Int)
    /// `groups` groups of streams, one a thread, each running its own recurrence with single-threaded products.
    case streamGroups(Int)
    /// Every step's product cut into `parts` column ranges and its cell update into `parts` stream ranges,
    /// run as the two phases of a ``ChunkTeam`` job (cells that sum their parts: LSTM, RNN).
    case columns(Int)

    /// The two ways of sharing a recurrence that there is a choice between.
    enum Kind: String, CaseIterable, Sendable {
        case columns, streams
    }

    /// The split of a recurrence of `B` streams of `hidden` units on `threads` threads: shared once each thread
    /// gets at least 8 streams (a whole micro-tile of rows); then, for cells that sum their input and recurrent
    /// parts, by columns or by streams as ``forced``, else `measured`, else the rule says (columns when their fp32
    /// W_hh is larger than ``columnsAbove`` bytes); by streams for the GRU, which keeps its recurrent part apart.
    /// O(1).
    init(cell: CellKind, batch B: Int, hidden: Int, threads: Int, measured: Kind? = nil) {
        guard Self.isShared(batch: B, threads: threads) else {
            self = .whole(threads: threads)
            return
        }
        guard cell.sumsInputAndRecurrentParts else {
            self = .streamGroups(threads)
            return
        }
        let ruled: Kind = 4 * cell.gateCount * hidden * hidden > Self.columnsAbove ? .columns : .streams
        self = Self.make(Self.forced ?? measured ?? ruled, threads: threads)
    }

    /// The split of `kind` on `threads` threads.
    static func make(_ kind: Kind, threads: Int) -> RecurrenceSplit {
        kind == .columns ? .columns(threads) : .streamGroups(threads)
    }

    /// Whether a recurrence of `B` streams is shared between `threads` threads at all (8 streams or more each).
    static func isShared(batch B: Int, threads: Int) -> Bool { threads >= 2 && B >= 8 * threads }

    /// Whether there is a choice to time for a recurrence of `B` streams of `cell` on `threads` threads. O(1).
    static func hasChoice(cell: CellKind, batch B: Int, threads: Int) -> Bool {
        isShared(batch: B, threads: threads) && cell.sumsInputAndRecurrentParts
    }

    /// Bytes of a layer's fp32 W_hh above which the rule cuts its recurrence by columns: the L2 of a core
    /// (``CPUInfo/level2CacheBytes``). Tests set it (0: always columns, `Int.max`: never) to run every split.
    @TaskLocal static var columnsAbove = CPUInfo.level2CacheBytes

    /// A kind every recurrence with a choice takes, whatever was measured: the planner's trials, and tests.
    @TaskLocal static var forced: Kind? = nil

    /// The shape of each per-step product of a recurrence of `B` streams whose whole product is `n` columns
    /// wide: its rows, its columns and the threads it runs on (the plan is looked up by all three). O(1).
    func products(batch B: Int, columns n: Int) -> (rows: Int, columns: Int, threads: Int) {
        switch self {
        case .whole(let threads): (B, n, threads)
        case .streamGroups(let groups): ((B + groups - 1) / groups, n, 1)
        case .columns(let parts): (B, (n + parts - 1) / parts, 1)
        }
    }
}

/// How a network shares its recurrences: the forward's way and the backward's, each measured on its own (the
/// backward's products read W_hh by its other side and its cell phase packs 4H-wide rows, so the faster way of one
/// need not be the other's: on the Emerald Rapids, M's forward by columns and backward by streams trained 2–4% faster
/// than both by columns).
package struct RecurrenceSplitChoice: Equatable, Sendable {
    var forward: RecurrenceSplit.Kind
    var backward: RecurrenceSplit.Kind

    /// The same way both directions.
    static func both(_ kind: RecurrenceSplit.Kind) -> RecurrenceSplitChoice { .init(forward: kind, backward: kind) }

    /// The way of the forward or of the backward.
    func direction(forward isForward: Bool) -> RecurrenceSplit.Kind { isForward ? forward : backward }

    /// "columns" or "streams" when both directions agree, else "columns forward, streams backward" (and so on).
    package var name: String {
        forward == backward ? forward.rawValue : "\(forward.rawValue) forward, \(backward.rawValue) backward"
    }

    init(forward: RecurrenceSplit.Kind, backward: RecurrenceSplit.Kind) {
        self.forward = forward
        self.backward = backward
    }
}

/// The splits measured for one network's recurrences (``RecurrentNetwork/planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``),
/// by the number of streams a pass takes. Read at the start of every layer's recurrence; written by the planner.
final class RecurrenceSplitChoices: Sendable {
    private let table = Mutex<[Int: RecurrenceSplitChoice]>([:])

    /// The ways measured fastest for recurrences of `streams` streams, if they were.
    subscript(streams: Int) -> RecurrenceSplitChoice? {
        get { table.withLock { $0[streams] } }
        set { table.withLock { $0[streams] = newValue } }
    }
}
