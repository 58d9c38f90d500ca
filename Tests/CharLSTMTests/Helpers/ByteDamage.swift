@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Random damage to a file's bytes, for fuzz tests.
enum ByteDamage {
    /// One random corruption: byte flips, insertions, deletions, truncation, or a header-length edit.
    static func mutate(_ original: [UInt8], _ rng: inout RandomGenerator) -> [UInt8] {
        var bytes = original
        func index(_ count: Int) -> Int { count == 0 ? 0 : Int(rng.next() % UInt64(count)) }
        func randomByte() -> UInt8 {
            // Bias towards bytes that matter to JSON and to lengths.
            let specials: [UInt8] = [0x00, 0x22, 0x2C, 0x30, 0x39, 0x3A, 0x5B, 0x5D, 0x7B, 0x7D, 0x2D, 0x5C, 0xFF, 0x80]
            return rng.next() % 2 == 0 ? specials[index(specials.count)] : UInt8(truncatingIfNeeded: rng.next())
        }
        for _ in 0..<(1 + index(3)) {
            switch rng.next() % 6 {
            case 0: if !bytes.isEmpty { bytes[index(bytes.count)] ^= UInt8(1) << UInt8(index(8)) }
            case 1: if !bytes.isEmpty { bytes[index(bytes.count)] = randomByte() }
            case 2: bytes.insert(contentsOf: (0..<(1 + index(4))).map { _ in randomByte() }, at: index(bytes.count + 1))
            case 3:
                let start = index(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + index(16)))
            case 4: bytes.removeLast(index(bytes.count + 1))
            default:
                guard bytes.count >= 8 else { break }
                let edits: [UInt64] = [0, 1, 7, 8, UInt64(bytes.count), UInt64.max, 1 << 63, rng.next()]
                var length = edits[index(edits.count)]
                if rng.next() % 2 == 0 {
                    length = bytes[..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } &+ UInt64(index(17)) &- 8
                }
                withUnsafeBytes(of: length.littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
            }
        }
        return bytes
    }
}
