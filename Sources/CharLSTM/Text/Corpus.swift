#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A text held in memory: the Unicode scalars of a UTF-8 file (for `bench` and short texts; `train` and `eval`
/// stream their files through ``CorpusFile`` instead).
///
/// Loading accepts UTF-8 only, strips a leading byte-order mark, and rejects invalid UTF-8 and binary data
/// (NUL bytes) with the byte's offset. The file is read once (``InputFile``: a regular file, or a pipe up to
/// ``InputFile/pipeLimit``; devices and folders are refused) and decoded in one pass straight into the
/// scalar array, never through a `String`.
package struct Corpus: Equatable, Sendable {
    /// The text, one element per Unicode scalar, without the byte-order mark.
    package let text: [Unicode.Scalar]

    package init(text: [Unicode.Scalar]) {
        self.text = text
    }

    /// The largest text file loaded: a fifth of the machine's memory, since each byte may become a 4-byte
    /// scalar while the bytes are still held.
    static var memoryLimit: Int { Int(min(ProcessInfo.processInfo.physicalMemory / 5, UInt64(Int.max))) }

    /// Loads the UTF-8 text at `path`: a regular file, or a pipe (`/dev/stdin`, a FIFO) read to its end.
    /// Throws `.noInput` for a missing or unreadable path, a folder, a device or a socket; `.invalidData` for
    /// an empty file, invalid UTF-8, binary data, or more than ``InputFile/pipeLimit`` bytes through a pipe;
    /// `.unavailable` for a file too large for memory; `.io` for a file that changes while it is read. The
    /// messages name the path and, for bad bytes, the offending byte.
    package static func load(path: String) throws -> Corpus {
        let bytes = try InputFile(path: path, accepting: .regularFilesAndPipes).readAll(memoryLimit: memoryLimit)
        do {
            return Corpus(text: try bytes.withUnsafeBytes { try decode($0) })
        } catch let error as CharLSTMError {
            throw error.prefixed("'\(path)' ")
        }
    }

    /// The scalars of UTF-8 `bytes`, skipping a leading byte-order mark. Throws `.invalidData` with a message
    /// that reads after the text's name: "is empty", "is not valid UTF-8: invalid byte 0xNN at offset N", or
    /// "looks like binary data, not text: NUL byte at offset N". Offsets count from the first byte, BOM included.
    package static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [Unicode.Scalar] {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard bytes.count > start else { throw CharLSTMError.invalidData("is empty") }
        var bad = -1
        let scalars = [Unicode.Scalar](unsafeUninitializedCapacity: bytes.count - start) { buffer, initialized in
            buffer.withMemoryRebound(to: UInt32.self) { out in
                (initialized, bad) = decodeUTF8(bytes, from: start, into: out)
            }
        }
        guard bad >= 0 else { return scalars }
        if bytes[bad] == 0 {
            throw CharLSTMError.invalidData("looks like binary data, not text: NUL byte at offset \(bad)")
        }
        throw CharLSTMError.invalidData("is not valid UTF-8: invalid byte 0x\(hexByte(bytes[bad])) at offset \(bad)")
    }

    /// Naive twin of ``decode(_:)`` built on the standard library's validation: the test oracle.
    static func naiveDecode(_ bytes: [UInt8]) -> [Unicode.Scalar]? {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        guard !body.isEmpty, !body.contains(0), let s = String(validating: body, as: UTF8.self) else { return nil }
        return Array(s.unicodeScalars)
    }
}

/// Decodes UTF-8 from `bytes[start...]` into `out` (at least as long as the bytes) and returns how many scalars
/// were written and the offset of the first byte that is NUL or starts an invalid sequence (-1 when none).
///
/// Well-formed UTF-8 (Unicode table 3-7): one of
///     00...7F
///     C2...DF  80...BF
///     E0       A0...BF  80...BF          (no overlong forms)
///     E1...EC  80...BF  80...BF
///     ED       80...9F  80...BF          (no surrogates D800...DFFF)
///     EE...EF  80...BF  80...BF
///     F0       90...BF  80...BF  80...BF (no overlong forms)
///     F1...F3  80...BF  80...BF  80...BF
///     F4       80...8F  80...BF  80...BF (nothing above 10FFFF)
/// scalar = payload bits of the lead byte, then 6 bits from each continuation byte, most significant first.
/// ASCII fast path: a 64-bit word w holds 8 ASCII bytes, none of them NUL, exactly when
///     (w & 0x8080808080808080) | ((w - 0x0101010101010101) & ~w & 0x8080808080808080) == 0.
private func decodeUTF8(_ bytes: UnsafeRawBufferPointer, from start: Int,
                        into out: UnsafeMutableBufferPointer<UInt32>) -> (count: Int, bad: Int) {
    let n = bytes.count
    var i = start, o = 0
    let highBits: UInt64 = 0x8080_8080_8080_8080
    while i < n {
        if n - i >= 8 {
            let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if (w & highBits) | ((w &- 0x0101_0101_0101_0101) & ~w & highBits) == 0 {
                for k in 0..<8 { out[o + k] = UInt32(bytes[i + k]) }
                i += 8
                o += 8
                continue
            }
        }
        let lead = bytes[i]
        if lead < 0x80 {
            if lead == 0 { return (o, i) }
            out[o] = UInt32(lead)
            i += 1
            o += 1
            continue
        }
        guard let (continuations, low, high) = utf8MultiByteLead(lead) else { return (o, i) }
        guard n - i > continuations else { return (o, i) }
        let second = bytes[i + 1]
        guard second >= low, second <= high else { return (o, i) }
        var scalar = UInt32(lead) & (0x7F >> UInt32(continuations + 1))
        scalar = scalar << 6 | UInt32(second & 0x3F)
        var k = 2
        while k <= continuations {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return (o, i) }
            scalar = scalar << 6 | UInt32(b & 0x3F)
            k += 1
        }
        out[o] = scalar
        i += continuations + 1
        o += 1
    }
    return (o, -1)
}

/// What a UTF-8 byte ≥ 0x80 promises as the lead of a multi-byte sequence: how many continuation bytes follow, and
/// the range the first of them must fall in (narrower than 0x80…0xBF after E0, ED, F0 and F4, which rules out
/// overlong forms, surrogates and values past U+10FFFF); nil for a byte that cannot lead one (RFC 3629). O(1).
@inline(__always)
func utf8MultiByteLead(_ lead: UInt8) -> (continuations: Int, low: UInt8, high: UInt8)? {
    switch lead {
    case 0xC2...0xDF: (1, 0x80, 0xBF)
    case 0xE0: (2, 0xA0, 0xBF)
    case 0xED: (2, 0x80, 0x9F)
    case 0xE1...0xEF: (2, 0x80, 0xBF)
    case 0xF0: (3, 0x90, 0xBF)
    case 0xF4: (3, 0x80, 0x8F)
    case 0xF1...0xF3: (3, 0x80, 0xBF)
    default: nil
    }
}
