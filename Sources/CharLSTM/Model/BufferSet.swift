import CharLSTMKernels

/// The buffers of a workspace, allocated from one list of descriptions: the same list their memory is
/// counted from (``bytes(_:borrowing:)``), so a memory check made before allocating cannot drift from what is allocated.
struct BufferSet<Role: Hashable & Sendable>: Sendable {
    /// What a buffer holds (its role), how many there are (e.g. one per layer) and the size of each.
    struct Description: Sendable {
        let role: Role
        let copies: Int
        let size: BufferSize

        init(_ role: Role, copies: Int = 1, _ size: BufferSize) {
            self.role = role
            self.copies = copies
            self.size = size
        }
    }

    /// Bytes all the buffers of `list` take, apart from those `spares` lends (see ``init(_:borrowing:)``). O(list²).
    static func bytes(_ list: [Description], borrowing spares: SpareBuffers.Sizes = .none) -> Int {
        let lent = assignment(list, spares)
        var total = 0
        for (i, d) in list.enumerated() {
            for copy in 0..<d.copies where lent[Slot(description: i, copy: copy)] == nil {
                total = BufferSize.sum(total, d.size.bytes)
            }
        }
        return total
    }

    /// Which spare each buffer of `list` takes, by index (`Int.max`: the packed spare): the float buffers
    /// largest first, each the smallest unused spare that holds it; the first copy of a packed buffer the
    /// packed spare if that holds every shape, its other copies (or all, when it does not) float spares as
    /// float buffers of their capacity. The one rule both ``bytes(_:borrowing:)`` and ``init(_:borrowing:)``
    /// follow. O(list²).
    static func assignment(_ list: [Description], _ spares: SpareBuffers.Sizes) -> [Slot: Int] {
        var wanted: [(slot: Slot, count: Int)] = []
        var lent: [Slot: Int] = [:]
        for (i, d) in list.enumerated() {
            switch d.size {
            case .floats(let n):
                for copy in 0..<d.copies { wanted.append((Slot(description: i, copy: copy), n)) }
            case .packed(let shapes):
                let first = spares.packed.map { spare in shapes.allSatisfy(spare.holds) } == true ? 1 : 0
                if first == 1 { lent[Slot(description: i, copy: 0)] = .max }
                let floats = SgemmPackedB.Capacity(shapes: shapes).floats
                for copy in first..<max(first, d.copies) { wanted.append((Slot(description: i, copy: copy), floats)) }
            case .bits: break
            }
        }
        var used = Set<Int>()
        for want in wanted.sorted(by: { $0.count > $1.count }) {
            let fitting = spares.floats.indices.filter { !used.contains($0) && spares.floats[$0] >= want.count }
            guard let best = fitting.min(by: { spares.floats[$0] < spares.floats[$1] }) else { continue }
            used.insert(best)
            lent[want.slot] = best
        }
        return lent
    }

    /// One copy of one description of a list.
    struct Slot: Hashable {
        let description: Int
        let copy: Int
    }

    private var floats: [Role: [FloatBuffer]] = [:]
    private var masks: [Role: [MaskBuffer]] = [:]
    private var panels: [Role: [SgemmPackedB]] = [:]
    /// The roles in the order of the list.
    private let order: [Role]

    /// Allocates every buffer of `list` (floats and bits zeroed), apart from those `spares` lends (contents
    /// undefined; ``assignment(_:_:)`` says which).
    init(_ list: [Description], borrowing spares: SpareBuffers = .none) {
        let lent = Self.assignment(list, spares.sizes)
        order = list.map(\.role)
        for (i, d) in list.enumerated() {
            precondition(floats[d.role] == nil && masks[d.role] == nil && panels[d.role] == nil, "role described twice")
            switch d.size {
            case .floats(let n):
                floats[d.role] = (0..<d.copies).map { copy in
                    lent[Slot(description: i, copy: copy)].map { spares.floats[$0] } ?? FloatBuffer(count: n)
                }
            case .bits(let n): masks[d.role] = (0..<d.copies).map { _ in MaskBuffer(bits: n) }
            case .packed(let shapes):
                panels[d.role] = (0..<d.copies).map { copy in
                    switch lent[Slot(description: i, copy: copy)] {
                    case .max?: spares.packed!
                    case let spare?: SgemmPackedB(shapes: shapes, borrowing: spares.floats[spare])
                    case nil: SgemmPackedB(shapes: shapes)
                    }
                }
            }
        }
    }

    /// Every float buffer and the first packed one, to lend to a set used only while this one is idle
    /// (``init(_:borrowing:)``), in the order of ``SpareBuffers/Sizes/init(lentBy:)``.
    var spares: SpareBuffers {
        SpareBuffers(floats: order.flatMap { floats[$0] ?? [] }, packed: order.lazy.compactMap { panels[$0]?.first }.first)
    }

    /// Whether the list had a buffer for `role`.
    func has(_ role: Role) -> Bool { floats[role] != nil || masks[role] != nil || panels[role] != nil }

    /// The floats of `role`, copy `index` (its layer, for per-layer buffers).
    func floats(_ role: Role, _ index: Int = 0) -> UnsafeMutablePointer<Float> {
        guard let buffers = floats[role] else { preconditionFailure("no float buffer for \(role)") }
        return buffers[index].pointer
    }

    /// The mask words of `role`, copy `index`.
    func mask(_ role: Role, _ index: Int = 0) -> UnsafeMutablePointer<UInt16> {
        guard let buffers = masks[role] else { preconditionFailure("no mask buffer for \(role)") }
        return buffers[index].words
    }

    /// The packed panels of `role`, copy `index` (its layer, for per-layer panels).
    func packed(_ role: Role, _ index: Int = 0) -> SgemmPackedB {
        guard let panels = panels[role] else { preconditionFailure("no packed buffer for \(role)") }
        return panels[index]
    }
}

/// Buffers of an idle owner lent to another set: float buffers, each to at most one buffer of at most its
/// size, and packed storage, to a packed buffer whose shapes it can hold. The two sets then share memory,
/// so the borrower may only be used while the lender is idle and the lender must not rely on what it held.
struct SpareBuffers {
    let floats: [FloatBuffer]
    let packed: SgemmPackedB?

    static let none = SpareBuffers(floats: [], packed: nil)

    /// What is lent, by size: enough to decide which buffers it covers without holding any memory.
    struct Sizes {
        let floats: [Int]
        let packed: SgemmPackedB.Capacity?

        static let none = Sizes(floats: [], packed: nil)

        init(floats: [Int], packed: SgemmPackedB.Capacity?) {
            self.floats = floats
            self.packed = packed
        }

        /// The sizes of what a set allocated from `list` lends (``BufferSet/spares``), without allocating it.
        init<Role>(lentBy list: [BufferSet<Role>.Description]) {
            var floats: [Int] = [], packed: SgemmPackedB.Capacity?
            for d in list {
                switch d.size {
                case .floats(let n): floats += Array(repeating: n, count: d.copies)
                case .packed(let shapes): packed = packed ?? SgemmPackedB.Capacity(shapes: shapes)
                case .bits: break
                }
            }
            self.init(floats: floats, packed: packed)
        }
    }

    /// The sizes of these buffers.
    var sizes: Sizes { Sizes(floats: floats.map(\.count), packed: packed?.storage) }
}

/// The size of one workspace buffer.
enum BufferSize: Sendable {
    /// This many floats.
    case floats(Int)
    /// This many bits (a dropout mask), in 16-bit words.
    case bits(Int)
    /// op(B) of k × n in `SgemmPackedB`'s panel layout, for any one of these shapes at a time.
    case packed([(k: Int, n: Int)])

    /// op(B) of k × n in `SgemmPackedB`'s panel layout.
    static func packed(k: Int, n: Int) -> BufferSize { .packed([(k, n)]) }

    /// Bytes one buffer of this size takes. For packed panels an upper bound: the columns padded to 64
    /// (the kernel pads them to its panel width, a divisor of 64). Saturates instead of overflowing.
    var bytes: Int {
        switch self {
        case .floats(let n): Self.product(n, 4)
        case .bits(let n): Self.product((n + 15) / 16, 2)
        case .packed(let shapes): shapes.map { Self.product(Self.product($0.k, ($0.n + 63) / 64 * 64), 4) }.max() ?? 0
        }
    }

    /// a·b, or Int.max when that overflows.
    static func product(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : p
    }

    /// a + b, or Int.max when that overflows.
    static func sum(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : s
    }
}

/// A zeroed, fixed-size array of bits in 16-bit words: a dropout mask (see `applyDropoutMask`).
/// @unchecked Sendable: a fixed allocation, shared as part of a `Workspace`; only the thread running the pass draws and applies it.
final class MaskBuffer: @unchecked Sendable {
    let bits: Int
    let words: UnsafeMutablePointer<UInt16>

    init(bits: Int) {
        self.bits = bits
        let count = max(1, (bits + 15) / 16)
        words = .allocate(capacity: count)
        words.initialize(repeating: 0, count: count)
    }

    deinit { words.deallocate() }
}
