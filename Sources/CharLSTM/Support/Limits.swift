#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Limits of settings, written once beside the setting they limit (e.g. ``ModelConfig/hiddenRange``) and used
// both by the library's checks and by the command line's parsing and help.

/// An interval of finite numbers, open or closed at each end, possibly without an upper end.
package struct RealInterval: Sendable {
    package let lower: Double
    package let lowerClosed: Bool
    package let upper: Double?
    package let upperClosed: Bool

    /// `[lower, ...)`: at least `lower`.
    package static func atLeast(_ lower: Double) -> RealInterval { .init(lower: lower, lowerClosed: true, upper: nil, upperClosed: false) }
    /// `(lower, ...)`: greater than `lower`.
    package static func greaterThan(_ lower: Double) -> RealInterval { .init(lower: lower, lowerClosed: false, upper: nil, upperClosed: false) }
    package static func closed(_ lower: Double, _ upper: Double) -> RealInterval { .init(lower: lower, lowerClosed: true, upper: upper, upperClosed: true) }
    /// `[lower, upper)`.
    package static func closedOpen(_ lower: Double, _ upper: Double) -> RealInterval { .init(lower: lower, lowerClosed: true, upper: upper, upperClosed: false) }
    /// `(lower, upper]`.
    package static func openClosed(_ lower: Double, _ upper: Double) -> RealInterval { .init(lower: lower, lowerClosed: false, upper: upper, upperClosed: true) }

    package func contains(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        let aboveLower = lowerClosed ? x >= lower : x > lower
        guard let upper else { return aboveLower }
        return aboveLower && (upperClosed ? x <= upper : x < upper)
    }

    /// `in [0, 1)`, `at least 0` or `greater than 0`.
    package var phrase: String {
        guard let upper else {
            return (lowerClosed ? "at least " : "greater than ") + formatLimit(lower)
        }
        return "in \(lowerClosed ? "[" : "(")\(formatLimit(lower)), \(formatLimit(upper))\(upperClosed ? "]" : ")")"
    }
}

/// `from 1 to 8192`, `from 1 to 10^15`, or `at least 1` when the range has no real upper end.
package func integerPhrase(_ range: ClosedRange<Int>) -> String {
    range.upperBound == Int.max ? "at least \(range.lowerBound)"
        : "from \(range.lowerBound) to \(formatLimit(Double(range.upperBound)))"
}

/// A range's end as a person reads it: `10^15` for a power of ten from a million up, else as ``formatNumber(_:)``.
package func formatLimit(_ x: Double) -> String {
    let exponent = log10(x).rounded()
    if x >= 1e6, exponent <= 308, pow(10, exponent) == x { return "10^\(Int(exponent))" }
    return formatNumber(x)
}

/// A number as a person writes it: `256`, `0.5`, `0.002`, `1e-08`.
package func formatNumber(_ x: Double) -> String {
    if x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
    return String(x)
}

/// Throws `.usage("<what> must be from 1 to 16, got 0")` unless `value` is in `range`.
func requireSetting(_ what: String, _ value: Int, in range: ClosedRange<Int>) throws(CharLSTMError) {
    guard range.contains(value) else { throw .usage("\(what) must be \(integerPhrase(range)), got \(value)") }
}

/// Throws `.usage("<what> must be in [0, 1), got 1.5")` unless `value` is in `interval` (and finite).
func requireSetting(_ what: String, _ value: Double, in interval: RealInterval) throws(CharLSTMError) {
    guard interval.contains(value) else { throw .usage("\(what) must be \(interval.phrase), got \(value)") }
}
