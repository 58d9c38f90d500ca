/// Named `F32` tensors whose shapes are known before their values are read: a safetensors file read header
/// first (``SafeTensorsReader``), or one held in memory (``SafeTensors``).
protocol TensorSource {
    /// The string metadata.
    var metadata: [String: String] { get }
    /// The shape of the tensor `name`; nil when there is none.
    func shape(of name: String) -> [Int]?
    /// Fills each destination with the values of the tensor it is keyed by; every name must be a tensor of
    /// the source and every buffer exactly as long as the tensor. Throws `.invalidData` (or `.io`) when the
    /// values cannot be read or do not match the checksum.
    func readTensors(into destinations: [String: UnsafeMutableBufferPointer<Float>]) throws(CharLSTMError)
}

/// A safetensors file read header first, in bounded pieces, never whole.
///
/// Opening reads the 8-byte header length and checks it against the file size and
/// ``SafeTensors/maximumHeaderLength`` (a text file given as a checkpoint is named as such), then reads and
/// checks the header: every entry's dtype, shape and byte range, no overlaps, no gaps. Nothing of the data
/// section is read until ``readTensors(into:)``, which reads it once, front to back, in pieces of at most
/// ``pieceBytes`` straight into the destination buffers (tensors nobody asked for pass through one
/// piece-sized buffer), and checks the CRC-32 of all of it against the header's `checksum`. A checkpoint's
/// loading therefore holds its tensors once, plus the header.
package struct SafeTensorsReader: TensorSource {
    /// The most bytes read with one call.
    static let pieceBytes = 1 << 20

    let source: any ByteSource
    let header: SafeTensorsHeader
    /// Where the data section starts in the source: 8 + the header length.
    let dataStart: Int
    /// Whether ``readTensors(into:)`` checks the data against the header's checksum.
    let verifyChecksum: Bool

    package var metadata: [String: String] { header.metadata }

    /// The tensor names, in data order.
    var tensorNames: [String] { header.entries.map(\.name) }

    func shape(of name: String) -> [Int]? { header.positions[name].map { header.entries[$0].shape } }

    /// Opens the regular file at `path` and reads its header. Errors opening the file name it
    /// (``InputFile``); errors in its content are prefixed with `'path': `. A path that is not a symbolic link
    /// when looked at is opened without following links, so that one swapped in meanwhile is refused.
    package init(path: String, verifyChecksum: Bool = true) throws(CharLSTMError) {
        let file = try InputFile(path: path, followingLinks: Files.kind(path, followingLinks: false) == .symbolicLink)
        do {
            try self.init(source: file, verifyChecksum: verifyChecksum)
        } catch {
            throw error.prefixed("'\(path)': ")
        }
    }

    /// Reads and checks the header of `source`. Throws `.invalidData` for anything that is not a well-formed
    /// safetensors header of `F32` tensors.
    init(source: any ByteSource, verifyChecksum: Bool = true) throws(CharLSTMError) {
        func invalid(_ message: CharLSTMError.Message) -> CharLSTMError { .invalidData(message) }
        let count = source.count
        guard count > 0 else { throw invalid("the file is empty, not a safetensors checkpoint") }
        guard count >= 8 else { throw invalid("the file is too short (\(count) bytes) to be a safetensors checkpoint") }
        let lengthBytes = try source.bytes(8, at: 0)
        let declared = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        if declared > UInt64(SafeTensors.maximumHeaderLength) || declared > UInt64(count - 8) {
            // A real header length is below 2^27, so its high bytes are zero; text has none.
            if lengthBytes.allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                let start = String(decoding: lengthBytes, as: UTF8.self)
                throw invalid("not a safetensors file: it starts with text (\(start.debugDescription)), not a header length")
            }
        }
        guard declared <= UInt64(SafeTensors.maximumHeaderLength) else {
            throw invalid("header length \(declared) is absurd (more than \(SafeTensors.maximumHeaderLength) bytes); "
                + "not a safetensors file")
        }
        let headerCount = Int(declared)
        guard headerCount <= count - 8 else {
            throw invalid("header length \(headerCount) is larger than the rest of the file "
                + "(\(count - 8) bytes); the file is truncated or not a safetensors checkpoint")
        }
        guard headerCount >= 2 else { throw invalid("header length \(headerCount) is too small for a JSON header") }
        header = try SafeTensorsHeader(parsing: try source.bytes(headerCount, at: 8), dataCount: count - 8 - headerCount)
        self.source = source
        dataStart = 8 + headerCount
        self.verifyChecksum = verifyChecksum
    }

    func readTensors(into destinations: [String: UnsafeMutableBufferPointer<Float>]) throws(CharLSTMError) {
        var stored: String? = nil
        if verifyChecksum {
            guard let checksum = metadata[SafeTensors.checksumKey] else {
                throw .invalidData("no checksum in the metadata: not a CharLSTM checkpoint")
            }
            stored = checksum
        }
        for (name, buffer) in destinations {
            let entry = header.positions[name].map { header.entries[$0] }
            precondition(entry?.valueCount == buffer.count, "no tensor '\(name)' of \(buffer.count) values to read")
        }
        var crc: UInt32 = 0
        // Tensors nobody asked for pass through this one piece.
        let passing = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pieceBytes, alignment: 16)
        defer { passing.deallocate() }
        for entry in header.entries {
            let byteCount = entry.end - entry.begin
            let destination = destinations[entry.name].map(UnsafeMutableRawBufferPointer.init)
            var done = 0
            while done < byteCount {
                let n = min(Self.pieceBytes, byteCount - done)
                let start = destination == nil ? 0 : done
                let piece = UnsafeMutableRawBufferPointer(rebasing: (destination ?? passing)[start..<(start + n)])
                try source.read(into: piece, at: dataStart + entry.begin + done)
                crc = CRC32.checksum(UnsafeRawBufferPointer(piece), continuing: crc)
                done += n
            }
            #if _endian(big)
            if let values = destinations[entry.name] {
                for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
            }
            #endif
        }
        if let stored {
            let computed = CRC32.label(crc)
            guard stored == computed else {
                throw .invalidData("the file is damaged: its data checksum is \(computed) but the header says \(stored)")
            }
        }
    }
}
