/// Checkpoint files made byte by byte, for tests of damaged and hostile files.
enum CheckpointBytes {
    /// A safetensors file of this header text (padded to 8 bytes) and data section.
    static func withHeader(_ header: [UInt8], data: [UInt8]) -> [UInt8] {
        let padded = header + Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        return withUnsafeBytes(of: UInt64(padded.count).littleEndian, Array.init) + padded + data
    }
}
