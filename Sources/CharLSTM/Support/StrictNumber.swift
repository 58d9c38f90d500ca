/// Strict parsing of numbers written as text: on the command line, and in the text fields of files (a checkpoint's
/// metadata, `metrics.csv`), where ``ValueRange`` then checks them against their field's range.
///
/// Only plain decimal ASCII is accepted: an optional leading `-`, digits, and for real numbers one optional
/// fraction and exponent. Rejected: `+5`, `0x10`, `nan`, `inf`, `1_000`, spaces, non-ASCII digits, trailing junk.
package enum StrictNumber {
    /// The result of reading a whole number.
    package enum WholeNumber: Equatable {
        case value(Int)
        /// Well-formed but outside `Int` (or `UInt64` for ``unsigned(_:)``).
        case overflow
        case malformed
    }

    package static func integer(_ text: String) -> WholeNumber {
        guard isInteger(text) else { return .malformed }
        return Int(text).map(WholeNumber.value) ?? .overflow
    }

    /// A `UInt64`; `nil` when malformed or out of range (negative or too large); `isInteger` tells which.
    package static func unsigned(_ text: String) -> UInt64? {
        guard isInteger(text), !text.hasPrefix("-") else { return nil }
        return UInt64(text)
    }

    /// `-?[0-9]+`
    package static func isInteger(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        return !bytes.isEmpty && bytes.allSatisfy(isDigit)
    }

    /// A finite or infinite Double from `-?(digits[.digits*] | .digits)([eE][+-]?digits)?`; nil when malformed.
    /// Values too large for a Double come back infinite, for the caller's range check to reject.
    package static func real(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
            return i - start
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        var mantissaDigits = digits()
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return nil }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == bytes.count else { return nil }
        return Double(text)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
