import CharLSTM
/// An option of a command bound to the field of the options struct it sets, so that the option's name, value
/// kind, help and field are written in one place: the command's table of bound options. Its ``OptionSpec``s make
/// the parser's and the help's view of the command (see ``CommandSpec``).
struct BoundOption<Options> {
    let spec: OptionSpec
    /// Converts and range-checks the option's text (see ``OptionValue``) and stores it in the options.
    let apply: (inout Options, String) throws(CharLSTMError) -> Void

    /// An option whose value replaces a field's default.
    init<Value: OptionValue>(_ spec: OptionSpec, _ field: WritableKeyPath<Options, Value>) {
        self.spec = spec
        apply = { options, text throws(CharLSTMError) in options[keyPath: field] = try Value.parse(text, for: spec) }
    }

    /// An option for a field that is `nil` unless the option is given.
    init<Value: OptionValue>(_ spec: OptionSpec, _ field: WritableKeyPath<Options, Value?>) {
        self.spec = spec
        apply = { options, text throws(CharLSTMError) in options[keyPath: field] = try Value.parse(text, for: spec) }
    }

    /// A flag: sets the field to `true` when given.
    init(_ spec: OptionSpec, flag field: WritableKeyPath<Options, Bool>) {
        self.spec = spec
        apply = { options, _ in options[keyPath: field] = true }
    }
}

extension ParsedArguments {
    /// Stores every given option of `options` in `value`, leaving the fields of the others (their defaults) alone.
    func apply<Options>(_ options: [BoundOption<Options>], to value: inout Options) throws(CharLSTMError) {
        for option in options {
            if let text = values[option.spec.name] { try option.apply(&value, text) }
        }
    }
}
