/// A safetensors file held in memory: named F32 tensors plus string metadata.
///
/// Layout (the format of Hugging Face `safetensors`, restricted to `F32`):
///
///     [8 bytes: header length N, UInt64 little-endian]
///     [N bytes: JSON header, padded with spaces to a multiple of 8]
///     [data section: the tensors' little-endian Float32 values, back to back]
///
/// The header maps each tensor name to `{"dtype":"F32","shape":[...],"data_offsets":[begin,end]}` (offsets
/// relative to the data section) and `__metadata__` to a string → string object. ``encoded()`` lays the tensors
/// out in ascending name order with no gaps and stores the CRC-32 of the data section under the metadata key
/// `checksum` (`"crc32:xxxxxxxx"`); ``decode(_:verifyChecksum:)`` checks all of it and throws one clear
/// `CharLSTMError(.invalidData, ...)` for any malformed input, never trapping.
public struct SafeTensors: Equatable, Sendable {
    /// One tensor: its shape and its values in row-major order.
    public struct Tensor: Equatable, Sendable {
        public let shape: [Int]
        public let values: [Float]

        /// A tensor; `values.count` must equal the product of `shape` (all dimensions non-negative).
        public init(shape: [Int], values: [Float]) {
            precondition(Tensor.elementCount(shape) == values.count,
                         "tensor shape \(shape) does not hold \(values.count) values")
            self.shape = shape
            self.values = values
        }

        /// The product of the dimensions; `nil` when one is negative or the product overflows `Int`.
        public static func elementCount(_ shape: [Int]) -> Int? {
            var count = 1
            for d in shape {
                guard d >= 0 else { return nil }
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { return nil }
                count = product
            }
            return count
        }

        /// Tensors compare bit for bit, so NaNs with equal payloads are equal and 0 differs from -0.
        public static func == (a: Tensor, b: Tensor) -> Bool {
            a.shape == b.shape && a.values.elementsEqual(b.values) { $0.bitPattern == $1.bitPattern }
        }
    }

    /// The metadata key holding the CRC-32 of the data section.
    public static let checksumKey = "checksum"
    /// The largest header accepted, as in the reference implementation (100 MB).
    public static let maximumHeaderLength = 100_000_000

    public var tensors: [String: Tensor]
    /// String metadata. ``encoded()`` overwrites the `checksum` key; ``decode(_:verifyChecksum:)`` fills it in.
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Tensor names in layout order: ascending Unicode scalar (= UTF-8 byte) order.
    public var sortedNames: [String] { tensors.keys.sorted(by: JSONValue.scalarOrder) }

    // MARK: Encoding

    /// The file's bytes, with the data section's checksum written into the metadata.
    public func encoded() -> [UInt8] {
        precondition(tensors["__metadata__"] == nil, "'__metadata__' is reserved and cannot name a tensor")
        let names = sortedNames
        var offsets: [(Int, Int)] = []
        var dataCount = 0
        for name in names {
            let byteCount = tensors[name]!.values.count * 4
            offsets.append((dataCount, dataCount + byteCount))
            dataCount += byteCount
        }
        // The checksum label has a fixed width, so the header length is known before the data is written.
        let placeholder = header(names: names, offsets: offsets, checksum: CRC32.label(0))
        let headerCount = placeholder.count
        var bytes = [UInt8](repeating: 0, count: 8 + headerCount + dataCount)
        bytes.withUnsafeMutableBytes { out in
            out.storeBytes(of: UInt64(headerCount).littleEndian, as: UInt64.self)
            var at = 8 + headerCount
            for name in names {
                for value in tensors[name]!.values {
                    out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: at, as: UInt32.self)
                    at += 4
                }
            }
            let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: out[(8 + headerCount)...]))
            let final = header(names: names, offsets: offsets, checksum: CRC32.label(crc))
            precondition(final.count == headerCount)
            out.baseAddress!.advanced(by: 8).copyMemory(from: final, byteCount: headerCount)
        }
        return bytes
    }

    /// The JSON header, padded with spaces to a multiple of 8 bytes.
    private func header(names: [String], offsets: [(Int, Int)], checksum: String) -> [UInt8] {
        var meta = metadata
        meta[Self.checksumKey] = checksum
        var object: [String: JSONValue] = ["__metadata__": .object(meta.mapValues { .string($0) })]
        for (name, (begin, end)) in zip(names, offsets) {
            object[name] = .object([
                "dtype": .string("F32"),
                "shape": .array(tensors[name]!.shape.map { .int($0) }),
                "data_offsets": .array([.int(begin), .int(end)]),
            ])
        }
        var text = Array(JSONValue.object(object).encoded.utf8)
        text.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - text.count % 8) % 8))
        return text
    }

    // MARK: Decoding

    /// Decodes a file's bytes. With `verifyChecksum` the metadata must carry a `checksum` matching the data.
    public static func decode(_ bytes: [UInt8], verifyChecksum: Bool = true) throws -> SafeTensors {
        try bytes.withUnsafeBytes { try decode($0, verifyChecksum: verifyChecksum) }
    }

    /// Decodes a file's bytes. With `verifyChecksum` the metadata must carry a `checksum` matching the data.
    public static func decode(_ bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws -> SafeTensors {
        func invalid(_ message: String) -> CharLSTMError { .invalidData(message) }
        guard bytes.count > 0 else { throw invalid("the file is empty, not a safetensors checkpoint") }
        guard bytes.count >= 8 else {
            throw invalid("the file is too short (\(bytes.count) bytes) to be a safetensors checkpoint")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(maximumHeaderLength) else {
            throw invalid("header length \(declared) is absurd (more than \(maximumHeaderLength) bytes); "
                + "not a safetensors checkpoint")
        }
        let headerCount = Int(declared)
        guard headerCount <= bytes.count - 8 else {
            throw invalid("header length \(headerCount) is larger than the rest of the file "
                + "(\(bytes.count - 8) bytes); the file is truncated or not a safetensors checkpoint")
        }
        guard headerCount >= 2 else { throw invalid("header length \(headerCount) is too small for a JSON header") }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerCount)])
        let data = UnsafeRawBufferPointer(rebasing: bytes[(8 + headerCount)...])

        let json: JSONValue
        do {
            json = try JSONValue.parse(headerBytes)
        } catch let error as CharLSTMError {
            throw invalid("the header is not valid: \(error.message)")
        }
        guard case .object(let entries) = json else { throw invalid("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        var layout: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, entry) in entries {
            if name == "__metadata__" {
                guard case .object(let members) = entry else { throw invalid("__metadata__ is not a JSON object") }
                for (key, value) in members {
                    guard case .string(let s) = value else {
                        throw invalid("metadata value for key '\(key)' is not a string")
                    }
                    metadata[key] = s
                }
                continue
            }
            let (shape, begin, end) = try tensorEntry(name: name, entry, dataCount: data.count)
            layout.append((name, shape, begin, end))
        }

        // No overlaps, no gaps, nothing after the last tensor.
        layout.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for item in layout {
            if item.begin < expected {
                throw invalid("tensor '\(item.name)' at bytes \(item.begin)..<\(item.end) overlaps another tensor")
            }
            if item.begin > expected {
                throw invalid("gap before tensor '\(item.name)': data bytes \(expected)..<\(item.begin) are unused")
            }
            expected = item.end
        }
        guard expected == data.count else {
            throw invalid("the data section has \(data.count - expected) bytes after the last tensor")
        }

        if verifyChecksum {
            guard let stored = metadata[checksumKey] else {
                throw invalid("no checksum in the metadata: not a CharLSTM checkpoint")
            }
            let computed = CRC32.label(CRC32.checksum(data))
            guard stored == computed else {
                throw invalid("the file is damaged: its data checksum is \(computed) but the header says \(stored)")
            }
        }

        var tensors: [String: Tensor] = [:]
        for item in layout {
            let count = (item.end - item.begin) / 4
            let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    let bits = data.loadUnaligned(fromByteOffset: item.begin + 4 * i, as: UInt32.self)
                    out[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
                initialized = count
            }
            tensors[item.name] = Tensor(shape: item.shape, values: values)
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Checks one tensor entry of the header and returns its shape and data byte range.
    private static func tensorEntry(name: String, _ entry: JSONValue,
                                    dataCount: Int) throws -> (shape: [Int], begin: Int, end: Int) {
        func invalid(_ message: String) -> CharLSTMError { .invalidData("tensor '\(name)': \(message)") }
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
            guard let d = dim.intValue, d >= 0 else { throw invalid("shape \(shapeValue.encoded) has a dimension "
                + "that is not a non-negative integer") }
            shape.append(d)
        }
        guard let count = Tensor.elementCount(shape) else {
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
        return (shape, begin, end)
    }
}

extension SafeTensors {
    /// Reads and decodes the file at `path`; decoding errors are prefixed with the path.
    public static func load(path: String, verifyChecksum: Bool = true) throws -> SafeTensors {
        let bytes = try AtomicFile.readFile(path)
        do {
            return try decode(bytes, verifyChecksum: verifyChecksum)
        } catch let error as CharLSTMError {
            throw CharLSTMError(error.kind, "'\(path)': \(error.message)")
        }
    }

    /// Encodes and writes the file crash-safely with ``AtomicFile/write(_:to:fileSystem:)``.
    public func save(to path: String, fileSystem: some FileSystem = POSIXFileSystem()) throws {
        try AtomicFile.write(encoded(), to: path, fileSystem: fileSystem)
    }
}
