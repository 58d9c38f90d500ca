@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Seeded mutations of checkpoint bytes, from raw byte damage to structural edits re-encoded with a valid checksum.
struct CheckpointMutator {
    var rng: RandomGenerator
    let original: [UInt8]
    let headerCount: Int

    init(_ original: [UInt8], seed: UInt64) {
        self.original = original
        rng = RandomGenerator(seed: seed)
        headerCount = Int(original[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    mutating func chance(_ p: Double) -> Bool { rng.nextUnitDouble() < p }

    /// One mutated copy; `kind` chooses the family of damage.
    mutating func mutate(kind: Int) -> [UInt8] {
        var bytes = original
        switch kind {
        case 0:  // Byte flips in the header JSON, often to JSON punctuation.
            for _ in 0...below(3) {
                let at = 8 + below(headerCount)
                bytes[at] = chance(0.5) ? pick(Array("{}[]\":,0123456789-e. \\".utf8)) : UInt8(truncatingIfNeeded: rng.next())
            }
        case 1:  // Byte flips in the data section: the checksum must catch them.
            for _ in 0...below(3) { bytes[8 + headerCount + below(bytes.count - 8 - headerCount)] ^= UInt8(1 << below(8)) }
        case 2:  // Truncation anywhere.
            bytes.removeLast(1 + below(bytes.count))
        case 3:  // Header-length edits.
            let length: UInt64 = pick([0, 1, 2, 7, UInt64(headerCount - 8), UInt64(headerCount + 8),
                                       UInt64(bytes.count), UInt64(bytes.count - 8), UInt64(100_000_001), .max,
                                       UInt64(headerCount) &+ UInt64(below(64)) &- 32])
            withUnsafeBytes(of: length.littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
        case 4:
            bytes = structural(metadataEdits: 1 + below(2), tensorEdits: 0)
        case 5:
            bytes = structural(metadataEdits: 0, tensorEdits: 1 + below(2))
        default:
            bytes = structural(metadataEdits: 1, tensorEdits: 1)
        }
        return bytes
    }

    /// Decodes the checkpoint, edits metadata and tensors, and re-encodes it (recomputing the checksum).
    mutating func structural(metadataEdits: Int, tensorEdits: Int) -> [UInt8] {
        var file = try! SafeTensors.decode(original)
        for _ in 0..<metadataEdits { editMetadata(&file.metadata) }
        for _ in 0..<tensorEdits { editTensors(&file.tensors) }
        return file.encoded()
    }

    static let junkNumbers: [JSONValue] = [
        .number("-1"), .number("0"), .number("1"), .number("2"), .number("3"), .number("16"), .number("17"),
        .number("8192"), .number("8193"), .number("100000"), .number("1000000000"), .number("1.5"),
        .number("0.5"), .number("-0.0"), .number("1e308"), .number("1e999"), .number("99999999999999999999"),
        .string("16"), .null, .bool(true), .array([]), .object([:]),
    ]
    static let junkStrings = ["", "x", "-1", "0", "1e999", "nan", "{", "[]", "[\"a\"]", "lstm", "gru", "rnn", "2",
                              "18446744073709551616", "0:0:0:0", "\u{0}", "😀"]

    mutating func editMetadata(_ meta: inout [String: String]) {
        let keys = meta.keys.sorted()
        switch below(5) {
        case 0:  // Drop a key.
            meta[pick(keys)] = nil
        case 1:  // Replace a value with junk.
            meta[pick(keys)] = pick(Self.junkStrings)
        case 2, 3:  // Change a number (or type) inside the config or training JSON object.
            let key = pick(["config", "training"])
            guard let text = meta[key], case .object(var members)? = try? JSONValue.parse(text),
                  !members.isEmpty else { return }
            let member = pick(members.keys.sorted())
            members[member] = chance(0.15) ? nil : pick(Self.junkNumbers)
            meta[key] = JSONValue.object(members).encoded
        default:  // Change the vocabulary: drop, duplicate, swap, widen or replace characters.
            guard let text = meta["vocabulary"], case .array(var items)? = try? JSONValue.parse(text),
                  !items.isEmpty else { return }
            let i = below(items.count), j = below(items.count)
            switch below(6) {
            case 0: items.remove(at: i)
            case 1: items.insert(items[i], at: j)
            case 2: items.swapAt(i, j)
            case 3: items[i] = .string("ab")
            case 4: items[i] = pick([.string(""), .number("7"), .null, .string("\u{10FFFF}")])
            default: items.append(.string("\u{4E00}"))
            }
            meta["vocabulary"] = JSONValue.array(items).encoded
        }
    }

    mutating func editTensors(_ tensors: inout [String: SafeTensors.Tensor]) {
        let name = pick(tensors.keys.sorted())
        let t = tensors[name]!
        switch below(6) {
        case 0:  // Drop it.
            tensors[name] = nil
        case 1:  // Same values, another shape.
            let n = t.values.count
            tensors[name] = .init(shape: pick([[n], [1, n], Array(t.shape.reversed()), t.shape + [1], [n, 1, 1]]),
                                  values: t.values)
        case 2:  // Fewer or more values.
            let n = max(0, t.values.count + below(9) - 4)
            tensors[name] = .init(shape: [n], values: Array(repeating: 0.5, count: n))
        case 3:  // Non-finite values.
            var values = t.values
            if !values.isEmpty { values[below(values.count)] = pick([.nan, .infinity, -.infinity]) }
            tensors[name] = .init(shape: t.shape, values: values)
        case 4:  // Renamed.
            tensors[name] = nil
            tensors[name + pick(["_", ".x", "0"])] = t
        default:  // An extra tensor.
            tensors["extra.\(below(100))"] = .init(shape: [2], values: [1, 2])
        }
    }
}
