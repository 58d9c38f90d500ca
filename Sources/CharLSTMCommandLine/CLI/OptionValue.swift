import CharLSTMKernels
import CharLSTM
/// A type an option's text converts to, checked against the option's ``ValueKind``.
protocol OptionValue {
    static func parse(_ text: String, for option: OptionSpec) throws(CharLSTMError) -> Self
}

extension String: OptionValue {
    static func parse(_ text: String, for option: OptionSpec) throws(CharLSTMError) -> String {
        if case .text(allowEmpty: false) = option.kind, text.isEmpty {
            throw option.invalid(text, expected: "a non-empty value")
        }
        return text
    }
}

extension Int: OptionValue {
    static func parse(_ text: String, for option: OptionSpec) throws(CharLSTMError) -> Int {
        guard case .integer(let range) = option.kind else { preconditionFailure("'\(option.name)' is not a whole number") }
        switch StrictNumber.integer(text) {
        case .value(let n) where range.contains(n): return n
        case .value, .overflow: throw option.outOfRange(text, integerPhrase(range))
        case .malformed: throw option.invalid(text, expected: "a whole number \(integerPhrase(range))")
        }
    }
}

extension UInt64: OptionValue {
    static func parse(_ text: String, for option: OptionSpec) throws(CharLSTMError) -> UInt64 {
        let range = "from 0 to \(UInt64.max)"
        if let n = StrictNumber.unsigned(text) { return n }
        if StrictNumber.isInteger(text) { throw option.outOfRange(text, range) }
        throw option.invalid(text, expected: "a whole number \(range)")
    }
}

extension Double: OptionValue {
    static func parse(_ text: String, for option: OptionSpec) throws(CharLSTMError) -> Double {
        guard case .real(let interval) = option.kind else { preconditionFailure("'\(option.name)' is not a number") }
        guard let x = StrictNumber.real(text) else { throw option.invalid(text, expected: "a number \(interval.phrase)") }
        guard interval.contains(x) else { throw option.outOfRange(text, interval.phrase) }
        // The engine computes in 32-bit floats: a number too small for one would silently become 0 (a top-p of
        // 1e-300 refused as "got 0.0", a temperature of 1e-300 turned into argmax).
        guard x == 0 || abs(x) >= Double(Float.leastNormalMagnitude) else {
            throw .usage("'\(option.flagText)' is too small to compute with, got \(text): the engine's 32-bit floats "
                + "hold no number between 0 and 1.2e-38")
        }
        return x
    }
}

/// An enum whose raw values are the option's words (`--cell lstm`).
protocol ChoiceValue: OptionValue, RawRepresentable<String> {}

extension ChoiceValue {
    static func parse(_ text: String, for option: OptionSpec) throws(CharLSTMError) -> Self {
        guard case .choice(let words) = option.kind else { preconditionFailure("'\(option.name)' is not a choice") }
        if let value = Self(rawValue: text) { return value }
        let suggestion = EditDistance.suggestion(for: text, among: words).map { " (did you mean '\($0)'?)" } ?? ""
        throw option.invalid(text, expected: "one of \(words.joined(separator: ", "))" + suggestion)
    }
}

extension CellKind: ChoiceValue {}
extension GenerateOptions.Weights: ChoiceValue {}
extension WeightPrecision: ChoiceValue {}
extension BenchOptions.Config: ChoiceValue {}
extension LearningRateSchedule.Shape: ChoiceValue {}

extension OptionSpec {
    /// `invalid value 'abc' for '--hidden': expected a whole number from 1 to 8192`
    func invalid(_ text: String, expected: String) -> CharLSTMError {
        .usage("invalid value '\(text)' for '\(flagText)': expected \(expected)")
    }

    /// `'--dropout' must be in [0, 1), got 1.5`
    func outOfRange(_ text: String, _ phrase: String) -> CharLSTMError {
        .usage("'\(flagText)' must be \(phrase), got \(text)")
    }
}
