import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The chunked scan of a corpus file agrees with the in-memory decoder (its oracle) on every input, whatever the
/// chunk size; its fingerprint tells texts apart; a file read back through ``TokenText`` gives the in-memory tokens.
@Suite struct CorpusFileTests {
    /// Random byte strings (mostly valid UTF-8 of 1–4 byte scalars, some invalid pieces, NULs and BOMs) scanned in
    /// 32- and 64-byte chunks, so that sequences are cut at every position: the scan accepts exactly what
    /// ``Corpus/naiveDecode(_:)`` accepts, with its characters and alphabet, and reports the offset
    /// ``Corpus/decode(_:)`` reports.
    @Test func scanAgreesWithTheDecoderAcrossChunkBoundaries() throws {
        var rng = RandomGenerator(seed: 5)
        let pieces: [[UInt8]] = ["abcdefgh", "Hello, world\n", "é", "中", "😀", "\u{7FF}", "\u{10FFFF}"].map { Array($0.utf8) }
            + [[0x80], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90], [0xFF], [0x00], [0xEF, 0xBB, 0xBF]]
        var invalid = 0
        for round in 0..<600 {
            var bytes: [UInt8] = round % 3 == 0 ? [0xEF, 0xBB, 0xBF] : []
            for _ in 0..<(rng.next() % 40) {
                let i = Int(rng.next() % UInt64(pieces.count))
                bytes += i >= 7 && rng.next() % 8 != 0 ? pieces[Int(rng.next() % 7)] : pieces[i]
            }
            let expected = Corpus.naiveDecode(bytes)
            let decoded: Result<[Unicode.Scalar], CharLSTMError>
            do {
                decoded = .success(try bytes.withUnsafeBytes { try Corpus.decode($0) })
            } catch let error as CharLSTMError {
                decoded = .failure(error)
            }
            for chunk in [32, 64] {
                let scanned = Result { () throws(CharLSTMError) in
                    try CorpusFile.scan(OwnedBytes(bytes), path: "t", chunkSize: chunk, indexStride: 8)
                }
                switch (scanned, decoded) {
                case (.success(let file), .success(let scalars)):
                    #expect(expected == scalars)
                    #expect(file.characterCount == scalars.count)
                    #expect(file.scalars == Set(scalars.map(\.value)).sorted().map { Unicode.Scalar($0)! })
                    #expect(file.fingerprint == CorpusFingerprint(bytes: bytes.count, hash: FingerprintHasher.hash(bytes)))
                    let vocabulary = try Vocabulary(scalars: file.scalars)
                    let tokens = try TokenText(file: file, vocabulary: vocabulary).whole.tokens()
                    #expect(tokens == (try vocabulary.encode(scalars)))
                case (.failure(let error), .failure(let oracle)):
                    invalid += 1
                    #expect(expected == nil)
                    #expect(error == oracle, "chunk \(chunk): \(bytes)")
                default:
                    Issue.record("scan \(scanned) and decode \(decoded) disagree on \(bytes)")
                }
            }
        }
        #expect(invalid > 100 && invalid < 1100)
    }

    /// The hash does not depend on how the bytes were cut, and a change to any one byte (or the length) changes it.
    @Test func fingerprintHashIsIndependentOfChunksAndSeesEveryByte() {
        var rng = RandomGenerator(seed: 3)
        let bytes = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let whole = FingerprintHasher.hash(bytes)
        for piece in [32, 64, 96, 512] {
            var hasher = FingerprintHasher()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + piece)
                bytes[start..<end].withUnsafeBytes { hasher.add($0) }
                start = end
            }
            #expect(hasher.value == whole)
        }
        var seen = Set([whole])
        for i in stride(from: 0, to: bytes.count, by: 37) {
            var changed = bytes
            changed[i] ^= 1
            seen.insert(FingerprintHasher.hash(changed))
        }
        seen.insert(FingerprintHasher.hash(bytes + [0]))
        seen.insert(FingerprintHasher.hash(Array(bytes.dropLast())))
        #expect(seen.count == 2 + 1 + (bytes.count + 36) / 37)
        #expect(CorpusFingerprint(bytes: 10, hashText: CorpusFingerprint(bytes: 10, hash: whole).hashText)?.hash == whole)
    }

    /// Files: an invalid byte far beyond the first chunk is named by its offset; more than 65,536 distinct
    /// characters are refused; a pipe's bytes are scanned like a file.
    @Test func fileErrorsNameThePathAndOffset() throws {
        let folder = TemporaryFolder()
        let text = Array(String(repeating: "All the world's a stage. ", count: 400).utf8)
        let bad = folder.file("bad.txt", text + [0xC3, 0x28] + text)
        #expect(throws: CharLSTMError.invalidData("'\(bad)' is not valid UTF-8: invalid byte 0xC3 at offset \(text.count)")) {
            try CorpusFile.scan(path: bad)
        }
        var many = String.UnicodeScalarView()
        for v in 0x20000..<(0x20000 + Vocabulary.maximumCount + 1) { many.append(Unicode.Scalar(UInt32(v))!) }
        let huge = folder.file("alphabet.txt", Array(String(many).utf8))
        let error = #expect(throws: CharLSTMError.self) { try CorpusFile.scan(path: huge) }
        #expect(error?.kind == .invalidData && error?.message.contains("65537 distinct characters, more than the 65536") == true)

        // What came through standard input's pipe, scanned from memory.
        let piped = try CorpusFile.scan(OwnedBytes(text), path: "/dev/stdin")
        #expect(piped.characterCount == text.count && piped.fingerprint.bytes == text.count)
        let same = try CorpusFile.scan(path: folder.file("same.txt", text))
        #expect(piped.fingerprint == same.fingerprint)
    }
}
