import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `charlstm eval` and `info`: texts the model cannot read, and one JSON style that names the checkpoint.
@Suite struct EvalCommandTests {
    @Test func aFileWithCharactersTheModelLacksIsRefusedNamingThem() {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        let file = TestCorpus.write("To be, or not to be: ßé ß", "held-out.txt", in: folder)
        let run = Tool.expectFailure(["eval", file, "--checkpoint", checkpoint], code: 65)
        #expect(run.err == "error: '\(file)' has 2 characters that are not in the model's vocabulary: 'ß' (U+00DF), 'é' (U+00E9): "
            + "leave them out or read them as a character the model knows (--skip-unknown, or --replace-unknown C)\n")
        #expect(run.out.isEmpty)
        let one = TestCorpus.write("To be\u{7}", "bell.txt", in: folder)
        Tool.expectFailure(["eval", one, "--checkpoint", checkpoint], code: 65,
                           mentions: ["has a character that is not in the model's vocabulary: '\\u{07}' (U+0007)"])
        let short = TestCorpus.write("T", "short.txt", in: folder)
        Tool.expectFailure(["eval", short, "--checkpoint", checkpoint], code: 65, mentions: ["at least 2"])
    }

    /// `--skip-unknown` and `--replace-unknown C` read such a file, and say what they left out or replaced; `inspect`
    /// takes the same options.
    @Test func unknownCharactersCanBeLeftOutOrReplaced() throws {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        let file = TestCorpus.write("To be, or not to be: ßé ß", "held-out.txt", in: folder)
        let skipped = Tool.run(["eval", file, "--checkpoint", checkpoint, "--skip-unknown"])
        #expect(skipped.code == 0 && skipped.out.contains("of 21 predictions"), "\(skipped)")
        #expect(skipped.err == "left out 3 characters the model lacks: 'ß' (U+00DF) ×2, 'é' (U+00E9) ×1\n")
        let replaced = Tool.run(["eval", file, "--checkpoint", checkpoint, "--replace-unknown", "s"])
        #expect(replaced.code == 0 && replaced.out.contains("of 24 predictions"), "\(replaced)")
        #expect(replaced.err == "read 3 characters the model lacks as 's' (U+0073): 'ß' (U+00DF) ×2, 'é' (U+00E9) ×1\n")
        Tool.expectFailure(["eval", file, "--checkpoint", checkpoint, "--skip-unknown", "--replace-unknown", "s"], code: 64,
                           mentions: ["exclude each other"])
        Tool.expectFailure(["eval", file, "--checkpoint", checkpoint, "--replace-unknown", "ss"], code: 64, mentions: ["one character"])
        let page = folder.path + "/page.html"
        let inspected = Tool.run(["inspect", file, "--checkpoint", checkpoint, "--skip-unknown", "--out", page])
        #expect(inspected.code == 0 && inspected.err.hasPrefix("left out 3 characters"), "\(inspected)")
    }

    @Test func evalAndInfoPrintOneCompactJSONObjectNamingTheCheckpoint() throws {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        let file = TestCorpus.write(TestCorpus.english(characters: 500), "held-out.txt", in: folder)
        for arguments in [["eval", file, "--checkpoint", checkpoint, "--json", "--threads", "1"], ["info", checkpoint, "--json"]] {
            let run = Tool.run(arguments)
            #expect(run.code == 0 && run.err.isEmpty, "\(run)")
            let value = try JSONValue.parse(run.out.trimmingCharacters(in: .newlines))
            // One style: the canonical encoding (compact, keys sorted), one object on one line.
            #expect(run.out == value.encoded + "\n")
            guard case .object(let fields) = value else {
                Issue.record("\(arguments[0]) --json printed \(run.out)")
                continue
            }
            #expect(fields["checkpoint"]?.stringValue == checkpoint)
        }
        let eval = try JSONValue.parse(Tool.run(["eval", file, "--checkpoint", checkpoint, "--json"]).out.trimmingCharacters(in: .newlines))
        guard case .object(let fields) = eval else { return }
        #expect(fields["file"]?.stringValue == file && fields["chars"]?.intValue == 500 && fields["predictions"]?.intValue == 499)
    }

    /// On a terminal, `eval` draws its progress on standard error and clears it before the result; elsewhere it
    /// writes nothing there. The result on standard output is the same either way.
    @Test func progressOnATerminalOnly() throws {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        let file = TestCorpus.write(TestCorpus.english(characters: 2000), "held-out.txt", in: folder)
        func eval(terminal: Bool) throws -> (out: String, err: String) {
            let out = MemorySink(), err = MemorySink(isTerminal: terminal)
            var options = EvalOptions(file: file, checkpoint: checkpoint)
            options.threads = 1
            let code = try EvalCommand(options: options, console: Console(out: out, err: err), progressInterval: 0).run()
            #expect(code == 0)
            return (out.text, err.text)
        }
        let piped = try eval(terminal: false), shown = try eval(terminal: true)
        #expect(piped.err.isEmpty && shown.out == piped.out && piped.out.contains("1999 predictions"))
        #expect(shown.err.hasPrefix("\revaluating 12% (256 of 1999 characters)\u{1B}[K"), "\(shown.err)")
        #expect(shown.err.contains("\revaluating 100% (1999 of 1999 characters)\u{1B}[K\r\u{1B}[K"))
    }
}
