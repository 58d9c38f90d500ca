import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// A small valid file: two tensors (one empty), metadata with characters JSON must escape.
func sampleSafeTensors() -> SafeTensors {
    SafeTensors(
        tensors: [
            "lstm.weight_ih_l0": .init(shape: [2, 3], values: [1, -2, 0.5, .pi, -0.0, .greatestFiniteMagnitude]),
            "decoder.bias": .init(shape: [3], values: [0.25, .nan, -.infinity]),
            "empty": .init(shape: [0, 4], values: []),
            "scalar é\"": .init(shape: [], values: [7]),
        ],
        metadata: ["format": "charlstm", "vocabulary": #"["\n","\"","é","😀"]"#, "blank": ""])
}

/// The bytes of a file with header text `header` (unpadded) and data section `data`; `CRC` in the header is
/// replaced by the data's checksum label.
func rawFile(_ header: String, _ data: [UInt8] = []) -> [UInt8] {
    let text = Array(header.replacingOccurrences(of: "CRC", with: CRC32.label(CRC32.checksum(data))).utf8)
    return withUnsafeBytes(of: UInt64(text.count).littleEndian, Array.init) + text + data
}

@Suite struct SafeTensorsTests {
    @Test func roundTripsTensorsAndMetadata() throws {
        let original = sampleSafeTensors()
        let decoded = try SafeTensors.decode(original.encoded())
        #expect(decoded.tensors == original.tensors)
        var expectedMetadata = original.metadata
        expectedMetadata["checksum"] = decoded.metadata["checksum"]
        #expect(decoded.metadata == expectedMetadata)
        #expect(decoded.encoded() == original.encoded())
    }

    @Test func laysOutTheFileAsSpecified() throws {
        let bytes = sampleSafeTensors().encoded()
        let headerCount = Int(bytes[..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerCount % 8 == 0)
        let header = try bytes.withUnsafeBytes { try JSONValue.parse(UnsafeRawBufferPointer(rebasing: $0[8..<(8 + headerCount)])) }
        guard case .object(let entries) = header else { Issue.record("header is not an object"); return }
        let data = Array(bytes[(8 + headerCount)...])
        if case .object(let meta) = entries["__metadata__"] {
            #expect(meta["checksum"] == .string(CRC32.label(CRC32.checksum(data))))
        } else {
            Issue.record("no metadata")
        }
        // Contiguous, in sorted-name order, F32 little-endian.
        var position = 0
        for name in ["decoder.bias", "empty", "lstm.weight_ih_l0", "scalar é\""] {
            guard case .object(let entry) = entries[name], case .array(let offsets) = entry["data_offsets"] else {
                Issue.record("no entry \(name)"); continue
            }
            #expect(entry["dtype"] == .string("F32"))
            #expect(offsets.map(\.intValue) == [position, position + 4 * sampleSafeTensors().tensors[name]!.values.count])
            position = offsets[1].intValue ?? 0
        }
        #expect(position == data.count)
        #expect(Array(data[0..<4]) == [0x00, 0x00, 0x80, 0x3E])  // 0.25
    }

    @Test func readsFilesWithoutChecksumWhenAskedTo() throws {
        let bytes = rawFile(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0x80, 0x3F])
        #expect(try SafeTensors.decode(bytes, verifyChecksum: false).tensors["x"] == .init(shape: [1], values: [1]))
        #expect(throws: CharLSTMError.invalidData("no checksum in the metadata: not a CharLSTM checkpoint")) {
            try SafeTensors.decode(bytes)
        }
    }

    @Test func rejectsADamagedDataSection() throws {
        var bytes = sampleSafeTensors().encoded()
        bytes[bytes.count - 3] ^= 0x10
        let error = #expect(throws: CharLSTMError.self) { try SafeTensors.decode(bytes) }
        #expect(error?.kind == .invalidData)
        #expect(error?.message.contains("the file is damaged") == true)
        _ = try SafeTensors.decode(bytes, verifyChecksum: false)
    }

    static let entry = #""dtype":"F32","shape":[2],"data_offsets":[0,8]"#
    static let eight = [UInt8](repeating: 0, count: 8)

    /// Malformed files and a fragment of the error each must produce.
    static let malformed: [(String, [UInt8], String)] = [
        ("empty", [], "the file is empty"),
        ("short", [1, 0, 0], "too short (3 bytes)"),
        ("absurd header length", [0, 0, 0, 0, 0, 1, 0, 0] + eight, "is absurd"),
        ("header past the end", [100, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "larger than the rest of the file"),
        ("tiny header", [0, 0, 0, 0, 0, 0, 0, 0], "too small"),
        ("non-UTF-8 header", [3, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0x7D], "not valid UTF-8"),
        ("malformed JSON", rawFile(#"{"a":"#), "malformed JSON"),
        ("trailing text", rawFile(#"{} x"#), "unexpected text after"),
        ("duplicate key", rawFile(#"{"a":{},"a":{}}"#), "duplicate key"),
        ("header not an object", rawFile("[]"), "the header is not a JSON object"),
        ("entry not an object", rawFile(#"{"w":3}"#), "tensor 'w': header entry is not a JSON object"),
        ("missing dtype", rawFile(#"{"w":{"shape":[2],"data_offsets":[0,8]}}"#, eight), "tensor 'w': missing dtype"),
        ("missing shape", rawFile(#"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#, eight), "missing shape"),
        ("missing offsets", rawFile(#"{"w":{"dtype":"F32","shape":[2]}}"#, eight), "missing data_offsets"),
        ("dtype not a string", rawFile(#"{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}"#, eight), "dtype is not a string"),
        ("other dtype", rawFile(#"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, eight), "dtype F16 is not supported"),
        ("unknown field", rawFile(#"{"w":{"#+entry+#","x":1}}"#, eight), "unknown field 'x'"),
        ("shape not an array", rawFile(#"{"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}"#, eight), "shape is not an array"),
        ("negative shape", rawFile(#"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, eight), "not a non-negative integer"),
        ("fractional shape", rawFile(#"{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, eight), "not a non-negative integer"),
        ("overflowing shape", rawFile(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, eight), "too many elements"),
        ("overflowing bytes", rawFile(#"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}}"#, eight), "too many elements"),
        ("huge integer", rawFile(#"{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}"#, eight), "not a non-negative integer"),
        ("offsets not a pair", rawFile(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, eight), "not a pair of integers"),
        ("offsets past the data", rawFile(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, eight), "outside the data section"),
        ("offsets reversed", rawFile(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, eight), "outside the data section"),
        ("negative offset", rawFile(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, eight), "outside the data section"),
        ("offsets not matching shape", rawFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, eight), "span 8 bytes but shape [1] needs 4"),
        ("overlap", rawFile(#"{"a":{"#+entry+#"},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, eight), "overlaps another tensor"),
        ("gap", rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, eight), "gap before tensor 'a'"),
        ("trailing data", rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, eight), "4 bytes after the last tensor"),
        ("metadata not an object", rawFile(#"{"__metadata__":[]}"#), "__metadata__ is not a JSON object"),
        ("metadata not strings", rawFile(#"{"__metadata__":{"checksum":"CRC","step":12}}"#), "metadata value for key 'step' is not a string"),
        ("checksum missing", rawFile(#"{"__metadata__":{"format":"charlstm"},"w":{"#+entry+#"}}"#, eight), "not a CharLSTM checkpoint"),
        ("checksum wrong", rawFile(#"{"__metadata__":{"checksum":"crc32:00000000"},"w":{"#+entry+#"}}"#, eight), "the file is damaged"),
    ]

    @Test(arguments: malformed)
    func rejectsMalformedFiles(_ name: String, _ bytes: [UInt8], _ expected: String) {
        let error = #expect(throws: CharLSTMError.self, "\(name)") { try SafeTensors.decode(bytes) }
        #expect(error?.kind == .invalidData, "\(name)")
        #expect(error?.message.contains(expected) == true, "\(name): \(error?.message ?? "")")
    }

    @Test func acceptsAValidHandWrittenFile() throws {
        let file = try SafeTensors.decode(rawFile(#"{"__metadata__":{"checksum":"CRC"},"w":{"#+Self.entry+#"}}"#, Self.eight))
        #expect(file.tensors["w"] == .init(shape: [2], values: [0, 0]))
    }

    @Test func savesAndLoadsThroughAFile() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/model.safetensors"
        try sampleSafeTensors().save(to: path)
        #expect(try SafeTensors.load(path: path).tensors == sampleSafeTensors().tensors)
        #expect(folder.names == ["model.safetensors"])
        folder.file("bad.safetensors", [1, 2, 3])
        #expect(throws: CharLSTMError.invalidData("'\(folder.path)/bad.safetensors': the file is too short (3 bytes) "
            + "to be a safetensors checkpoint")) { try SafeTensors.load(path: folder.path + "/bad.safetensors") }
    }
}
