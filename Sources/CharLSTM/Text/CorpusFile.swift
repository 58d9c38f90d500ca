/// A UTF-8 text file scanned once, in bounded memory, and then read from anywhere: what training and `eval` use
/// instead of holding the text in memory.
///
/// The scan reads the file in chunks of ``chunkSize`` bytes (a pipe is first read whole, up to
/// ``InputFile/pipeLimit``). In the same pass it validates the UTF-8 (as ``Corpus/decode(_:)`` does, with the
/// same messages and offsets), collects the distinct scalars, counts the characters, computes the
/// ``CorpusFingerprint`` and keeps the byte offset of every ``indexStride``-th character, so that any character
/// is found by decoding at most that many characters (``TokenText``). Memory: the chunk, a 136 KiB set of the
/// scalars seen and 8 bytes per 65,536 characters; nothing per character.
public final class CorpusFile: Sendable {
    /// The path the file was opened at.
    public let path: String
    /// The file's size in bytes, byte-order mark included.
    public var byteCount: Int { source.count }
    /// Unicode scalars in the text, without the byte-order mark.
    public let characterCount: Int
    /// The distinct scalars of the text, in ascending order.
    public let scalars: [Unicode.Scalar]
    /// Size and hash of the bytes.
    let fingerprint: CorpusFingerprint
    /// Where the bytes are read from: the open file, or a pipe's bytes in memory.
    let source: any ByteSource & Sendable
    /// `characterOffsets[k]`: the byte offset of character `k · indexStride`.
    let characterOffsets: [Int]
    /// Characters between two entries of ``characterOffsets``.
    let indexStride: Int

    /// Characters between two entries of the offset index: seeking decodes at most this many.
    static let defaultIndexStride = 1 << 16
    /// Bytes read at a time during the scan (a multiple of 32, as ``FingerprintHasher`` wants).
    static let chunkSize = 4 << 20

    private init(path: String, source: any ByteSource & Sendable, characterCount: Int, scalars: [Unicode.Scalar],
                 fingerprint: CorpusFingerprint, characterOffsets: [Int], indexStride: Int) {
        self.path = path
        self.source = source
        self.characterCount = characterCount
        self.scalars = scalars
        self.fingerprint = fingerprint
        self.characterOffsets = characterOffsets
        self.indexStride = indexStride
    }

    /// Opens and scans the UTF-8 text at `path`: a regular file, or a pipe (`/dev/stdin`, a FIFO) read to its end.
    ///
    /// Throws as ``Corpus/load(path:)`` does: `.noInput` for a missing or unreadable path, a folder, a device or
    /// a socket; `.invalidData` for an empty file, invalid UTF-8 or a NUL byte (with its offset), too much
    /// through a pipe, or more than ``Vocabulary/maximumCount`` distinct characters; `.io` for a file that
    /// changes while it is read. Messages start with the quoted path. O(bytes) time, O(1) memory for a file.
    public static func scan(path: String) throws(CharLSTMError) -> CorpusFile {
        let file = try InputFile(path: path, accepting: .regularFilesAndPipes)
        let source: any ByteSource & Sendable = file.kind == .pipe
            ? OwnedBytes(try file.readAll(memoryLimit: InputFile.pipeLimit)) : file
        do {
            return try scan(source, path: path)
        } catch {
            // Reading errors name the file already; the text's own (invalid UTF-8, a NUL byte) get it here.
            throw error.message.hasPrefix("'\(path)'") ? error : error.prefixed("'\(path)' ")
        }
    }

    /// Scans `source` `chunkSize` bytes at a time (a multiple of 32), keeping the offset of every `indexStride`-th
    /// character (at least 8); errors read after the text's name ("is empty", "is not valid UTF-8: …").
    static func scan(_ source: any ByteSource & Sendable, path: String, chunkSize: Int = CorpusFile.chunkSize,
                     indexStride: Int = CorpusFile.defaultIndexStride) throws(CharLSTMError) -> CorpusFile {
        precondition(chunkSize > 0 && chunkSize % 32 == 0 && indexStride >= 8)
        let total = source.count
        var scanner = UTF8Scanner(indexStride: indexStride)
        var hasher = FingerprintHasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize + 4, alignment: 16)
        defer { buffer.deallocate() }
        // buffer[0..<carry]: the start of a sequence cut by the previous chunk; then the chunk.
        var carry = 0, offset = 0
        while offset < total {
            let n = min(chunkSize, total - offset)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[carry..<(carry + n)])
            try source.read(into: chunk, at: offset)
            hasher.add(UnsafeRawBufferPointer(chunk))
            let isLast = offset + n == total
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<(carry + n)])
            let stop = try scanner.scan(bytes, startingAt: offset - carry, skipping: offset == 0 ? bomLength(bytes) : 0,
                                        isLast: isLast)
            carry = carry + n - stop
            if carry > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + stop, byteCount: carry) }
            offset += n
        }
        try source.checkUnchanged()
        guard scanner.characters > 0 else { throw .invalidData("is empty") }
        let scalars = scanner.scalars()
        guard scalars.count <= Vocabulary.maximumCount else {
            throw .invalidData("has \(scalars.count) distinct characters, more than the \(Vocabulary.maximumCount) a "
                + "character model can have: is it a text? (a character-level model wants a small alphabet)")
        }
        return CorpusFile(path: path, source: source, characterCount: scanner.characters, scalars: scalars,
                          fingerprint: CorpusFingerprint(bytes: total, hash: hasher.value),
                          characterOffsets: scanner.characterOffsets, indexStride: indexStride)
    }

    /// How often each of `characters` occurs in the text, in their order: one pass over the bytes, ``chunkSize``
    /// at a time. Throws `.io` when the file changed since the scan. O(bytes).
    func occurrences(of characters: [Unicode.Scalar]) throws(CharLSTMError) -> [Int] {
        var slot = [Int32](repeating: -1, count: Int(characters.map(\.value).max() ?? 0) + 1)
        for (k, s) in characters.enumerated() { slot[Int(s.value)] = Int32(k) }
        var counts = [Int](repeating: 0, count: characters.count)
        let chunk = CorpusFile.chunkSize, total = source.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk + 4, alignment: 16)
        defer { buffer.deallocate() }
        // buffer[0..<carry]: the start of a sequence cut by the previous chunk; then the chunk. The text starts
        // after the byte-order mark, where character 0 is.
        var carry = 0, offset = characterOffsets.first ?? 0
        while offset < total {
            let n = min(chunk, total - offset)
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[carry..<(carry + n)]), at: offset)
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<(carry + n)])
            var i = 0
            while i < bytes.count {
                let lead = bytes[i]
                let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                guard i + length <= bytes.count else { break }
                var scalar = UInt32(lead)
                if lead >= 0x80 {
                    scalar &= 0x7F >> UInt32(length)
                    for j in 1..<length { scalar = scalar << 6 | UInt32(bytes[i + j] & 0x3F) }
                }
                if Int(scalar) < slot.count, slot[Int(scalar)] >= 0 { counts[Int(slot[Int(scalar)])] += 1 }
                i += length
            }
            carry = bytes.count - i
            if carry > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + i, byteCount: carry) }
            offset += n
        }
        try source.checkUnchanged()
        return counts
    }

    private static func bomLength(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }
}

/// Bytes held in memory (a pipe's) as a ``ByteSource``.
final class OwnedBytes: ByteSource, Sendable {
    let bytes: [UInt8]
    var count: Int { bytes.count }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(CharLSTMError) {
        guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
            throw .io("reading bytes \(offset)..<\(offset + buffer.count) of \(bytes.count)")
        }
        bytes.withUnsafeBytes { b in buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[offset..<(offset + buffer.count)])) }
    }
}

/// The validating pass of ``CorpusFile/scan(path:)``, fed one buffer at a time.
///
/// Well-formed UTF-8 (Unicode table 3-7), as in ``Corpus/decode(_:)``: one of
///     00...7F
///     C2...DF  80...BF
///     E0       A0...BF  80...BF          (no overlong forms)
///     E1...EC  80...BF  80...BF
///     ED       80...9F  80...BF          (no surrogates D800...DFFF)
///     EE...EF  80...BF  80...BF
///     F0       90...BF  80...BF  80...BF (no overlong forms)
///     F1...F3  80...BF  80...BF  80...BF
///     F4       80...8F  80...BF  80...BF (nothing above 10FFFF)
/// ASCII fast path: a 64-bit word w holds 8 ASCII bytes, none of them NUL, exactly when
///     (w & 0x8080808080808080) | ((w - 0x0101010101010101) & ~w & 0x8080808080808080) == 0.
private struct UTF8Scanner {
    /// Characters seen so far.
    var characters = 0
    /// The byte offset of every `indexStride`-th character.
    var characterOffsets: [Int] = []
    /// One flag per ASCII byte seen, and one bit per other scalar seen.
    private var ascii = [Bool](repeating: false, count: 128)
    private var others = [UInt64](repeating: 0, count: 0x110000 / 64)
    private var nextMark = 0
    private let indexStride: Int

    init(indexStride: Int) { self.indexStride = indexStride }

    /// Scans `bytes` (which start at file offset `origin`) from `skip` on, and returns where it stopped: the
    /// end, or (unless `isLast`) the start of a sequence that continues in the next buffer. Throws
    /// `.invalidData` naming the first NUL or invalid byte by its file offset.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, startingAt origin: Int, skipping skip: Int,
                       isLast: Bool) throws(CharLSTMError) -> Int {
        let n = bytes.count, stride = indexStride
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var i = skip, count = characters, mark = nextMark
        defer { characters = count; nextMark = mark }
        func fail(at i: Int) -> CharLSTMError {
            bytes[i] == 0 ? .invalidData("looks like binary data, not text: NUL byte at offset \(origin + i)")
                : .invalidData("is not valid UTF-8: invalid byte 0x\(hexByte(bytes[i])) at offset \(origin + i)")
        }
        try ascii.withUnsafeMutableBufferPointer { (seen) throws(CharLSTMError) in
            while i < n {
                if n - i >= 8 {
                    let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if (w & highBits) | ((w &- 0x0101_0101_0101_0101) & ~w & highBits) == 0 {
                        for k in 0..<8 { seen[Int(bytes[i + k])] = true }
                        if count + 8 > mark {
                            characterOffsets.append(origin + i + (mark - count))
                            mark += stride
                        }
                        i += 8
                        count += 8
                        continue
                    }
                }
                let lead = bytes[i]
                let continuations: Int, low: UInt8, high: UInt8
                if lead >= 0x01 && lead < 0x80 {
                    (continuations, low, high) = (0, 0x80, 0xBF)
                } else if let promise = utf8MultiByteLead(lead) {
                    (continuations, low, high) = promise
                } else {
                    throw fail(at: i)
                }
                if n - i <= continuations {
                    // The sequence continues in the next buffer: check what is here, then stop.
                    guard !isLast, n - i < 2 || (bytes[i + 1] >= low && bytes[i + 1] <= high),
                          n - i < 3 || bytes[i + 2] & 0xC0 == 0x80 else { throw fail(at: i) }
                    return
                }
                var scalar = UInt32(lead)
                if continuations > 0 {
                    let second = bytes[i + 1]
                    guard second >= low, second <= high else { throw fail(at: i) }
                    scalar = (scalar & (0x7F >> UInt32(continuations + 1))) << 6 | UInt32(second & 0x3F)
                    var k = 2
                    while k <= continuations {
                        let b = bytes[i + k]
                        guard b & 0xC0 == 0x80 else { throw fail(at: i) }
                        scalar = scalar << 6 | UInt32(b & 0x3F)
                        k += 1
                    }
                }
                if scalar < 128 {
                    seen[Int(scalar)] = true
                } else {
                    others[Int(scalar >> 6)] |= 1 << UInt64(scalar & 63)
                }
                if count == mark {
                    characterOffsets.append(origin + i)
                    mark += stride
                }
                count += 1
                i += continuations + 1
            }
        }
        return i
    }

    /// The scalars seen, ascending.
    func scalars() -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        for b in 0..<128 where ascii[b] { out.append(Unicode.Scalar(UInt8(b))) }
        for (w, word) in others.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 {
                out.append(Unicode.Scalar(UInt32(w * 64 + bit))!)
            }
        }
        return out
    }
}

/// `0F`, `C3`: a byte as two uppercase hex digits.
func hexByte(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return byte < 0x10 ? "0" + digits : digits
}
