import CharLSTM
/// A command's arguments after scanning: raw option values by name, positionals in order.
///
/// ``apply(_:to:)`` (with a command's table of ``BoundOption``s) and the `read` functions convert and range-check
/// option values (see ``OptionValue``) into the fields of an options struct, leaving a field (its default) alone
/// when its option was not given. The range comes from the option's ``ValueKind`` in the ``CommandSpec``, so it is
/// written in one place for parsing and help.
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

    /// A flag: sets `field` when given.
    func read(_ name: String, into field: inout Bool) {
        if given(name) != nil { field = true }
    }

    func read<Value: OptionValue>(_ name: String, into field: inout Value) throws(CharLSTMError) {
        if let (option, text) = given(name) { field = try Value.parse(text, for: option) }
    }

    func read<Value: OptionValue>(_ name: String, into field: inout Value?) throws(CharLSTMError) {
        if let (option, text) = given(name) { field = try Value.parse(text, for: option) }
    }
}
