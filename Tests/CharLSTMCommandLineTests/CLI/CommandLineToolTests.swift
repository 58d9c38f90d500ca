import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `CommandLineTool.main` end to end, with memory sinks for standard output and error.
@Suite struct CommandLineToolTests {
    private func run(_ arguments: [String], out: MemorySink = MemorySink()) -> (code: Int32, out: String, err: String) {
        let err = MemorySink()
        let code = CommandLineTool.main(arguments, console: Console(out: out, err: err))
        return (code, out.text, err.text)
    }

    @Test func helpAndVersionGoToStandardOutput() {
        let out = MemorySink()
        #expect(run(["help", "info"], out: out) == (0, HelpTextTests.infoHelp, ""))
        #expect(out.flushCount == 1)
        #expect(run([]) == (0, HelpTextTests.overviewHelp, ""))
        #expect(run(["--version"]) == (0, "0.1.0\n", ""))
    }

    @Test func usageErrorsGoToStandardErrorWithAHelpLine() {
        #expect(run(["train", "--hiden", "3"]) == (64, "", """
            error: unknown option '--hiden' (did you mean '--hidden'?)
            help: see 'charlstm train --help'

            """))
        #expect(run(["trian"]) == (64, "", "error: unknown command 'trian' (did you mean 'train'?)\nhelp: see 'charlstm --help'\n"))
        #expect(run(["help", "x"]).err == "error: unknown command 'x'\nhelp: see 'charlstm --help'\n")
    }

    @Test func commandErrorsAreOneLineWithoutAHelpLine() {
        #expect(run(["info", "/nonexistent/x"]) == (66, "", "error: no such checkpoint file or folder: '/nonexistent/x'\n"))
        // A name with bytes that are not UTF-8 arrives with U+FFFD in their place: said so, as for a missing file.
        #expect(run(["info", "/nonexistent/\u{FFFD}/"]) == (66, "", "error: no such checkpoint file or folder: '/nonexistent/\u{FFFD}/' "
            + "(� stands for bytes that are not UTF-8: if the name has such bytes, rename it or use a link with a UTF-8 name)\n"))
        #expect(run(["eval", "/nonexistent/t.txt", "--checkpoint", "/nonexistent/c"]).code == 66)
    }

    @Test func brokenPipeEndsQuietly() {
        #expect(run(["--help"], out: MemorySink(failure: BrokenPipe())) == (0, "", ""))
    }

    @Test func otherWriteFailuresAreReported() {
        let failing = MemorySink(failure: CharLSTMError(.io, "disk full"))
        #expect(run(["--version"], out: failing) == (74, "", "error: disk full\n"))
    }
}
