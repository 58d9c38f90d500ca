/// What identifies a corpus cheaply: its size in bytes and a fast 64-bit hash of all its bytes, computed during
/// the scan that validates it (``CorpusFile``). A checkpoint records it, so that `--resume` on another text of the
/// same length and alphabet is noticed. Not a cryptographic hash: it tells files apart, it does not authenticate.
struct CorpusFingerprint: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The file's size in bytes (byte-order mark included).
    var bytes: Int
    /// ``FingerprintHasher``'s hash of every byte.
    var hash: UInt64

    init(bytes: Int, hash: UInt64) {
        self.bytes = bytes
        self.hash = hash
    }

    /// The hash as 16 lowercase hex digits, as checkpoints store it.
    var hashText: String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Parses ``hashText``.
    init?(bytes: Int, hashText: String) {
        guard bytes >= 0, hashText.utf8.count == 16, let hash = UInt64(hashText, radix: 16) else { return nil }
        self.init(bytes: bytes, hash: hash)
    }

    /// `1,073,741,824 bytes, hash 3f2a…`: for messages.
    var description: String { "\(bytes) bytes, hash \(hashText)" }
}

/// A fast streaming hash of a byte sequence, fed in pieces whose sizes are multiples of 32 bytes (any size for
/// the last one); the result does not depend on how the bytes were cut.
///
/// Four independent 64-bit lanes take the 8-byte little-endian words w in turn (word k goes to lane k mod 4):
///     lane ← f(lane ⊕ w),   f(x) = m(x) ⊕ (m(x) >> 29),   m(x) = x · 0x9E3779B97F4A7C15 (mod 2⁶⁴)
/// f is a bijection, so a change to one word always changes its lane's final value. The 0–31 bytes left at the
/// end are zero-padded into words; the result mixes the four lanes and the byte count. About 8 bytes per cycle
/// per core: far faster than the disk.
package struct FingerprintHasher: Sendable {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) =
        (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)
    private var count = 0
    private var finished = false

    init() {}

    @inline(__always) private static func mix(_ x: UInt64) -> UInt64 {
        let m = x &* 0x9E37_79B9_7F4A_7C15
        return m ^ (m >> 29)
    }

    /// Adds `bytes`; every piece but the last must hold a multiple of 32 bytes. O(n).
    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "only the last piece may hold a number of bytes that is not a multiple of 32")
        let n = bytes.count, whole = n & ~31
        var (a, b, c, d) = lanes
        var i = 0
        while i < whole {
            a = Self.mix(a ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            b = Self.mix(b ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)))
            c = Self.mix(c ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)))
            d = Self.mix(d ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)))
            i += 32
        }
        if whole < n {
            var tail: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &tail) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[whole...])) }
            a = Self.mix(a ^ UInt64(littleEndian: tail.0))
            b = Self.mix(b ^ UInt64(littleEndian: tail.1))
            c = Self.mix(c ^ UInt64(littleEndian: tail.2))
            d = Self.mix(d ^ UInt64(littleEndian: tail.3))
            finished = true
        }
        lanes = (a, b, c, d)
        count += n
    }

    /// The hash of everything added.
    var value: UInt64 {
        var h = Self.mix(UInt64(count) ^ 0x6A09_E667_F3BC_C908)
        h = Self.mix(h ^ lanes.0)
        h = Self.mix(h ^ lanes.1)
        h = Self.mix(h ^ lanes.2)
        h = Self.mix(h ^ lanes.3)
        return h
    }

    /// The hash of `bytes` in one piece.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hasher = FingerprintHasher()
        bytes.withUnsafeBytes { hasher.add($0) }
        return hasher.value
    }
}
