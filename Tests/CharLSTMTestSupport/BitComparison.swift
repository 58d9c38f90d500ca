import CharLSTMKernels

/// Bit-for-bit comparison of buffers, for tests that expect two runs to agree exactly.
enum BitComparison {
    /// Where two buffers first differ in their bits (or in their sizes), nil when they are the same: a short
    /// message, where comparing whole arrays in `#expect` would have the test library diff thousands of elements
    /// (minutes) on a failure.
    static func firstDifference(_ a: FloatBuffer, _ b: FloatBuffer) -> String? {
        guard a.count == b.count else { return "\(a.count) against \(b.count) floats" }
        for i in 0..<a.count where a[i].bitPattern != b[i].bitPattern {
            return "element \(i) of \(a.count): \(a[i]) against \(b[i])"
        }
        return nil
    }
}
