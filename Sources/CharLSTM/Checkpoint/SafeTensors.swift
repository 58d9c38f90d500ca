import CharLSTMKernels

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
struct SafeTensors: Equatable, Sendable {
    /// One tensor: its shape and its values in row-major order.
    struct Tensor: Equatable, Sendable {
        let shape: [Int]
        let values: [Float]

        /// A tensor; `values.count` must equal the product of `shape` (all dimensions non-negative).
        init(shape: [Int], values: [Float]) {
            precondition(Tensor.elementCount(shape) == values.count,
                         "tensor shape \(shape) does not hold \(values.count) values")
            self.shape = shape
            self.values = values
        }

        /// The product of the dimensions; `nil` when one is negative or the product overflows `Int`.
        static func elementCount(_ shape: [Int]) -> Int? {
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
        static func == (a: Tensor, b: Tensor) -> Bool {
            a.shape == b.shape && a.values.elementsEqual(b.values) { $0.bitPattern == $1.bitPattern }
        }
    }

    /// The metadata key holding the CRC-32 of the data section.
    static let checksumKey = "checksum"
    /// The largest header accepted, as in the reference implementation (100 MB).
    static let maximumHeaderLength = 100_000_000

    var tensors: [String: Tensor]
    /// String metadata. ``encoded()`` overwrites the `checksum` key; ``decode(_:verifyChecksum:)`` fills it in.
    var metadata: [String: String]

    init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Tensor names in layout order: ascending Unicode scalar (= UTF-8 byte) order.
    var sortedNames: [String] { tensors.keys.sorted(by: JSONValue.scalarOrder) }

    // MARK: Encoding

    /// The tensors as the writer takes them (sharing the arrays).
    private var writerTensors: [SafeTensorsWriter.Tensor] {
        tensors.map { .init(name: $0.key, shape: $0.value.shape, values: .array($0.value.values)) }
    }

    /// The file's bytes, with the data section's checksum written into the metadata.
    func encoded() -> [UInt8] {
        let writer = SafeTensorsWriter(tensors: writerTensors, metadata: metadata)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(writer.byteCount)
        writer.write { bytes.append(contentsOf: $0) }
        return bytes
    }

    // MARK: Decoding

    /// Decodes a file's bytes. With `verifyChecksum` the metadata must carry a `checksum` matching the data.
    static func decode(_ bytes: [UInt8], verifyChecksum: Bool = true) throws -> SafeTensors {
        try bytes.withUnsafeBytes { try decode($0, verifyChecksum: verifyChecksum) }
    }

    /// Decodes a file's bytes. With `verifyChecksum` the metadata must carry a `checksum` matching the data.
    /// Throws one clear `CharLSTMError(.invalidData, ...)` for any malformed input, never trapping.
    static func decode(_ bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws -> SafeTensors {
        try SafeTensors(reading: SafeTensorsReader(source: MemoryBytes(bytes: bytes), verifyChecksum: verifyChecksum))
    }

    /// Every tensor of `reader`, copied into arrays: for small files and tests (a checkpoint is read straight
    /// into its own buffers instead). The data section holds the tensors back to back from offset 0, each a
    /// whole number of floats, so one buffer takes it all.
    init(reading reader: SafeTensorsReader) throws(CharLSTMError) {
        let entries = reader.header.entries
        let all = FloatBuffer(count: (entries.last?.end ?? 0) / 4)
        var destinations: [String: UnsafeMutableBufferPointer<Float>] = [:]
        for e in entries { destinations[e.name] = .init(start: all.pointer + e.begin / 4, count: e.valueCount) }
        try reader.readTensors(into: destinations)
        var tensors: [String: Tensor] = [:]
        for e in entries {
            tensors[e.name] = Tensor(shape: e.shape, values: Array(UnsafeBufferPointer(destinations[e.name]!)))
        }
        self.init(tensors: tensors, metadata: reader.metadata)
    }
}

extension SafeTensors: TensorSource {
    func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    func readTensors(into destinations: [String: UnsafeMutableBufferPointer<Float>]) throws(CharLSTMError) {
        for (name, buffer) in destinations {
            let values = tensors[name]?.values ?? []
            precondition(values.count == buffer.count, "no tensor '\(name)' of \(buffer.count) values to read")
            _ = buffer.update(fromContentsOf: values)
        }
    }
}

extension SafeTensors {
    /// Reads and decodes the file at `path` (header first, see ``SafeTensorsReader``); errors in its content
    /// are prefixed with the path.
    static func load(path: String, verifyChecksum: Bool = true) throws -> SafeTensors {
        let reader = try SafeTensorsReader(path: path, verifyChecksum: verifyChecksum)
        do {
            return try SafeTensors(reading: reader)
        } catch {
            throw error.prefixed("'\(path)': ")
        }
    }

    /// Writes the file crash-safely (to a temporary file, synced, then renamed over `path`), without an image of it.
    func save(to path: String) throws {
        try save(to: path, fileSystem: POSIXFileSystem())
    }

    /// ``save(to:)`` through `fileSystem` (tests inject faults there).
    package func save(to path: String, fileSystem: some FileSystem) throws {
        let writer = SafeTensorsWriter(tensors: writerTensors, metadata: metadata)
        try AtomicFile.write(to: path, fileSystem: fileSystem) { output in try writer.write(to: output) }
    }
}
