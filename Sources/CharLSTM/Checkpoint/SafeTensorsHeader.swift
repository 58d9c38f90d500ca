/// The JSON header of a safetensors file: string metadata and, for each tensor, its shape and byte range in
/// the data section. Parsing checks all of it, entry by entry, before any tensor data is read.
struct SafeTensorsHeader {
    /// One tensor's place in the data section (offsets relative to its start; `F32`, so 4 bytes a value).
    struct Entry: Equatable {
        let name: String
        let shape: [Int]
        let begin: Int
        let end: Int

        var valueCount: Int { (end - begin) / 4 }
    }

    /// The most tensors a header may list. A CharLSTM checkpoint has at most a few hundred; the bound keeps
    /// what a hostile header makes the reader hold small.
    static let maximumTensorCount = 65_536

    let metadata: [String: String]
    /// In data order: ascending offsets, back to back from 0 to the end of the data section.
    let entries: [Entry]
    /// The position of each tensor in ``entries``, by name.
    let positions: [String: Int]

    /// Parses and checks header text for a data section of `dataCount` bytes. Throws `.invalidData` for
    /// malformed JSON (these first), a malformed entry or metadata value, more than ``maximumTensorCount``
    /// tensors, overlapping tensors, gaps, and bytes after the last tensor.
    init(parsing bytes: [UInt8], dataCount: Int) throws(CharLSTMError) {
        func invalid(_ message: CharLSTMError.Message) -> CharLSTMError { .invalidData(message) }
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        // Problems inside well-formed JSON are reported after the whole text is known to be JSON.
        var firstProblem: CharLSTMError? = nil
        let isObject: Bool
        do {
            isObject = try bytes.withUnsafeBytes { text in try JSONValue.parseObjectMembers(text) { name, value in
                guard firstProblem == nil else { return }
                if name != "__metadata__" && entries.count == Self.maximumTensorCount { throw TooManyTensors() }
                do throws(CharLSTMError) {
                    if name == "__metadata__" {
                        metadata = try Self.metadata(value)
                    } else {
                        entries.append(try Self.entry(name: name, value, dataCount: dataCount))
                    }
                } catch {
                    firstProblem = error
                }
            } }
        } catch is TooManyTensors {
            throw invalid("the header lists more than \(Self.maximumTensorCount) tensors: not a CharLSTM checkpoint")
        } catch let error as CharLSTMError {
            throw invalid("the header is not valid: \(error.message)")
        } catch {
            throw invalid("the header is not valid: \(error)")
        }
        guard isObject else { throw invalid("the header is not a JSON object") }
        if let firstProblem { throw firstProblem }

        // No overlaps, no gaps, nothing after the last tensor.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for item in entries {
            if item.begin < expected {
                throw invalid("tensor '\(item.name)' at bytes \(item.begin)..<\(item.end) overlaps another tensor")
            }
            if item.begin > expected {
                throw invalid("gap before tensor '\(item.name)': data bytes \(expected)..<\(item.begin) are unused")
            }
            expected = item.end
        }
        guard expected == dataCount else {
            throw invalid("the data section has \(dataCount - expected) bytes after the last tensor")
        }
        self.metadata = metadata
        self.entries = entries
        positions = Dictionary(uniqueKeysWithValues: entries.indices.map { (entries[$0].name, $0) })
    }

    /// Thrown from inside the parse to stop it at the tensor bound.
    private struct TooManyTensors: Error {}

    /// The `__metadata__` object: strings only.
    private static func metadata(_ value: JSONValue) throws(CharLSTMError) -> [String: String] {
        guard case .object(let members) = value else { throw .invalidData("__metadata__ is not a JSON object") }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let s) = value else {
                throw .invalidData("metadata value for key '\(key)' is not a string")
            }
            metadata[key] = s
        }
        return metadata
    }

    /// Checks one tensor entry and returns its shape and data byte range.
    private static func entry(name: String, _ entry: JSONValue, dataCount: Int) throws(CharLSTMError) -> Entry {
        func invalid(_ message: CharLSTMError.Message) -> CharLSTMError { .invalidData("tensor '\(name)': \(message)") }
        guard case .object(let fields) = entry else { throw invalid("header entry is not a JSON object") }
        for key in fields.keys where !["dtype", "shape", "data_offsets"].contains(key) {
            throw invalid("unknown field '\(key)'")
        }
        guard let dtypeValue = fields["dtype"] else { throw invalid("missing dtype") }
        guard case .string(let dtype) = dtypeValue else { throw invalid("dtype is not a string") }
        guard dtype == "F32" else { throw invalid("dtype \(dtype) is not supported; only F32 is") }

        guard let shapeValue = fields["shape"] else { throw invalid("missing shape") }
        guard case .array(let dims) = shapeValue else { throw invalid("shape is not an array") }
        var shape: [Int] = []
        for dim in dims {
            guard let d = dim.intValue, d >= 0 else {
                throw invalid("shape \(shapeValue.encoded) has a dimension that is not a non-negative integer")
            }
            shape.append(d)
        }
        guard let count = SafeTensors.Tensor.elementCount(shape) else {
            throw invalid("shape \(shapeValue.encoded) has too many elements")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow else { throw invalid("shape \(shapeValue.encoded) has too many elements") }

        guard let offsetsValue = fields["data_offsets"] else { throw invalid("missing data_offsets") }
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw invalid("data_offsets \(offsetsValue.encoded) is not a pair of integers")
        }
        guard begin >= 0, begin <= end, end <= dataCount else {
            throw invalid("data_offsets [\(begin), \(end)] lie outside the data section (\(dataCount) bytes)")
        }
        guard end - begin == byteCount else {
            throw invalid("data_offsets [\(begin), \(end)] span \(end - begin) bytes but shape \(shape) needs "
                + "\(byteCount)")
        }
        return Entry(name: name, shape: shape, begin: begin, end: end)
    }

    /// The header text for `entries` and `metadata`, padded with spaces to a multiple of 8 bytes: a JSON
    /// object with sorted keys, as ``SafeTensors`` has always written it.
    static func encode(metadata: [String: String], entries: [Entry]) -> [UInt8] {
        var object: [String: JSONValue] = ["__metadata__": .object(metadata.mapValues { .string($0) })]
        for e in entries {
            object[e.name] = .object([
                "dtype": .string("F32"),
                "shape": .array(e.shape.map { .int($0) }),
                "data_offsets": .array([.int(e.begin), .int(e.end)]),
            ])
        }
        var text = Array(JSONValue.object(object).encoded.utf8)
        text.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - text.count % 8) % 8))
        return text
    }
}
