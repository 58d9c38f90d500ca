/// A text as vocabulary indices, read forward from any character: tokens in memory, or a scanned
/// ``CorpusFile`` decoded as it is read, so that a text larger than memory costs a few kilobytes per reader.
///
/// Both give the same indices for the same text, so batches (and the weights trained on them) do not depend on
/// where the text lives.
final class TokenText: Sendable {
    enum Storage {
        case tokens([Int32])
        /// The file and a scalar → index table (-1: not in the vocabulary).
        case file(CorpusFile, table: [Int32])
    }

    let storage: Storage
    /// Characters in the text.
    let count: Int
    /// The characters of the file the vocabulary lacks, left out or replaced, and how often each occurred.
    let unknown: [UnknownCharacterCount]
    /// Whether characters of the file are left out, so that a character's index is not its place in the file.
    var leavesOut: Bool {
        guard case .file(let file, _) = storage else { return false }
        return count != file.characterCount
    }

    /// Tokens held in memory.
    init(tokens: [Int32]) {
        storage = .tokens(tokens)
        count = tokens.count
        unknown = []
    }

    /// The characters of `file` as indices of `vocabulary`. Throws `.invalidData` naming the characters of the
    /// file that the vocabulary lacks (``Vocabulary/lacking(_:in:vocabularyOf:)``, the text named by its
    /// quoted path). O(vocabulary + largest scalar).
    init(file: CorpusFile, vocabulary: Vocabulary, vocabularyOf owner: String = "the model") throws(CharLSTMError) {
        let table = vocabulary.denseIndexTable()
        let missing = file.scalars.filter { Int($0.value) >= table.count || table[Int($0.value)] < 0 }
        guard missing.isEmpty else { throw .invalidData(.init(Vocabulary.lacking(missing, in: "'\(file.path)'", vocabularyOf: owner))) }
        storage = .file(file, table: table)
        count = file.characterCount
        unknown = []
    }

    /// The characters of `file` as indices of `vocabulary`, those it lacks left out or replaced as `policy` says
    /// (``unknown`` counts them; one extra pass over the file when there are any). Throws as
    /// ``Vocabulary/readings(of:under:in:)`` does, and `.io` when the file changed since it was scanned. A text
    /// with characters left out is read from its start only (``TokenReader/seek(to:)`` then decodes from there).
    /// O(bytes) when the file has characters the vocabulary lacks, else O(vocabulary + largest scalar).
    init(file: CorpusFile, vocabulary: Vocabulary, unknown policy: UnknownCharacters) throws(CharLSTMError) {
        var table = vocabulary.denseIndexTable()
        let missing = file.scalars.filter { Int($0.value) >= table.count || table[Int($0.value)] < 0 }
        guard !missing.isEmpty else {
            storage = .file(file, table: table)
            count = file.characterCount
            unknown = []
            return
        }
        let readings = try vocabulary.readings(of: missing, under: policy, in: "'\(file.path)'")
        table += [Int32](repeating: -1, count: max(0, Int(missing.last!.value) + 1 - table.count))
        for (s, reading) in zip(missing, readings) { table[Int(s.value)] = reading ?? TokenReader.leftOut }
        let counts = try file.occurrences(of: missing)
        storage = .file(file, table: table)
        count = file.characterCount - zip(readings, counts).reduce(0) { $0 + ($1.0 == nil ? $1.1 : 0) }
        unknown = UnknownCharacterCount.tally(missing, counts)
    }

    /// All of the text.
    var whole: TextSlice { TextSlice(uncheckedText: self, start: 0, count: count) }

    /// Throws `.io` when the file behind the text was changed since it was scanned; nothing for tokens in memory.
    func checkUnchanged() throws(CharLSTMError) {
        if case .file(let file, _) = storage { try file.source.checkUnchanged() }
    }
}

/// A run of characters of a ``TokenText``: a corpus's training or validation part.
struct TextSlice: Sendable {
    let text: TokenText
    /// The first character's index in ``text``.
    let start: Int
    /// Characters in the slice.
    let count: Int

    /// Characters `start ..< start + count` of `text`. Throws `.usage` for a range outside the text.
    init(text: TokenText, start: Int, count: Int) throws(CharLSTMError) {
        guard start >= 0, count >= 0, start <= text.count - count else {
            throw .usage("characters \(start) ..< \(start) + \(count) are outside a text of \(text.count)")
        }
        self.init(uncheckedText: text, start: start, count: count)
    }

    /// A slice whose range its caller guarantees.
    init(uncheckedText text: TokenText, start: Int, count: Int) {
        precondition(start >= 0 && count >= 0 && start + count <= text.count, "slice outside the text")
        self.text = text
        self.start = start
        self.count = count
    }

    /// The first `n` characters (all when `n ≥ count`).
    func prefix(_ n: Int) -> TextSlice { TextSlice(uncheckedText: text, start: start, count: max(0, min(n, count))) }

    /// The slice's tokens, in memory: for tests and short texts. O(count).
    func tokens() throws(CharLSTMError) -> [Int32] {
        let reader = TokenReader(text: text)
        try reader.seek(to: start)
        var out = [Int32](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { (o) throws(CharLSTMError) in
            if let base = o.baseAddress { try reader.read(count, into: base) }
        }
        return out
    }
}

/// Reads a ``TokenText`` forward from any character. A file's reader keeps a buffer of its bytes, decodes them as
/// it goes and re-checks what the scan found, so a file changed since is reported (`.io`), never trusted.
final class TokenReader {
    /// A file's table entry for a character that is read past (``UnknownCharacters/skip``); -1 marks one that the
    /// scan did not see, so that finding it means the file changed.
    static let leftOut: Int32 = -2
    let text: TokenText
    /// The next character ``read(_:into:)`` gives.
    private(set) var position = 0
    /// File bytes `[fileOffset - (end - head), fileOffset)` are in `buffer[head..<end]`.
    private var buffer: UnsafeMutableRawBufferPointer
    private var head = 0, end = 0, fileOffset = 0

    /// A reader at character 0; a file's keeps a buffer of `bufferSize` bytes (at least 16).
    init(text: TokenText, bufferSize: Int = 1 << 16) {
        self.text = text
        if case .file = text.storage {
            buffer = .allocate(byteCount: max(16, bufferSize), alignment: 8)
        } else {
            buffer = .init(start: nil, count: 0)
        }
    }

    deinit { buffer.deallocate() }

    /// The buffer size for a reader that reads `characters` at a time: about one read per call, within 4–64 KiB.
    static func bufferSize(forReadsOf characters: Int) -> Int {
        min(1 << 16, max(1 << 12, 4 * characters + 8))
    }

    /// Moves to character `index` (≤ count). For a file: O(``CorpusFile/defaultIndexStride``) bytes decoded at most.
    func seek(to index: Int) throws(CharLSTMError) {
        precondition(index >= 0 && index <= text.count, "seek outside the text")
        guard case .file(let file, _) = text.storage else {
            position = index
            return
        }
        if text.leavesOut {
            // Indices skip the characters left out: start at the beginning and read forward.
            head = 0
            end = 0
            fileOffset = file.characterOffsets.first ?? 0
            position = 0
            if index > 0 {
                let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: min(index, 1 << 12))
                defer { scratch.deallocate() }
                while position < index { try read(min(index - position, 1 << 12), into: scratch) }
            }
            return
        }
        let entry = index / file.indexStride
        head = 0
        end = 0
        if entry < file.characterOffsets.count {
            fileOffset = file.characterOffsets[entry]
            position = entry * file.indexStride
        } else {
            fileOffset = file.byteCount   // only the end itself is beyond the last entry
            position = index
        }
        while position < index {
            if end - head < 4 { try refill(file) }
            guard head < end else { throw changed(file) }
            let length = Self.sequenceLength(buffer[head])
            guard length > 0, end - head >= length else { throw changed(file) }
            head += length
            position += 1
        }
    }

    /// Writes the next `n` characters' indices to `out` and moves past them. No allocation. O(n).
    func read(_ n: Int, into out: UnsafeMutablePointer<Int32>) throws(CharLSTMError) {
        precondition(n >= 0 && position + n <= text.count, "read beyond the text")
        switch text.storage {
        case .tokens(let tokens):
            tokens.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + position, count: n) }
        case .file(let file, let table):
            try table.withUnsafeBufferPointer { (table) throws(CharLSTMError) in
                var k = 0
                while k < n {
                    if end - head < 4 { try refill(file) }
                    guard head < end else { throw changed(file) }
                    let lead = buffer[head]
                    var scalar = UInt32(lead), length = 1
                    if lead >= 0x80 {
                        length = Self.sequenceLength(lead)
                        guard length > 1, end - head >= length else { throw changed(file) }
                        scalar &= 0x7F >> UInt32(length)
                        for j in 1..<length {
                            let byte = buffer[head + j]
                            guard byte & 0xC0 == 0x80 else { throw changed(file) }
                            scalar = scalar << 6 | UInt32(byte & 0x3F)
                        }
                    }
                    guard Int(scalar) < table.count else { throw changed(file) }
                    let token = table[Int(scalar)]
                    head += length
                    if token >= 0 {
                        out[k] = token
                        k += 1
                    } else if token != Self.leftOut {
                        throw changed(file)
                    }
                }
            }
        }
        position += n
    }

    /// Moves the unread bytes to the front and reads as many more as fit (fewer at the end of the file).
    private func refill(_ file: CorpusFile) throws(CharLSTMError) {
        let kept = end - head
        if kept > 0 && head > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + head, byteCount: kept) }
        head = 0
        end = kept
        let n = min(buffer.count - kept, file.byteCount - fileOffset)
        guard n > 0 else { return }
        try file.source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[kept..<(kept + n)]), at: fileOffset)
        fileOffset += n
        end += n
    }

    /// Bytes in the UTF-8 sequence that `lead` starts; 0 for a byte that cannot start one.
    @inline(__always) private static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: 1
        case 0xC0...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF7: 4
        default: 0
        }
    }

    private func changed(_ file: CorpusFile) -> CharLSTMError {
        .io("'\(file.path)' changed while in use: near byte \(fileOffset - (end - head)) it no longer holds the text that "
            + "was scanned; leave the file alone while it is read, or copy it and use the copy")
    }
}
