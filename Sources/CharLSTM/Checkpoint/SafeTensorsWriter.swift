import CharLSTMKernels

/// Writes named `F32` tensors as a safetensors file in one pass, without an image of the file.
///
/// The tensors are laid out in ascending name order with no gaps. Making the writer reads every value once
/// to compute the CRC-32 of the data section, which goes into the header's `checksum`; ``write(to:)`` then
/// hands out the 8-byte length and the header, followed by each tensor's values, little-endian, in pieces of
/// at most ``pieceBytes`` taken straight from where the values are (no copy on a little-endian machine).
struct SafeTensorsWriter {
    /// The most bytes handed out at once.
    static let pieceBytes = 1 << 20

    /// One tensor to write; its values stay where they are.
    struct Tensor {
        enum Values {
            case array([Float])
            /// `count` values from `offset` in a buffer.
            case buffer(FloatBuffer, offset: Int, count: Int)
        }

        let name: String
        let shape: [Int]
        let values: Values

        var count: Int {
            switch values {
            case .array(let a): a.count
            case .buffer(_, _, let count): count
            }
        }

        func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
            switch values {
            case .array(let a): try a.withUnsafeBufferPointer(body)
            case .buffer(let buffer, let offset, let count):
                try body(UnsafeBufferPointer(start: buffer.pointer + offset, count: count))
            }
        }

        /// Calls `body` with the little-endian bytes of the values, in pieces of at most `pieceBytes`.
        func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
            try withValues { values in
                let perPiece = SafeTensorsWriter.pieceBytes / 4
                var start = 0
                while start < values.count {
                    let piece = UnsafeBufferPointer(rebasing: values[start..<min(values.count, start + perPiece)])
                    #if _endian(little)
                    try body(UnsafeRawBufferPointer(piece))
                    #else
                    try piece.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
                    #endif
                    start += piece.count
                }
            }
        }
    }

    /// The tensors in layout order.
    let tensors: [Tensor]
    /// The 8-byte header length followed by the header.
    let prefix: [UInt8]
    /// The file's size in bytes.
    let byteCount: Int

    /// Lays out `tensors` (names distinct, none `__metadata__`, each shape holding its values) and computes
    /// the header, whose metadata is `metadata` plus the data section's `checksum`. O(values).
    init(tensors: [Tensor], metadata: [String: String]) {
        let sorted = tensors.sorted { JSONValue.scalarOrder($0.name, $1.name) }
        var entries: [SafeTensorsHeader.Entry] = []
        var crc: UInt32 = 0
        var dataCount = 0
        for t in sorted {
            precondition(t.name != "__metadata__", "'__metadata__' is reserved and cannot name a tensor")
            precondition(entries.last?.name != t.name, "two tensors are named '\(t.name)'")
            precondition(SafeTensors.Tensor.elementCount(t.shape) == t.count,
                         "tensor '\(t.name)': shape \(t.shape) does not hold \(t.count) values")
            entries.append(.init(name: t.name, shape: t.shape, begin: dataCount, end: dataCount + 4 * t.count))
            dataCount += 4 * t.count
            t.forEachPiece { crc = CRC32.checksum($0, continuing: crc) }
        }
        var meta = metadata
        meta[SafeTensors.checksumKey] = CRC32.label(crc)
        let header = SafeTensorsHeader.encode(metadata: meta, entries: entries)
        self.tensors = sorted
        prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        byteCount = prefix.count + dataCount
    }

    /// Hands the file's bytes to `output`, in order, in pieces of at most ``pieceBytes`` (the header in one).
    func write(to output: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try prefix.withUnsafeBytes(output)
        for t in tensors { try t.forEachPiece(output) }
    }
}
