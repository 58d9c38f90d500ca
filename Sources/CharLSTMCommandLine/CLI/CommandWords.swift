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
    /// `charlstm` when it was found on the PATH; the path they typed (`.build/release/charlstm`); `swift run -c
    /// release charlstm` (`swift run charlstm` for a debug build) for what `swift run` starts, an absolute path to a
    /// build folder of the current folder's package (`.build/[TRIPLE/]release/NAME`); any other path as it is; and
    /// `charlstm` when the name is unknown.
    static func program(invokedAs argument0: String? = CommandLine.arguments.first,
                        currentFolder: String? = FileManager.default.currentDirectoryPath,
                        configuration: BuildConfiguration = .current) -> [String] {
        guard let argument0, !argument0.isEmpty else { return ["charlstm"] }
        let path = FilePath(argument0)
        guard path.isAbsolute, let currentFolder else { return [argument0] }
        let folder = FilePath(currentFolder).withoutTrailingSlashes.string
        guard folder.count > 1, argument0.hasPrefix(folder + "/") else { return [argument0] }
        let inside = FilePath(String(argument0.dropFirst(folder.count + 1))).components
        guard (3...4).contains(inside.count), inside[0] == ".build", ["release", "debug"].contains(inside[inside.count - 2]),
              let name = inside.last else { return [argument0] }
        return ["swift", "run"] + (configuration == .release ? ["-c", "release"] : []) + [name]
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
