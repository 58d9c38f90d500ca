import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Damaged and foreign checkpoints through every command that reads one: `info`, `generate --checkpoint`,
/// `eval --checkpoint` and `train --resume` each fail with one clear error and touch nothing.
@Suite struct CheckpointErrorTests {
    /// The four ways a command reads `checkpoint`.
    private func commands(_ checkpoint: String, corpus: String) -> [[String]] {
        [
            ["info", checkpoint],
            ["generate", "--checkpoint", checkpoint, "--length", "5", "--seed", "1"],
            ["eval", corpus, "--checkpoint", checkpoint, "--threads", "1"],
            ["train", "--resume", checkpoint, "--steps", "40", "--threads", "1"],
        ]
    }

    /// Writes `bytes` as a checkpoint and expects every command to fail on it with `code` and `mentions`.
    private func expectRefused(_ bytes: [UInt8]?, code: Int32 = 65, mentions: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(SharedRun.files.corpus, in: folder)
        let path = folder.path + "/model.safetensors"
        if let bytes { folder.file("model.safetensors", bytes) }
        let before = FileSnapshot.folder(folder.path)
        for arguments in commands(path, corpus: corpus) {
            let run = Tool.expectFailure(arguments, code: code, mentions: mentions, sourceLocation: sourceLocation)
            #expect(run.out.isEmpty, "\(arguments[0]): \(run)", sourceLocation: sourceLocation)
        }
        #expect(FileSnapshot.folder(folder.path) == before, sourceLocation: sourceLocation)
    }

    /// `bytes` with the JSON header replaced by `transform` of it (data section kept, checksum not redone).
    static func rewritingHeader(_ bytes: [UInt8], _ transform: (inout [String: JSONValue]) -> Void) -> [UInt8] {
        let count = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        guard case .object(var header) = try! bytes[8..<(8 + count)].withUnsafeBytes({ try JSONValue.parse($0) }) else {
            fatalError("the shared checkpoint's header is not an object")
        }
        transform(&header)
        return CheckpointBytes.withHeader(Array(JSONValue.object(header).encoded.utf8), data: Array(bytes[(8 + count)...]))
    }

    /// The shared checkpoint with its metadata changed by `transform` and re-encoded (so the checksum is valid).
    private func withMetadata(_ transform: (inout [String: String]) -> Void) -> [UInt8] {
        var file = try! SafeTensors.decode(SharedRun.files.latest)
        transform(&file.metadata)
        return file.encoded()
    }

    private var good: [UInt8] { SharedRun.files.latest }

    @Test func missingEmptyAndTruncated() {
        expectRefused(nil, code: 66, mentions: ["model.safetensors", "no such"])
        expectRefused([], mentions: ["is empty"])
        expectRefused(Array(good.prefix(5)), mentions: ["too short"])
        expectRefused(Array(good.prefix(1000)), mentions: ["header length", "truncated"])
        let headerCount = Int(good[0]) | Int(good[1]) << 8 | Int(good[2]) << 16
        expectRefused(Array(good.prefix(8 + headerCount + 100)), mentions: ["model.safetensors"])
        expectRefused(Array(good.dropLast(4)), mentions: ["model.safetensors"])
    }

    @Test func headerLengthLargerThanTheFile() {
        var bytes = good
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
        expectRefused(bytes, mentions: ["header length \(bytes.count)", "larger than the rest of the file"])
        withUnsafeBytes(of: UInt64.max.littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
        expectRefused(bytes, mentions: ["header length"])
    }

    @Test func malformedJSONHeader() {
        var bytes = good
        bytes[8] = UInt8(ascii: "[")
        expectRefused(bytes, mentions: ["header"])
        bytes = good
        // Cut the header's closing brace: replace it (and the padding) with spaces.
        let headerCount = Int(good[0]) | Int(good[1]) << 8 | Int(good[2]) << 16
        if let close = bytes[8..<(8 + headerCount)].lastIndex(of: UInt8(ascii: "}")) { bytes[close] = UInt8(ascii: " ") }
        expectRefused(bytes, mentions: ["header is not valid"])
    }

    @Test func wrongShapesAndOffsets() {
        // Swap the dimensions of a weight matrix: same byte count, wrong shape. The checksum is recomputed.
        var file = try! SafeTensors.decode(good)
        let name = "lstm.weight_hh_l0"
        let t = file.tensors[name]!
        file.tensors[name] = .init(shape: [t.shape[1], t.shape[0]], values: t.values)
        expectRefused(file.encoded(), mentions: [name, "shape [16, 64]", "expected [64, 16]"])
        // A tensor missing altogether.
        file = try! SafeTensors.decode(good)
        file.tensors["decoder.bias"] = nil
        expectRefused(file.encoded(), mentions: ["decoder.bias", "missing"])
        // Offsets beyond the end of the file.
        let outside = Self.rewritingHeader(good) { header in
            guard case .object(var entry)? = header["decoder.bias"] else { return }
            entry["data_offsets"] = .array([.int(1_000_000), .int(1_000_000 + 4 * 30)])
            header["decoder.bias"] = .object(entry)
        }
        expectRefused(outside, mentions: ["decoder.bias", "outside the data section"])
    }

    @Test func flippedDataByteFailsTheChecksum() {
        var bytes = good
        bytes[bytes.count - 7] ^= 0x10
        expectRefused(bytes, mentions: ["damaged", "checksum"])
    }

    @Test func vocabularyMissingOrInconsistent() {
        expectRefused(withMetadata { $0["vocabulary"] = nil }, mentions: ["vocabulary"])
        expectRefused(withMetadata { $0["vocabulary"] = "not json" }, mentions: ["vocabulary"])
        expectRefused(withMetadata { $0["vocabulary"] = "[\"ab\"]" }, mentions: ["one character"])
        expectRefused(withMetadata { $0["vocabulary"] = "[\"b\", \"a\"]" }, mentions: ["ascending"])
        // One character fewer than config.vocab_size.
        let vocabulary = SharedRun.latest.vocabulary.scalars
        let shorter = JSONValue.array(vocabulary.dropLast().map { .string(String($0)) }).encoded
        expectRefused(withMetadata { $0["vocabulary"] = shorter },
                      mentions: ["\(vocabulary.count - 1) characters", "vocab_size is \(vocabulary.count)"])
        // Vocabulary and vocab_size agree with each other but not with the tensors' shapes.
        expectRefused(withMetadata { meta in
            meta["vocabulary"] = shorter
            meta["config"] = meta["config"]!.replacingOccurrences(of: "\"vocab_size\":\(vocabulary.count)",
                                                                   with: "\"vocab_size\":\(vocabulary.count - 1)")
        }, mentions: ["shape", "expected"])
    }

    @Test func newerFormatVersion() {
        expectRefused(withMetadata { $0["format_version"] = "2" }, mentions: ["newer", "format version 2"])
        expectRefused(withMetadata { $0["format_version"] = "one" }, mentions: ["format_version"])
    }

    @Test func foreignSafeTensorsFiles() {
        // Valid safetensors with a checksum but without our metadata.
        let foreign = SafeTensors(tensors: ["weight": .init(shape: [2, 2], values: [1, 2, 3, 4])]).encoded()
        expectRefused(foreign, mentions: ["not a CharLSTM checkpoint"])
        // Valid safetensors as other tools write them: no metadata at all.
        let header = Array("{\"weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}".utf8)
        expectRefused(CheckpointBytes.withHeader(header, data: Array(repeating: 0, count: 8)), mentions: ["not a CharLSTM checkpoint"])
        // Other dtypes are not ours either.
        let f16 = Array("{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}".utf8)
        expectRefused(CheckpointBytes.withHeader(f16, data: [0, 0, 0, 0]), mentions: ["F16"])
    }

    @Test func folderWithoutCheckpoint() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(SharedRun.files.corpus, in: folder)
        for arguments in commands(folder.path, corpus: corpus) {
            Tool.expectFailure(arguments, code: 66, mentions: ["holds no checkpoint"])
        }
    }
}
