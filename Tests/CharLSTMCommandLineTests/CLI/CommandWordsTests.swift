import Testing
@testable import CharLSTMCommandLine

/// The commands the program prints for people to run: its own name as it was called, words quoted for the shell.
@Suite struct CommandWordsTests {
    @Test func theProgramIsNamedAsItWasCalled() {
        func words(_ argument0: String?, in folder: String, by launcher: String? = nil) -> [String] {
            CommandWords.program(invokedAs: argument0, currentFolder: folder, launcher: launcher)
        }
        let home = "/home/me/CharLSTM"
        #expect(words("charlstm", in: home, by: "/usr/local/bin/charlstm") == ["charlstm"])
        #expect(words(".build/release/charlstm", in: home, by: ".build/release/charlstm") == [".build/release/charlstm"])
        // `swift run` starts the build's executable by its path (as on this toolchain: relative, under the triple's
        // folder; the shell's `$_` is then `swift`): the command says `swift run` again.
        let swift = "/opt/swift/usr/bin/swift"
        #expect(words(".build/x86_64-unknown-linux-gnu/release/charlstm", in: home, by: swift)
                == ["swift", "run", "-c", "release", "charlstm"])
        #expect(words(".build/x86_64-unknown-linux-gnu/release/charlstm", in: home) == ["swift", "run", "-c", "release", "charlstm"])
        #expect(words(home + "/.build/aarch64-unknown-linux-gnu/release/charlstm", in: home + "/")
                == ["swift", "run", "-c", "release", "charlstm"])
        #expect(words(".build/x86_64-unknown-linux-gnu/debug/charlstm", in: home, by: swift) == ["swift", "run", "charlstm"])
        #expect(words(".build/release/charlstm", in: home, by: swift) == ["swift", "run", "-c", "release", "charlstm"])
        // Other paths stay as they are.
        #expect(words(home + "/.build/release/charlstm", in: home) == [home + "/.build/release/charlstm"])
        #expect(words(home + "/bin/charlstm", in: home) == [home + "/bin/charlstm"])
        #expect(words(home + "/.build/x86_64-unknown-linux-gnu/release/charlstm", in: "/home/me")
                == [home + "/.build/x86_64-unknown-linux-gnu/release/charlstm"])
        #expect(words("/usr/local/bin/charlstm", in: "/home/me") == ["/usr/local/bin/charlstm"])
        #expect(words("./charlstm", in: "/home/me", by: swift) == ["./charlstm"])
        #expect(words("/charlstm", in: "/") == ["/charlstm"])
        #expect(words(nil, in: "/") == ["charlstm"])
        #expect(words("", in: "/") == ["charlstm"])
        #expect(CommandWords.line(words("/srv/my tools/charlstm", in: "/")) == "'/srv/my tools/charlstm'")
    }

    @Test func wordsAreQuotedOnlyWhenTheShellNeedsIt() {
        #expect(CommandWords.line(["charlstm", "train", "--resume", "Checkpoints/my-novel_2", "--threads", "1"])
                == "charlstm train --resume Checkpoints/my-novel_2 --threads 1")
        #expect(CommandWords.quoted("my run") == "'my run'")
        #expect(CommandWords.quoted("it's") == #"'it'\''s'"#)
        #expect(CommandWords.quoted("") == "''")
        for word in ["$HOME", "a*b", "x;y", "`z`", "a\"b", "ü", "a\nb", "~x"] {
            #expect(CommandWords.quoted(word) == "'\(word)'")
        }
    }
}
