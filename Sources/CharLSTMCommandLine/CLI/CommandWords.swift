import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Commands this program prints for people to run (the `continue with:` hint after a stop): the program named as it
/// was called, and each word quoted for a POSIX shell.
enum CommandWords {
    /// The words that call the program as the person called it, so that a printed command runs as theirs did:
    /// `charlstm` when it was found on the PATH; `swift run -c release charlstm` (`swift run charlstm` for a debug
    /// build) for what `swift run` starts, which it calls by its path in the package's build folder
    /// (`.build/TRIPLE/release/NAME`, or `.build/release/NAME` when the shell says `swift` started it: `launcher`,
    /// the shell's `$_`); any other path as it was typed; `charlstm` when the name is unknown. An absolute path
    /// inside the current folder counts as the relative path it names.
    static func program(invokedAs argument0: String? = CommandLine.arguments.first,
                        currentFolder: String? = FileManager.default.currentDirectoryPath,
                        launcher: String? = ProcessInfo.processInfo.environment["_"]) -> [String] {
        guard let argument0, !argument0.isEmpty else { return ["charlstm"] }
        var relative = argument0
        if FilePath(argument0).isAbsolute {
            let folder = currentFolder.map { FilePath($0).withoutTrailingSlashes.string } ?? ""
            guard folder.count > 1, argument0.hasPrefix(folder + "/") else { return [argument0] }
            relative = String(argument0.dropFirst(folder.count + 1))
        }
        let inside = FilePath(relative).components
        let byShell = launcher.flatMap { FilePath($0).lastComponent } == "swift"
        guard inside.count == 4 || (inside.count == 3 && byShell), inside[0] == ".build",
              let configuration = ["release", "debug"].first(where: { $0 == inside[inside.count - 2] }),
              let name = inside.last else { return [argument0] }
        return ["swift", "run"] + (configuration == "release" ? ["-c", "release"] : []) + [name]
    }

    /// `words` as one shell command line: each word as it is when it needs no quoting, else in single quotes.
    static func line(_ words: [String]) -> String {
        words.map(quoted).joined(separator: " ")
    }

    /// `word` for a POSIX shell: unchanged when it holds only letters, digits and `_ - . / , : @ % + =`, else between
    /// single quotes (a single quote inside written `'\''`).
    static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "_-./,:@%+=".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacingAll("'", with: "'\\''") + "'"
    }
}
