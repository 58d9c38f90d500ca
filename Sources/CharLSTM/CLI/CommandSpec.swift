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
    /// The long name without dashes; the key of `explicitlySet`.
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

/// An interval of finite numbers, open or closed at each end, possibly without an upper end.
struct RealInterval: Sendable {
    let lower: Double
    let lowerClosed: Bool
    let upper: Double?
    let upperClosed: Bool

    /// `[lower, ...)`: at least `lower`.
    static func atLeast(_ lower: Double) -> RealInterval { .init(lower: lower, lowerClosed: true, upper: nil, upperClosed: false) }
    /// `(lower, ...)`: greater than `lower`.
    static func greaterThan(_ lower: Double) -> RealInterval { .init(lower: lower, lowerClosed: false, upper: nil, upperClosed: false) }
    static func closed(_ lower: Double, _ upper: Double) -> RealInterval { .init(lower: lower, lowerClosed: true, upper: upper, upperClosed: true) }
    /// `[lower, upper)`.
    static func closedOpen(_ lower: Double, _ upper: Double) -> RealInterval { .init(lower: lower, lowerClosed: true, upper: upper, upperClosed: false) }
    /// `(lower, upper]`.
    static func openClosed(_ lower: Double, _ upper: Double) -> RealInterval { .init(lower: lower, lowerClosed: false, upper: upper, upperClosed: true) }

    func contains(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        let aboveLower = lowerClosed ? x >= lower : x > lower
        guard let upper else { return aboveLower }
        return aboveLower && (upperClosed ? x <= upper : x < upper)
    }

    /// `in [0, 1)`, `at least 0` or `greater than 0`.
    var phrase: String {
        guard let upper else {
            return (lowerClosed ? "at least " : "greater than ") + formatNumber(lower)
        }
        return "in \(lowerClosed ? "[" : "(")\(formatNumber(lower)), \(formatNumber(upper))\(upperClosed ? "]" : ")")"
    }
}

/// `from 1 to 8192`, or `at least 1` when the range has no real upper end.
func integerPhrase(_ range: ClosedRange<Int>) -> String {
    range.upperBound == Int.max ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
}

/// A number as a person writes it: `256`, `0.5`, `0.002`, `1e-08`.
func formatNumber(_ x: Double) -> String {
    if x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
    return String(x)
}
