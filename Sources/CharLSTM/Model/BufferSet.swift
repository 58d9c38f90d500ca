import CharLSTMKernels

/// The buffers of a workspace, allocated from one list of descriptions: the same list their memory is
/// counted from (``bytes(_:)``), so a memory check made before allocating cannot drift from what is allocated.
struct BufferSet<Role: Hashable & Sendable>: @unchecked Sendable {
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

    /// Bytes all the buffers of `list` take. O(list).
    static func bytes(_ list: [Description]) -> Int {
        list.reduce(0) { total, d in BufferSize.sum(total, BufferSize.product(d.size.bytes, d.copies)) }
    }

    private var floats: [Role: [FloatBuffer]] = [:]
    private var masks: [Role: [MaskBuffer]] = [:]
    private var panels: [Role: SgemmPackedB] = [:]

    /// Allocates every buffer of `list` (floats and bits zeroed).
    init(_ list: [Description]) {
        for d in list {
            precondition(floats[d.role] == nil && masks[d.role] == nil && panels[d.role] == nil, "role described twice")
            switch d.size {
            case .floats(let n): floats[d.role] = (0..<d.copies).map { _ in FloatBuffer(count: n) }
            case .bits(let n): masks[d.role] = (0..<d.copies).map { _ in MaskBuffer(bits: n) }
            case .packed(let shapes):
                precondition(d.copies == 1, "one packed buffer per role")
                panels[d.role] = SgemmPackedB(shapes: shapes)
            }
        }
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

    /// The packed panels of `role`.
    func packed(_ role: Role) -> SgemmPackedB {
        guard let panel = panels[role] else { preconditionFailure("no packed buffer for \(role)") }
        return panel
    }
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
