import CharLSTM
/// What a command accepts: the one description from which both parsing and help text are made.
struct CommandSpec: Sendable {
    /// The command word, e.g. `train`.
    let name: String
    /// One line for the command list and the OVERVIEW.
    let abstract: String
    let arguments: [ArgumentSpec]
    let options: [OptionSpec]
    /// One example command line, without the leading `$ `.
    let example: String

    func option(named name: String) -> OptionSpec? {
        options.first { $0.name == name }
    }
}

/// A positional argument, e.g. `<corpus>`.
struct ArgumentSpec: Sendable {
    /// Shown as `<name>`.
    let name: String
    let help: String
    let isRequired: Bool
    /// Shown as `(default: ...)` in help; only for optional arguments.
    let defaultText: String?
}

/// A long option, `--name <value>` or a flag `--name`.
struct OptionSpec: Sendable {
    /// The long name without dashes; the key of ``ParsedArguments/values``.
    let name: String
    let kind: ValueKind
    /// Shown as `<valueName>`; unused for flags.
    let valueName: String
    /// What the option means, one sentence without the range (added from ``kind``).
    let help: String
    /// Shown as `(default: ...)`; nil when the option has no default worth stating.
    let defaultText: String?
    /// A required option must be given (e.g. `eval --checkpoint`).
    let isRequired: Bool

    init(_ name: String, _ kind: ValueKind, value valueName: String = "", _ help: String,
         default defaultText: String? = nil, required isRequired: Bool = false) {
        self.name = name
        self.kind = kind
        self.valueName = valueName
        self.help = help
        self.defaultText = defaultText
        self.isRequired = isRequired
    }

    var flagText: String { "--" + name }
    var takesValue: Bool {
        if case .flag = kind { false } else { true }
    }
    /// `--hidden <n>` or `--force`.
    var label: String { takesValue ? "\(flagText) <\(valueName)>" : flagText }
}

/// The values an option accepts.
enum ValueKind: Sendable {
    /// No value: present or not.
    case flag
    /// Any text; `allowEmpty: false` rejects `""` (paths, stop strings).
    case text(allowEmpty: Bool)
    /// A whole number in the range.
    case integer(ClosedRange<Int>)
    /// A whole number from 0 to `UInt64.max` (seeds).
    case unsigned
    /// A finite number in the interval.
    case real(RealInterval)
    /// One of the words.
    case choice([String])
}
