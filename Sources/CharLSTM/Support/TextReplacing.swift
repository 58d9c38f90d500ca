/// Literal replacement of text, without Foundation's `replacingOccurrences(of:with:)` (the product imports only
/// FoundationEssentials, which lacks it).
extension StringProtocol {
    /// The text with every occurrence of `target` replaced by `replacement`, left to right, without overlaps
    /// ("aaa" with "aa" → "b" is "ba"). Occurrences are found in the UTF-8 bytes, so the match is literal, scalar by
    /// scalar: "\r" matches inside a "\r\n" line break (one `Character` to Swift's own `replacing(_:with:)`) and "<"
    /// matches even when a combining mark follows it. An empty `target` changes nothing. O(n · target length).
    package func replacingAll(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard let firstByte = needle.first else { return String(self) }
        let bytes = Array(utf8)
        var result = [UInt8]()
        result.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == firstByte && i + needle.count <= bytes.count && bytes[i..<(i + needle.count)].elementsEqual(needle) {
                result.append(contentsOf: replacement.utf8)
                i += needle.count
            } else {
                result.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
