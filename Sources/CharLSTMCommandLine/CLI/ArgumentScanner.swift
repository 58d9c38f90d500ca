import CharLSTM
/// Splits a command's arguments into option values and positional arguments, following
/// swift-argument-parser's conventions:
///
/// - `--name value` and `--name=value`; the word after an option that takes a value is always its value,
///   even when it starts with `-` (`--prime -x`);
/// - flags take no value (`--force`, not `--force=yes`);
/// - `--` ends the options: every later word is positional;
/// - a lone `-` is positional; any other word starting with `-` is an option;
/// - an option given twice is an error.
enum ArgumentScanner {
    static func scan(_ arguments: [String], for command: CommandSpec) throws(CharLSTMError) -> ParsedArguments {
        var parsed = ParsedArguments(command: command)
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if optionsEnded || word == "-" || !word.hasPrefix("-") {
                guard parsed.positionals.count < command.arguments.count else {
                    throw .usage("unexpected argument '\(word)'")
                }
                guard !word.isEmpty else {
                    throw .usage("invalid value '' for <\(command.arguments[parsed.positionals.count].name)>: expected a non-empty path")
                }
                parsed.positionals.append(word)
                continue
            }
            if word == "--" {
                optionsEnded = true
                continue
            }
            let (name, inlineValue) = splitOption(word)
            guard word.hasPrefix("--"), let option = command.option(named: name) else {
                throw unknownOption(word, among: command.options.map(\.flagText) + ["--help"])
            }
            guard parsed.values[name] == nil else {
                throw .usage("'\(option.flagText)' was given more than once")
            }
            if option.takesValue {
                if let inlineValue {
                    parsed.values[name] = inlineValue
                } else if index < arguments.count {
                    parsed.values[name] = arguments[index]
                    index += 1
                } else {
                    throw .usage("missing value for '\(option.flagText)'")
                }
            } else {
                guard inlineValue == nil else { throw .usage("'\(option.flagText)' is a flag and takes no value") }
                parsed.values[name] = ""
            }
        }
        if let missing = command.arguments.dropFirst(parsed.positionals.count).first(where: \.isRequired) {
            throw .usage("missing expected argument '<\(missing.name)>'")
        }
        if let missing = command.options.first(where: { $0.isRequired && parsed.values[$0.name] == nil }) {
            throw .usage("missing expected option '\(missing.label)'")
        }
        return parsed
    }

    /// Whether `-h` or `--help` appears among the options (before `--`, not as another option's value).
    static func asksForHelp(_ arguments: [String], for command: CommandSpec) -> Bool {
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "--" { return false }
            if word == "-h" || word == "--help" { return true }
            let (name, inlineValue) = splitOption(word)
            if word.hasPrefix("--"), inlineValue == nil, command.option(named: name)?.takesValue == true { index += 1 }
        }
        return false
    }

    /// `--name=value` → ("name", "value"); `--name` → ("name", nil). Leading dashes are dropped.
    static func splitOption(_ word: String) -> (name: String, value: String?) {
        let body = word.drop { $0 == "-" }
        guard let equals = body.firstIndex(of: "=") else { return (String(body), nil) }
        return (String(body[..<equals]), String(body[body.index(after: equals)...]))
    }

    /// `unknown option '--hiden' (did you mean '--hidden'?)`; for `--help=x` and `--version=x`, that they take no value.
    static func unknownOption(_ word: String, among flags: [String]) -> CharLSTMError {
        let name = splitOption(word).name
        let suggestion = EditDistance.suggestion(for: name, among: flags.map { String($0.dropFirst(2)) })
        let shown = word.contains("=") ? String(word[..<word.firstIndex(of: "=")!]) : word
        if flags.contains(shown) { return .usage("'\(shown)' is a flag and takes no value") }
        return .usage("unknown option '\(shown)'" + (suggestion.map { " (did you mean '--\($0)'?)" } ?? ""))
    }
}
