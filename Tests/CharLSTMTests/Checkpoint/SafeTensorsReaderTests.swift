import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Bytes in memory that record every read, to show what a reader looked at.
final class CountingBytes: ByteSource, @unchecked Sendable {
    let bytes: [UInt8]
    private(set) var reads: [Range<Int>] = []

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(CharLSTMError) {
        reads.append(offset..<(offset + buffer.count))
        guard offset >= 0, offset + buffer.count <= bytes.count else { throw CharLSTMError.io("read past the end") }
        copy(into: buffer, from: offset)
    }

    private func copy(into buffer: UnsafeMutableRawBufferPointer, from offset: Int) {
        bytes.withUnsafeBytes { all in
            if buffer.count > 0 { buffer.baseAddress!.copyMemory(from: all.baseAddress! + offset, byteCount: buffer.count) }
        }
    }

    /// How many bytes were read at or after `offset`.
    func bytesRead(from offset: Int) -> Int { reads.reduce(0) { $0 + max(0, $1.upperBound - max($1.lowerBound, offset)) } }
}

/// The header is read and checked in full before any tensor data; the data is read once, in bounded pieces.
@Suite struct SafeTensorsReaderTests {
    /// The bytes of a file: 8-byte length, `header` padded to 8, then `data`.
    static func file(header: String, data: [UInt8]) -> [UInt8] {
        CheckpointBytes.withHeader(Array(header.utf8), data: data)
    }

    /// The header length of a file's bytes plus 8: where its data section starts.
    static func dataStart(_ bytes: [UInt8]) -> Int {
        8 + Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// Expects `bytes` to fail loading as a checkpoint with a message holding `expected`, having read nothing
    /// of the data section (which starts at `dataStart`).
    private func expectRefusedBeforeData(_ bytes: [UInt8], dataStart: Int, _ expected: String,
                                         sourceLocation: SourceLocation = #_sourceLocation) {
        let source = CountingBytes(bytes)
        let error = #expect(throws: CharLSTMError.self, sourceLocation: sourceLocation) {
            _ = try Checkpoint(reading: SafeTensorsReader(source: source))
        }
        guard let error else { return }
        #expect(error.kind == .invalidData, sourceLocation: sourceLocation)
        #expect(error.message.contains(expected), "\(error.message.prefix(300))", sourceLocation: sourceLocation)
        #expect(source.bytesRead(from: dataStart) == 0, "read \(source.bytesRead(from: dataStart)) data bytes",
                sourceLocation: sourceLocation)
    }

    @Test func aHugeClaimedHeaderLengthIsRefusedAfterEightBytes() {
        for claimed: UInt64 in [1 << 40, UInt64(SafeTensors.maximumHeaderLength) + 1, 50_000_000, .max] {
            let bytes = withUnsafeBytes(of: claimed.littleEndian, Array.init) + Array(repeating: 0x7B, count: 1000)
            let source = CountingBytes(bytes)
            let error = #expect(throws: CharLSTMError.self) { _ = try SafeTensorsReader(source: source) }
            #expect(error?.message.contains("header length") == true, "\(error?.message ?? "")")
            #expect(source.reads == [0..<8])
        }
    }

    @Test func aTextFileIsNamedAsSuch() throws {
        let folder = TemporaryFolder()
        let path = TestCorpus.write(TestCorpus.english(), in: folder)
        let error = #expect(throws: CharLSTMError.self) { _ = try Checkpoint.load(path: path) }
        #expect(error?.message == "'\(path)': not a safetensors file: it starts with text (\"To be, o\"), not a header length")
    }

    @Test func aHugeHeaderIsRefusedWithoutReadingTheData() {
        // 50 MB of metadata in an otherwise valid CharLSTM checkpoint header.
        var file = try! SafeTensors.decode(SharedRun.files.latest)
        file.metadata["vocabulary"] = String(repeating: "x", count: 50_000_000)
        let big = file.encoded()
        expectRefusedBeforeData(big, dataStart: Self.dataStart(big), "vocabulary")
        // About 50 MB of tensor entries: refused at the tensor bound, while the header is being read.
        var header = "{"
        header.reserveCapacity(52_000_000)
        let count = 800_000
        for i in 0..<count {
            header += "\"tensor.\(i)\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\(4 * i),\(4 * i + 4)]},"
        }
        header += "\"__metadata__\":{\"format\":\"charlstm\"}}"
        #expect(header.utf8.count > 50_000_000)
        let entries = Self.file(header: header, data: Array(repeating: 0, count: 4 * count))
        expectRefusedBeforeData(entries, dataStart: Self.dataStart(entries),
                                "more than \(SafeTensorsHeader.maximumTensorCount) tensors")
    }

    @Test func overlappingTensorsAndOffsetsPastTheEndAreRefusedWithoutReadingTheData() {
        var header = "{"
        for i in 0..<60_000 { header += "\"t\(i)\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," }
        header += "\"__metadata__\":{\"format\":\"charlstm\"}}"
        let overlapping = Self.file(header: header, data: [0, 0, 0, 0])
        expectRefusedBeforeData(overlapping, dataStart: Self.dataStart(overlapping), "overlaps another tensor")

        let past = Self.file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0])
        expectRefusedBeforeData(past, dataStart: Self.dataStart(past), "outside the data section")
        // A foreign but valid file: refused on its metadata, before its data.
        let foreign = SafeTensors(tensors: ["w": .init(shape: [1000], values: Array(repeating: 1, count: 1000))]).encoded()
        expectRefusedBeforeData(foreign, dataStart: Self.dataStart(foreign), "not a CharLSTM checkpoint")
    }

    @Test func aCheckpointIsReadOnceInBoundedPiecesIntoItsBuffers() throws {
        // A checkpoint with more than a megabyte of data, so that pieces matter.
        let (trainer, _) = try CheckpointTests.makeTrainer(cell: .lstm, hidden: 300)
        let checkpoint = CheckpointTests.checkpoint(of: trainer, validationLoss: 2, bestValidationLoss: 1.5, elapsedSeconds: 3)
        let bytes = checkpoint.safeTensors().encoded()
        let dataStart = Self.dataStart(bytes)
        #expect(bytes.count - dataStart > 3 * SafeTensorsReader.pieceBytes)
        let source = CountingBytes(bytes)
        let loaded = try Checkpoint(reading: SafeTensorsReader(source: source))
        #expect(loaded.parameters.array == checkpoint.parameters.array)
        #expect(loaded.training?.optimizer.v.array == checkpoint.training?.optimizer.v.array)
        // The header once, then every data byte exactly once, in order, in pieces of at most a megabyte.
        #expect(source.reads.first == 0..<8 && source.reads.dropFirst().first == 8..<dataStart)
        let dataReads = Array(source.reads.dropFirst(2))
        #expect(dataReads.allSatisfy { $0.count <= SafeTensorsReader.pieceBytes })
        #expect(dataReads.first?.lowerBound == dataStart && dataReads.last?.upperBound == bytes.count)
        #expect(zip(dataReads, dataReads.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }

    @Test func aDamagedDataByteIsFoundAfterTheRead() throws {
        var bytes = SharedRun.files.latest
        bytes[bytes.count - 5] ^= 0x01
        let error = #expect(throws: CharLSTMError.self) { _ = try Checkpoint(reading: SafeTensorsReader(source: CountingBytes(bytes))) }
        #expect(error?.message.contains("the file is damaged") == true)
    }
}
