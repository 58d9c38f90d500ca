import CharLSTM
/// The help texts, made from the ``CommandSpec``s in swift-argument-parser's layout:
/// OVERVIEW, USAGE, ARGUMENTS, OPTIONS (with value names, ranges and defaults), EXAMPLE.
enum HelpText {
    /// Lines are wrapped to this many columns.
    static let width = 80
    /// Descriptions start in this column; labels are indented by 2.
    static let descriptionColumn = 26
    /// A space that ``wrap(_:indent:)`` does not break at; it prints as a space.
    static let glue: Character = "\u{1}"

    static func command(_ spec: CommandSpec) -> String {
        let usage = "charlstm \(spec.name)" + usageTail(spec)
        var sections = [wrap("OVERVIEW: " + spec.abstract, indent: 0).joined(separator: "\n"), "USAGE: " + usage]
        if !spec.arguments.isEmpty {
            sections.append("ARGUMENTS:\n" + spec.arguments.map { row("<\($0.name)>", describe($0)) }.joined())
        }
        let help = row("-h, --help", "Show help information.")
        sections.append("OPTIONS:\n" + spec.options.map { row($0.label, describe($0)) }.joined() + help)
        sections.append("EXAMPLE:\n  " + spec.example)
        return sections.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }.joined(separator: "\n\n") + "\n"
    }

    static func overview(_ commands: [CommandSpec]) -> String {
        """
        OVERVIEW: Train, sample, evaluate and benchmark character-level LSTM models.

        USAGE: charlstm <command> [<options>]

        OPTIONS:
        \(row("--version", "Show the version."))\(row("-h, --help", "Show help information."))
        COMMANDS:
        \(commands.map { row($0.name, $0.abstract) }.joined())\(row("help", "Show help for a command."))
          See 'charlstm help <command>' for detailed help.

        EXAMPLE:
          charlstm train --minutes 5

        """
    }

    /// `Hidden units per layer. (from 1 to 8192; default: 256)`
    static func describe(_ option: OptionSpec) -> String {
        var notes: [String] = []
        switch option.kind {
        case .integer(let range): notes.append(integerPhrase(range))
        case .real(let interval): notes.append(interval.phrase)
        case .choice(let words): notes.append("values: " + words.joined(separator: ", "))
        case .flag, .text, .unsigned: break
        }
        if let defaultText = option.defaultText { notes.append("default: " + defaultText) }
        return sentence(option.help, notes: notes)
    }

    static func describe(_ argument: ArgumentSpec) -> String {
        sentence(argument.help, notes: argument.defaultText.map { ["default: " + $0] } ?? [])
    }

    /// `text.` followed by ` (note; note)`; short notes are glued so that wrapping keeps each on one line.
    private static func sentence(_ text: String, notes: [String]) -> String {
        let text = text.hasSuffix(".") ? text : text + "."
        guard !notes.isEmpty else { return text }
        let glued = notes.map { $0.count <= 30 ? String($0.map { $0 == " " ? glue : $0 }) : $0 }
        return text + " (" + glued.joined(separator: "; ") + ")"
    }

    /// `  label` then the description from ``descriptionColumn``, wrapped; each line ends in a newline.
    /// A label too long for its column gets a line of its own.
    static func row(_ label: String, _ description: String) -> String {
        let indent = String(repeating: " ", count: descriptionColumn)
        var lines = wrap(description, indent: descriptionColumn)
        let head = "  " + label
        var text = head + "\n"
        if head.count + 2 <= descriptionColumn {
            text = head + String(repeating: " ", count: descriptionColumn - head.count) + lines.removeFirst() + "\n"
        }
        return text + lines.map { indent + $0 + "\n" }.joined()
    }

    /// Splits `text` at spaces into lines that fit in `width - indent` columns (a longer word gets a line of its own).
    static func wrap(_ text: String, indent: Int) -> [String] {
        let room = width - indent
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= room {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
        return lines.map { String($0.map { $0 == glue ? " " : $0 }) }
    }
}
