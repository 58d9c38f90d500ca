import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// `eval --skip-unknown` / `--replace-unknown C`: a text with characters the model lacks, read with them left out
/// or replaced, gives exactly the numbers of the same text edited by hand, from a file (streamed, across buffer
/// refills) and from memory, and the characters are counted.
@Suite struct UnknownCharactersTests {
    static let known = Array("abcdefgh ,.\n".unicodeScalars)
    /// Lacked by the model: one byte, two, three and four bytes of UTF-8.
    static let unknown: [Unicode.Scalar] = ["<", "é", "ẞ", "🦓"]

    static func checkpoint() -> Checkpoint {
        let vocabulary = Vocabulary(of: known)
        let config = ModelConfig(cell: .lstm, vocabularySize: vocabulary.count, hidden: 8, layers: 1)
        var rng = RandomGenerator(seed: 3)
        let model = RecurrentNetwork(config: config, rng: &rng)
        return Checkpoint(network: model, vocabulary: vocabulary, training: nil)
    }

    /// About 70,000 known characters (more than a reader's 64 KiB buffer) with the unknown ones sprinkled in,
    /// including at the very start and end, and how often each unknown character was put in.
    static func text() -> (text: [Unicode.Scalar], counts: [Unicode.Scalar: Int]) {
        var rng = RandomGenerator(seed: 11)
        var text: [Unicode.Scalar] = ["🦓"], counts: [Unicode.Scalar: Int] = ["🦓": 1]
        for _ in 0..<70_000 {
            if rng.next() % 997 == 0 {
                let u = unknown[Int(rng.next() % UInt64(unknown.count))]
                text.append(u)
                counts[u, default: 0] += 1
            }
            text.append(known[Int(rng.next() % UInt64(known.count))])
        }
        text.append("<")
        counts["<", default: 0] += 1
        return (text, counts)
    }

    static func bytes(_ text: [Unicode.Scalar], bom: Bool = false) -> [UInt8] {
        (bom ? [0xEF, 0xBB, 0xBF] : []) + Array(String(String.UnicodeScalarView(text)).utf8)
    }

    @Test(arguments: [false, true])
    func skippingIsTheTextWithoutThem(bom: Bool) throws {
        let folder = TemporaryFolder(), checkpoint = Self.checkpoint(), (text, counts) = Self.text()
        let with = try CorpusFile.scan(path: folder.file("with.txt", Self.bytes(text, bom: bom)))
        let stripped = text.filter { !Self.unknown.contains($0) }
        let without = try CorpusFile.scan(path: folder.file("without.txt", Self.bytes(stripped, bom: bom)))

        let skipped = try checkpoint.textModel().evaluate(with, unknown: .skip, threads: 2)
        let plain = try checkpoint.textModel().evaluate(without, threads: 2)
        #expect(skipped.bitsPerCharacter == plain.bitsPerCharacter && skipped.accuracy == plain.accuracy)
        #expect(skipped.predictions == plain.predictions && skipped.predictions == stripped.count - 1)
        #expect(plain.unknown.isEmpty)
        #expect(Dictionary(uniqueKeysWithValues: skipped.unknown.map { ($0.character, $0.count) }) == counts)
        #expect(skipped.unknown.map(\.count) == skipped.unknown.map(\.count).sorted(by: >), "most frequent first")

        // The same from memory.
        let inMemory = try checkpoint.textModel().evaluate(text, unknown: .skip, threads: 1)
        #expect(inMemory.bitsPerCharacter == skipped.bitsPerCharacter && inMemory.unknown == skipped.unknown)
    }

    @Test func replacingIsTheTextWithTheReplacement() throws {
        let folder = TemporaryFolder(), checkpoint = Self.checkpoint(), (text, _) = Self.text()
        let with = try CorpusFile.scan(path: folder.file("with.txt", Self.bytes(text)))
        let replaced = text.map { Self.unknown.contains($0) ? " " : $0 }
        let edited = try CorpusFile.scan(path: folder.file("edited.txt", Self.bytes(replaced)))
        let result = try checkpoint.textModel().evaluate(with, unknown: .replace(" "), threads: 2)
        let plain = try checkpoint.textModel().evaluate(edited, threads: 2)
        #expect(result.bitsPerCharacter == plain.bitsPerCharacter && result.predictions == text.count - 1)
        #expect(result.unknown.reduce(0) { $0 + $1.count } == text.count - text.filter { !Self.unknown.contains($0) }.count)
    }

    @Test func refusingNamesTheCharactersAndTheWayOut() throws {
        let folder = TemporaryFolder(), checkpoint = Self.checkpoint()
        let file = try CorpusFile.scan(path: folder.file("t.txt", Array("abc<de".utf8)))
        do {
            _ = try checkpoint.textModel().evaluate(file)
            Issue.record("refused nothing")
        } catch {
            #expect(error.kind == .invalidData)
            #expect(error.message.contains("'<' (U+003C)") && error.message.contains("unknown: .skip or .replace(_:)"))
        }
        #expect(throws: CharLSTMError.usage(
            "the replacement for unknown characters, '~' (U+007E), is not in the model's vocabulary either (\(setting: .unknownCharacters))")) {
            _ = try checkpoint.textModel().evaluate(file, unknown: .replace("~"))
        }
        // A text the model knows whole is read as it is, whatever the policy.
        let known = try CorpusFile.scan(path: folder.file("k.txt", Array("abc de".utf8)))
        for policy in [UnknownCharacters.refuse, .skip, .replace("a")] {
            #expect(try checkpoint.textModel().evaluate(known, unknown: policy).unknown.isEmpty)
        }
    }

    @Test func inspectionReadsTheSameText() throws {
        let checkpoint = Self.checkpoint(), (text, _) = Self.text()
        let short = Array(text.prefix(3_000)) + ["ẞ", "a", "b"]
        let inspection = try checkpoint.textModel().inspect(short, limit: 2_000, unknown: .skip, threads: 2)
        let stripped = short.filter { !Self.unknown.contains($0) }
        let eval = try checkpoint.textModel().evaluate(Array(stripped.prefix(2_000)), threads: 1)
        #expect(inspection.evaluation.bitsPerCharacter == eval.bitsPerCharacter)
        #expect(inspection.totalCharacters == stripped.count)
        #expect(inspection.evaluation.unknown.contains { $0.character == "ẞ" })
    }
}
