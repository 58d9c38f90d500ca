import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct CorpusTests {
    func decode(_ bytes: [UInt8]) throws -> [Unicode.Scalar] {
        try bytes.withUnsafeBytes { try Corpus.decode($0) }
    }

    @Test func decodesAsciiAndMultiByteScalars() throws {
        let text = "To be, or not to be: that is the question. Café 中文 😀 \u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}"
        #expect(try decode(Array(text.utf8)) == Array(text.unicodeScalars))
    }

    @Test func stripsALeadingByteOrderMark() throws {
        #expect(try decode([0xEF, 0xBB, 0xBF] + Array("hi\u{FEFF}".utf8)) == ["h", "i", "\u{FEFF}"])
    }

    /// Invalid input, the offset of the byte reported, and that byte.
    @Test(arguments: [
        ([0x61, 0x80], 1, "0x80"),                          // lone continuation byte
        ([0xC0, 0xAF], 0, "0xC0"),                          // overlong '/'
        ([0xC1, 0xBF], 0, "0xC1"),
        ([0x61, 0x62, 0xE0, 0x80, 0x80], 2, "0xE0"),        // overlong 3-byte
        ([0xED, 0xA0, 0x80], 0, "0xED"),                    // surrogate U+D800
        ([0xF0, 0x80, 0x80, 0x80], 0, "0xF0"),              // overlong 4-byte
        ([0xF4, 0x90, 0x80, 0x80], 0, "0xF4"),              // above U+10FFFF
        ([0xF5, 0x80, 0x80, 0x80], 0, "0xF5"),
        ([0xFF], 0, "0xFF"),
        ([0x61, 0xC3], 1, "0xC3"),                          // truncated at the end
        ([0x61, 0xE2, 0x82], 1, "0xE2"),
        ([0xE2, 0x82, 0x41], 0, "0xE2"),                    // bad third byte
        ([0xF0, 0x9F, 0x98, 0x41, 0x41, 0x41, 0x41, 0x41], 0, "0xF0"),
        (Array("0123456789abcdef".utf8) + [0xC3, 0x28], 16, "0xC3"),
        ([0xEF, 0xBB, 0xBF, 0x61, 0xFE], 4, "0xFE"),        // offsets count the BOM
    ] as [([UInt8], Int, String)])
    func reportsTheFirstInvalidByte(_ bytes: [UInt8], _ offset: Int, _ byte: String) {
        #expect(throws: CharLSTMError.invalidData("is not valid UTF-8: invalid byte \(byte) at offset \(offset)")) {
            try decode(bytes)
        }
    }

    @Test func rejectsBinaryDataAtTheFirstNul() {
        let bytes = Array("0123456789".utf8) + [0] + Array("abcdefgh".utf8)
        #expect(throws: CharLSTMError.invalidData("looks like binary data, not text: NUL byte at offset 10")) {
            try decode(bytes)
        }
        #expect(throws: CharLSTMError.invalidData("looks like binary data, not text: NUL byte at offset 0")) {
            try decode([0, 0, 0, 0, 0, 0, 0, 0, 0])
        }
    }

    @Test func rejectsEmptyText() {
        #expect(throws: CharLSTMError.invalidData("is empty")) { try decode([]) }
        #expect(throws: CharLSTMError.invalidData("is empty")) { try decode([0xEF, 0xBB, 0xBF]) }
    }

    /// Random byte strings, mostly valid, against the standard library's validation.
    @Test func agreesWithTheNaiveTwin() throws {
        var rng = RandomGenerator(seed: 99)
        let pieces: [[UInt8]] = ["a", "Hello, world\n", "é", "中", "😀", "\u{7FF}", "\u{10FFFF}"].map { Array($0.utf8) }
            + [[0x80], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90], [0xFF], [0x00], [0xEF, 0xBB, 0xBF]]
        var invalid = 0
        for _ in 0..<2000 {
            var bytes: [UInt8] = []
            for _ in 0..<(rng.next() % 12) {
                let i = Int(rng.next() % UInt64(pieces.count))
                // Invalid pieces are rare, so most strings exercise long valid runs.
                bytes += i >= 7 && rng.next() % 4 != 0 ? pieces[0] : pieces[i]
            }
            let expected = Corpus.naiveDecode(bytes)
            do {
                #expect(try decode(bytes) == expected)
            } catch let error as CharLSTMError {
                invalid += 1
                #expect(expected == nil, "\(bytes)")
                if error.message == "is empty" {
                    #expect(bytes.isEmpty || bytes == [0xEF, 0xBB, 0xBF])
                    continue
                }
                // The reported offset ends the longest valid, NUL-free prefix.
                let offset = try #require(Int(error.message.split(separator: " ").last ?? ""))
                #expect(!bytes.isEmpty && offset < bytes.count)
                let prefix = Array(bytes[..<offset])
                #expect(!prefix.contains(0) && String(validating: prefix, as: UTF8.self) != nil)
            }
        }
        #expect(invalid > 100 && invalid < 1900)
    }

    @Test func loadsAFileAndNamesItInErrors() throws {
        let folder = TemporaryFolder()
        let good = folder.file("good.txt", [0xEF, 0xBB, 0xBF] + Array("First Citizen:\nBefore we proceed…\n".utf8))
        #expect(try Corpus.load(path: good).text == Array("First Citizen:\nBefore we proceed…\n".unicodeScalars))

        let latin1 = folder.file("latin1.txt", Array("Caf".utf8) + [0xE9, 0x21])
        #expect(throws: CharLSTMError.invalidData("'\(latin1)' is not valid UTF-8: invalid byte 0xE9 at offset 3")) {
            try Corpus.load(path: latin1)
        }
        let binary = folder.file("model.bin", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00])
        #expect(throws: CharLSTMError.invalidData("'\(binary)' looks like binary data, not text: NUL byte at offset 7")) {
            try Corpus.load(path: binary)
        }
        let empty = folder.file("empty.txt", [])
        #expect(throws: CharLSTMError.invalidData("'\(empty)' is empty")) { try Corpus.load(path: empty) }
        let bom = folder.file("bom.txt", [0xEF, 0xBB, 0xBF])
        #expect(throws: CharLSTMError.invalidData("'\(bom)' is empty")) { try Corpus.load(path: bom) }
        #expect(throws: CharLSTMError.noInput("'\(folder.path)/none.txt': no such file")) {
            try Corpus.load(path: folder.path + "/none.txt")
        }
        #expect(throws: CharLSTMError.noInput("'\(folder.path)' is a folder, not a file")) {
            try Corpus.load(path: folder.path)
        }
    }

    @Test(.enabled(if: !runningAsRoot, "root reads any file"))
    func reportsUnreadableFiles() {
        let folder = TemporaryFolder()
        let path = folder.file("secret.txt", Array("text".utf8))
        chmod(path, 0)
        #expect(throws: CharLSTMError.noInput("'\(path)': permission denied")) { try Corpus.load(path: path) }
    }
}
