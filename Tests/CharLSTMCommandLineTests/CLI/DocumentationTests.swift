import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// The documents agree with the program: docs/commands.md is what the help declarations render, and every `charlstm`
/// command in a shell block of README.md or docs/*.md parses (including those CI cannot run, such as `serve`; CI runs
/// the others with `.ci/doc_commands.py`).
@Suite struct DocumentationTests {
    static let root = Executable.packageRoot

    @Test func commandsPageIsWhatTheHelpDeclarationsRender() throws {
        guard case .help(let rendered) = try Invocation.parse(["help", "--markdown"]) else {
            Issue.record("help --markdown gave no text")
            return
        }
        let path = Self.root + "/" + HelpText.markdownPath
        let committed = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let old = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let new = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(old, new).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(old.count, new.count)
        let same = committed == rendered  // (not in the expectation: it would print both pages)
        #expect(same, """
            \(HelpText.markdownPath) differs from the help texts at line \(line + 1) \
            (committed: \(line < old.count ? "'\(old[line])'" : "end of file"); \
            rendered: \(line < new.count ? "'\(new[line])'" : "end of file")). Regenerate it: \
            swift build -c release && .build/release/\(HelpText.markdownCommand)
            """)
        // Every command has its section, and the page names every option of each.
        for name in Invocation.commandNames { #expect(rendered.contains("\n## \(name)\n")) }
        #expect(rendered.contains("| `--hidden <n>` | Hidden units per layer. | from 1 to 8192 | 256; series: 64 |"))
    }

    @Test func helpMarkdownIsHiddenAndTakesNothingElse() throws {
        guard case .help(let overview) = try Invocation.parse(["help"]) else { Issue.record("no overview"); return }
        #expect(!overview.contains("markdown"))
        #expect(throws: CharLSTMError.self) { try Invocation.parse(["help", "--markdown", "train"]) }
    }

    @Test func everyDocumentedCommandParses() throws {
        let documents = try DocumentedCommands.documents(root: Self.root)
        #expect(documents.contains("README.md") && documents.count >= 10, "\(documents)")
        var count = 0
        for document in documents {
            let text = try String(contentsOfFile: Self.root + "/" + document, encoding: .utf8)
            for command in DocumentedCommands.commands(in: text) {
                for arguments in DocumentedCommands.invocations(in: command) {
                    count += 1
                    #expect(throws: Never.self, "\(document): charlstm \(arguments.joined(separator: " "))") {
                        _ = try Invocation.parse(arguments)
                    }
                }
            }
        }
        // README alone has the quick start, a session, fine-tuning, series, inspect and serve.
        #expect(count >= 30, "only \(count) charlstm commands found in \(documents)")
    }

    /// A ```text block right after the line `<!-- output of the command above -->` shows what the `charlstm` command
    /// of the shell block before it prints (a seeded `generate`, say): it is run in-process from the repository folder
    /// and must print exactly that, so a sample cannot go stale when the shipped model changes.
    @Test func documentedOutputsAreWhatTheCommandsPrint() throws {
        var checked = 0
        for document in try DocumentedCommands.documents(root: Self.root) {
            let text = try String(contentsOfFile: Self.root + "/" + document, encoding: .utf8)
            for (command, shown) in DocumentedCommands.outputs(in: text) {
                guard let arguments = DocumentedCommands.invocations(in: command).last else {
                    Issue.record("\(document): no charlstm command before an output block: \(command)")
                    continue
                }
                let run = Tool.run(arguments.map { $0.hasPrefix("Checkpoints/") || $0.hasPrefix("Corpora/") ? Self.root + "/" + $0 : $0 })
                // Markdown keeps neither trailing spaces nor a last line break reliably: compare without them.
                func plain(_ text: String) -> String {
                    text.split(separator: "\n", omittingEmptySubsequences: false)
                        .map { String($0.reversed().drop { $0 == " " }.reversed()) }
                        .joined(separator: "\n").trimmingCharacters(in: .newlines)
                }
                #expect(run.code == 0 && plain(run.out) == plain(shown), """
                    \(document): '\(command)' prints something else than the block after it shows; run it from the \
                    repository folder and paste its output: \(run)
                    """)
                checked += 1
            }
        }
        #expect(checked >= 1, "README.md's quick start shows the shipped model's sample")
    }

    @Test func everyHelpExampleParses() throws {
        for name in Invocation.commandNames {
            guard case .help(let text) = try Invocation.parse(["help", name]),
                  let example = text.components(separatedBy: "EXAMPLE:\n  ").last?.split(separator: "\n").first else {
                Issue.record("no example in the help of \(name)")
                continue
            }
            for arguments in DocumentedCommands.invocations(in: String(example)) {
                #expect(throws: Never.self, "\(example)") { _ = try Invocation.parse(arguments) }
            }
        }
    }

    @Test func commandsAreFoundAsTheShellWouldSplitThem() {
        let text = """
            Some prose with `charlstm train` inline (not a block).

            ```sh
            mkdir -p out  # a comment
            charlstm train Corpora/faust.txt --minutes 1.5 \\
                --prime "FAUST: it's" --out 'Checkpoints/a b'
            # a whole-line comment
            CHARLSTM_SGEMM_KERNEL=avx2-6x16 charlstm bench --config M
            charlstm generate --length 1000000 | head -c 100
            tail -c 20000 Corpora/shakespeare.txt > out/held-out.txt && charlstm eval out/held-out.txt > out/e.json
            ```

            ```console
            $ charlstm info Checkpoints/pretrained
            step 3000
            ```

            ```python
            charlstm = "not a shell block"
            ```
            """
        let commands = DocumentedCommands.commands(in: text)
        #expect(commands.count == 6)
        #expect(commands[1] == #"charlstm train Corpora/faust.txt --minutes 1.5 --prime "FAUST: it's" --out 'Checkpoints/a b'"#)
        #expect(commands.flatMap(DocumentedCommands.invocations) == [
            ["train", "Corpora/faust.txt", "--minutes", "1.5", "--prime", "FAUST: it's", "--out", "Checkpoints/a b"],
            ["bench", "--config", "M"],
            ["generate", "--length", "1000000"],
            ["eval", "out/held-out.txt"],
            ["info", "Checkpoints/pretrained"],
        ])
    }
}

/// The commands of a Markdown document's shell blocks, found by the rules `.ci/doc_commands.py` follows too:
/// fenced blocks whose info string is `sh`, `shell`, `bash` or `console`; in a `console` block only the lines after
/// a `$ ` prompt; lines ending in `\` continue on the next; comments and blank lines are left out.
enum DocumentedCommands {
    /// README.md and every docs/*.md but the generated commands.md (whose examples `everyHelpExampleParses` checks),
    /// relative to `root`.
    static func documents(root: String) throws -> [String] {
        let pages = try FileManager.default.contentsOfDirectory(atPath: root + "/docs")
            .filter { $0.hasSuffix(".md") && "docs/" + $0 != HelpText.markdownPath }.sorted()
        return ["README.md"] + pages.map { "docs/" + $0 }
    }

    static func commands(in markdown: String) -> [String] {
        var commands: [String] = [], pending = "", block: String? = nil
        for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("```") {
                block = block == nil ? String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
                pending = ""
                continue
            }
            guard let kind = block, ["sh", "shell", "bash", "console"].contains(kind) else { continue }
            var text = line
            if pending.isEmpty && kind == "console" {
                guard text.hasPrefix("$ ") else { continue }
                text.removeFirst(2)
            }
            text = withoutComment(text).trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("\\") {
                pending += text.dropLast().trimmingCharacters(in: .whitespaces) + " "
                continue
            }
            let command = pending + text
            pending = ""
            if !command.isEmpty { commands.append(command) }
        }
        return commands
    }

    static let outputMark = "<!-- output of the command above -->"

    /// The pairs (last command of the shell block before the mark, the text block after it) of `outputMark`s.
    static func outputs(in markdown: String) -> [(command: String, output: String)] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var pairs: [(String, String)] = []
        for (index, line) in lines.enumerated() where line == outputMark {
            guard let close = lines[..<index].lastIndex(where: { $0 == "```" }),
                  let open = lines[..<close].lastIndex(where: { $0.hasPrefix("```") }),
                  let command = commands(in: lines[open...close].joined(separator: "\n")).last,
                  index + 1 < lines.count, lines[index + 1] == "```text",
                  let end = lines[(index + 2)...].firstIndex(of: "```") else { continue }
            pairs.append((command, lines[(index + 2)..<end].joined(separator: "\n")))
        }
        return pairs
    }

    /// The argument lists (after the program name) of the `charlstm` commands in one shell command line: the words of
    /// each pipeline element or list item that starts with `charlstm` (after `NAME=value` assignments), up to its
    /// first redirection.
    static func invocations(in command: String) -> [[String]] {
        var result: [[String]] = []
        var words: [String] = [], redirected = false
        func finish() {
            let start = words.firstIndex { !isAssignment($0) } ?? words.endIndex
            if start < words.endIndex, words[start] == "charlstm" { result.append(Array(words[(start + 1)...])) }
            words = []
            redirected = false
        }
        for token in tokens(command) {
            switch token {
            case .word(let word): if !redirected { words.append(word) }
            case .separator: finish()
            case .redirection: redirected = true
            }
        }
        finish()
        return result
    }

    enum Token: Equatable { case word(String), separator, redirection }

    /// Splits a command line as a POSIX shell would for these purposes: quotes and backslashes, `|`, `||`, `&&`,
    /// `;` and `&` between commands, `<`, `>`, `>>` and `2>&1` as redirections (the word after one is its target).
    static func tokens(_ line: String) -> [Token] {
        var tokens: [Token] = [], word = "", inWord = false
        var characters = Array(line)[...]
        func endWord() {
            if inWord { tokens.append(.word(word)) }
            word = ""
            inWord = false
        }
        while let c = characters.popFirst() {
            switch c {
            case "'":
                inWord = true
                while let d = characters.popFirst(), d != "'" { word.append(d) }
            case "\"":
                inWord = true
                while let d = characters.popFirst(), d != "\"" {
                    if d == "\\", let next = characters.first, "\"\\$`".contains(next) {
                        word.append(characters.removeFirst())
                    } else {
                        word.append(d)
                    }
                }
            case "\\":
                inWord = true
                if let next = characters.popFirst() { word.append(next) }
            case " ", "\t":
                endWord()
            case "|", ";", "&":
                endWord()
                if let next = characters.first, next == c { characters.removeFirst() }
                tokens.append(.separator)
            case "<", ">":
                if inWord, word.allSatisfy(\.isNumber) {  // `2>`: the descriptor is part of the redirection
                    word = ""
                    inWord = false
                }
                endWord()
                if let next = characters.first, next == ">" { characters.removeFirst() }
                if let next = characters.first, next == "&" {
                    characters.removeFirst()
                    while let d = characters.first, d.isNumber { characters.removeFirst() }
                }
                tokens.append(.redirection)
            default:
                inWord = true
                word.append(c)
            }
        }
        endWord()
        return tokens
    }

    /// `NAME=value`: an environment assignment before a command.
    static func isAssignment(_ word: String) -> Bool {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return false }
        return word[..<equals].allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }

    /// The line without a `#` comment that starts a word outside quotes.
    static func withoutComment(_ line: String) -> String {
        var quote: Character? = nil, previous: Character = " "
        for (offset, c) in line.enumerated() {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#", previous == " " || previous == "\t" || offset == 0 {
                return String(line.prefix(offset))
            }
            previous = c
        }
        return line
    }
}
