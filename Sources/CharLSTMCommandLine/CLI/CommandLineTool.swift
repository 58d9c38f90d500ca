import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `charlstm` program as a function: arguments and console in, exit code out.
public enum CommandLineTool {
    /// Parses `arguments` (those after the program name) and carries them out.
    ///
    /// Help and version go to `console.out` with exit code 0. A thrown ``CharLSTMError`` is printed on
    /// `console.err` as `error: <message>` (usage errors add a `help:` line) and its ``CharLSTMError/exitCode``
    /// is returned. ``BrokenPipe`` (the reader of standard output went away) ends quietly with 0.
    public static func main(_ arguments: [String], console: Console) -> Int32 {
        do {
            let code: Int32
            switch try Invocation.parse(arguments) {
            case .help(let text):
                try console.out.write(text)
                code = 0
            case .version:
                try console.out.write(CharLSTMVersion.current + "\n")
                code = 0
            case let invocation:
                code = try run(invocation, console: console)
            }
            try console.out.flush()
            return code
        } catch is BrokenPipe {
            return 0
        } catch let error as CharLSTMError {
            report(error.commandLineMessage, console: console)
            if error.kind == .usage {
                let command = arguments.first.flatMap { Invocation.commandNames.contains($0) ? $0 + " " : nil } ?? ""
                report("see 'charlstm \(command)--help'", prefix: "help: ", console: console)
            }
            return error.exitCode
        } catch {
            report("\(error)", console: console)
            return 70  // EX_SOFTWARE: an error the library should have wrapped in CharLSTMError.
        }
    }

    /// Writes one diagnostic line to `console.err` after flushing `console.out`, so the two stay in order
    /// on a shared terminal. Failures here cannot be reported anywhere and are ignored.
    private static func report(_ message: String, prefix: String = "error: ", console: Console) {
        try? console.out.flush()
        // One line, whatever the message quotes (a path or argument may hold a line break).
        let oneLine = message.replacingAll("\r", with: "\\r").replacingAll("\n", with: "\\n")
        try? console.err.write(prefix + oneLine + "\n")
        try? console.err.flush()
    }
}
