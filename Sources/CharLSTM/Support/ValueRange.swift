// The one validation layer for numbers. Every number a person or a file gives (an option, a library setting, a
// checkpoint's metadata field, a value of a series CSV, a row of `metrics.csv`) is checked, before any arithmetic,
// against a range in which all the arithmetic done with it later is exact: no overflow, no `Double` → `Int`
// conversion out of range, no division by zero, no NaN or infinity that could reach a file. The ranges shared by
// several settings are here; a setting's own limit is written beside it (``ModelConfig/hiddenRange``,
// ``TrainingConfig/learningRateInterval``, …) and used by the command line, the library and the checkpoint reader
// alike.

/// The ranges that several kinds of number share, and the reading of a number field of a file against its range.
package enum ValueRange {
    /// The largest count: 10^15. Steps, epochs and batches done, characters, values, budgets and intervals in steps
    /// are counts. Below 2^53, so every count is exact as a `Double`; a hundred times a count still fits an `Int`.
    package static let countLimit = 1_000_000_000_000_000
    /// Counts, from 0 to ``countLimit``.
    package static let counts = 0...countLimit
    /// Counts from 1 to ``countLimit``: budgets, intervals, periods.
    package static let positiveCounts = 1...countLimit
    /// Budgets in epochs or minutes, and the epoch after which the learning rate decays: up to 10^9, so that such a
    /// number rounded up is an exact `Int`.
    package static let epochLimit = 1e9
    /// A budget in epochs or minutes: (0, 10^9].
    package static let realBudget = RealInterval.openClosed(0, epochLimit)
    /// The seconds of training a checkpoint records: [0, 10^12], some 31,700 years.
    static let trainingSeconds = RealInterval.closed(0, 1e12)
    /// A validation loss a checkpoint records (bits per character, or a series' RMSE): finite and at least 0.
    static let loss = RealInterval.atLeast(0)

    /// `x` rounded up to a count, capped at ``countLimit`` (0 for NaN and values ≤ 0): the step a budget in epochs
    /// ends at, whatever the corpus's size. O(1).
    static func countRoundingUp(_ x: Double) -> Int {
        guard x > 0 else { return 0 }
        return x >= Double(countLimit) ? countLimit : Int(x.rounded(.up))
    }

    /// The whole number a file's text field holds (plain decimal, as ``StrictNumber`` reads it), in `range`.
    /// Throws `.invalidData` naming `field` when it is missing (nil), malformed or out of range:
    /// `step must be a whole number from 0 to 10^15, got "9223372036854775808"`.
    static func integer(_ text: String?, field: String, in range: ClosedRange<Int>) throws(CharLSTMError) -> Int {
        guard let text else { throw missing(field) }
        guard case .value(let n) = StrictNumber.integer(text), range.contains(n) else {
            throw .invalidData("\(field) must be a whole number \(integerPhrase(range)), got \(quoted(text))")
        }
        return n
    }

    /// The finite number a file's text field holds, in `interval`; throws as ``integer(_:field:in:)-(String?,_,_)``.
    static func real(_ text: String?, field: String, in interval: RealInterval) throws(CharLSTMError) -> Double {
        guard let text else { throw missing(field) }
        guard let x = StrictNumber.real(text), interval.contains(x) else {
            throw .invalidData("\(field) must be a number \(interval.phrase), got \(quoted(text))")
        }
        return x
    }

    /// The whole number a JSON member holds, in `range`; a string, `null` or any other JSON type is refused.
    static func integer(_ value: JSONValue?, field: String, in range: ClosedRange<Int>) throws(CharLSTMError) -> Int {
        guard let value else { throw missing(field) }
        guard case .number(let text) = value else {
            throw .invalidData("\(field) must be a whole number \(integerPhrase(range)), got \(quoted(value.encoded))")
        }
        return try integer(text, field: field, in: range)
    }

    /// The number a JSON member holds, in `interval`; a string, `null` or any other JSON type is refused.
    static func real(_ value: JSONValue?, field: String, in interval: RealInterval) throws(CharLSTMError) -> Double {
        guard let value else { throw missing(field) }
        guard case .number(let text) = value else {
            throw .invalidData("\(field) must be a number \(interval.phrase), got \(quoted(value.encoded))")
        }
        return try real(text, field: field, in: interval)
    }

    private static func missing(_ field: String) -> CharLSTMError { .invalidData("\(field) is missing") }

    /// `text` for a one-line message: between `quote`s, at most 40 characters, control characters escaped.
    static func quoted(_ text: String, quote: Unicode.Scalar = "\"") -> String {
        var out = String(quote)
        for scalar in text.unicodeScalars.prefix(40) {
            switch scalar {
            case quote: out += "\\" + String(quote)
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                || scalar == "\u{2028}" || scalar == "\u{2029}":
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + (text.unicodeScalars.count > 40 ? "…" : "") + String(quote)
    }
}
