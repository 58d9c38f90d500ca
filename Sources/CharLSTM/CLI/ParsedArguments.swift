/// A command's arguments after scanning: raw option values by name, positionals in order.
///
/// The `read` functions convert and range-check one option's value into a field of an options struct,
/// leaving the field (its default) alone when the option was not given. The range comes from the
/// option's ``ValueKind`` in the ``CommandSpec``, so it is written in one place for parsing and help.
struct ParsedArguments {
    let command: CommandSpec
    /// Option name (without dashes) → its raw value; `""` for a flag that was given.
    var values: [String: String] = [:]
    var positionals: [String] = []

    /// The long names of all options given, for `explicitlySet`.
    var givenNames: Set<String> { Set(values.keys) }

    func positional(_ index: Int) -> String? {
        index < positionals.count ? positionals[index] : nil
    }

    private func given(_ name: String) -> (option: OptionSpec, text: String)? {
        guard let option = command.option(named: name) else {
            preconditionFailure("'\(name)' is not an option of '\(command.name)'")
        }
        return values[name].map { (option, $0) }
    }

    func read(_ name: String, into field: inout Bool) {
        if given(name) != nil { field = true }
    }

    func read(_ name: String, into field: inout String?) throws(CharLSTMError) {
        guard let (option, text) = given(name) else { return }
        if case .text(allowEmpty: false) = option.kind, text.isEmpty {
            throw invalid(text, option, "a non-empty value")
        }
        field = text
    }

    func read(_ name: String, into field: inout Int) throws(CharLSTMError) {
        var value: Int? = field
        try read(name, into: &value)
        field = value!
    }

    func read(_ name: String, into field: inout Int?) throws(CharLSTMError) {
        guard let (option, text) = given(name) else { return }
        guard case .integer(let range) = option.kind else { preconditionFailure("'\(name)' is not a whole number") }
        switch StrictNumber.integer(text) {
        case .value(let n) where range.contains(n): field = n
        case .value, .overflow: throw outOfRange(text, option, integerPhrase(range))
        case .malformed: throw invalid(text, option, "a whole number \(integerPhrase(range))")
        }
    }

    func read(_ name: String, into field: inout UInt64?) throws(CharLSTMError) {
        guard let (option, text) = given(name) else { return }
        let range = "from 0 to \(UInt64.max)"
        if let n = StrictNumber.unsigned(text) {
            field = n
        } else if StrictNumber.isInteger(text) {
            throw outOfRange(text, option, range)
        } else {
            throw invalid(text, option, "a whole number \(range)")
        }
    }

    func read(_ name: String, into field: inout UInt64) throws(CharLSTMError) {
        var value: UInt64? = field
        try read(name, into: &value)
        field = value!
    }

    func read(_ name: String, into field: inout Double) throws(CharLSTMError) {
        var value: Double? = field
        try read(name, into: &value)
        field = value!
    }

    func read(_ name: String, into field: inout Double?) throws(CharLSTMError) {
        guard let (option, text) = given(name) else { return }
        guard case .real(let interval) = option.kind else { preconditionFailure("'\(name)' is not a number") }
        guard let x = StrictNumber.real(text) else { throw invalid(text, option, "a number \(interval.phrase)") }
        guard interval.contains(x) else { throw outOfRange(text, option, interval.phrase) }
        field = x
    }

    func read<Choice: RawRepresentable<String>>(_ name: String, into field: inout Choice) throws(CharLSTMError) {
        guard let (option, text) = given(name) else { return }
        guard case .choice(let words) = option.kind else { preconditionFailure("'\(name)' is not a choice") }
        guard let value = Choice(rawValue: text) else {
            let suggestion = EditDistance.suggestion(for: text, among: words).map { " (did you mean '\($0)'?)" } ?? ""
            throw invalid(text, option, "one of \(words.joined(separator: ", "))" + suggestion)
        }
        field = value
    }

    /// `invalid value 'abc' for '--hidden': expected a whole number from 1 to 8192`
    private func invalid(_ text: String, _ option: OptionSpec, _ expected: String) -> CharLSTMError {
        .usage("invalid value '\(text)' for '\(option.flagText)': expected \(expected)")
    }

    /// `'--dropout' must be in [0, 1), got 1.5`
    private func outOfRange(_ text: String, _ option: OptionSpec, _ phrase: String) -> CharLSTMError {
        .usage("'\(option.flagText)' must be \(phrase), got \(text)")
    }
}
