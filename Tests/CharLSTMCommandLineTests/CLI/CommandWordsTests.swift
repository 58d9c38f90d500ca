import Testing
@testable import CharLSTMCommandLine

/// The commands the program prints for people to run: its own name as it was called, words quoted for the shell.
@Suite struct CommandWordsTests {
    @Test func theProgramIsNamedAsItWasCalled() {
        func words(_ argument0: String?, in folder: String, _ configuration: BuildConfiguration = .release) -> [String] {
            CommandWords.program(invokedAs: argument0, currentFolder: folder, configuration: configuration)
        }
        #expect(words("charlstm", in: "/home/me/CharLSTM") == ["charlstm"])
        #expect(words(".build/release/charlstm", in: "/home/me/CharLSTM") == [".build/release/charlstm"])
        // `swift run` starts the build's executable by its absolute path: the command says `swift run` again.
        #expect(words("/home/me/CharLSTM/.build/x86_64-unknown-linux-gnu/release/charlstm", in: "/home/me/CharLSTM/")
                == ["swift", "run", "-c", "release", "charlstm"])
        #expect(words("/home/me/CharLSTM/.build/release/charlstm", in: "/home/me/CharLSTM") == ["swift", "run", "-c", "release", "charlstm"])
        #expect(words("/home/me/CharLSTM/.build/debug/charlstm", in: "/home/me/CharLSTM", .debug) == ["swift", "run", "charlstm"])
        // Other absolute paths stay as they are.
        #expect(words("/home/me/CharLSTM/bin/charlstm", in: "/home/me/CharLSTM") == ["/home/me/CharLSTM/bin/charlstm"])
        #expect(words("/home/me/CharLSTM/.build/release/charlstm", in: "/home/me") == ["/home/me/CharLSTM/.build/release/charlstm"])
        #expect(words("/usr/local/bin/charlstm", in: "/home/me") == ["/usr/local/bin/charlstm"])
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
