import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Bad corpora and bad options: one `error:` line, an exit code in 64..<128, nothing written.
@Suite struct InputErrorTests {
    // MARK: Corpus

    @Test func missingCorpusOrFolder() {
        let folder = TemporaryFolder()
        let out = folder.path + "/out"
        Tool.expectFailure(["train", folder.path + "/nope.txt", "--out", out], code: 66, mentions: ["nope.txt", "no such file"])
        Tool.expectFailure(["train", folder.path, "--out", out], code: 66, mentions: ["is a folder"])
        #expect(!Files.exists(out))
    }

    @Test func emptyInvalidAndBinaryCorpora() {
        let folder = TemporaryFolder()
        let out = folder.path + "/out"
        let empty = folder.file("empty.txt", [])
        let bom = folder.file("bom.txt", [0xEF, 0xBB, 0xBF])
        let invalid = folder.file("invalid.txt", Array("héllo wörld".utf8) + [0xC3, 0x28] + Array("more".utf8))
        let binary = folder.file("binary.bin", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00])
        Tool.expectFailure(["train", empty, "--out", out], code: 65, mentions: ["empty.txt", "is empty"])
        Tool.expectFailure(["train", bom, "--out", out], code: 65, mentions: ["is empty"])
        // "héllo wörld" is 13 bytes, so the bad sequence starts at offset 13.
        Tool.expectFailure(["train", invalid, "--out", out], code: 65, mentions: ["not valid UTF-8", "0xC3", "offset 13"])
        Tool.expectFailure(["train", binary, "--out", out], code: 65, mentions: ["binary data", "offset 7"])
        #expect(!Files.exists(out))
    }

    @Test func corpusTooShortForOneBatchOrForValidation() {
        let folder = TemporaryFolder()
        let out = folder.path + "/out"
        let tiny = TestCorpus.write("hello world", in: folder)
        Tool.expectFailure(["train", tiny, "--out", out], code: 65, mentions: ["11 characters", "validation"])
        let short = TestCorpus.write(TestCorpus.english(characters: 400), "short.txt", in: folder)
        Tool.expectFailure(["train", short, "--out", out, "--batch-size", "64", "--seq-length", "100"], code: 65,
                           mentions: ["one batch of 64 streams × 100 characters needs 6401"])
        #expect(!Files.exists(out))
    }

    @Test(.enabled(if: !runningAsRoot, "root reads any file"))
    func unreadableCorpus() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        chmod(corpus, 0)
        Tool.expectFailure(["train", corpus, "--out", folder.path + "/out"], code: 66, mentions: ["permission denied"])
    }

    @Test func devicesAreRefusedAtOnce() {
        let folder = TemporaryFolder()
        let out = folder.path + "/out"
        let model = folder.file("model.safetensors", SharedRun.files.latest)
        for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            Tool.expectFailure(Tool.tinyArguments(device, out: out), code: 66, mentions: [device, "character device"])
            Tool.expectFailure(["eval", device, "--checkpoint", model], code: 66, mentions: [device, "character device"])
            Tool.expectFailure(["info", device], code: 66, mentions: ["character device"])
            Tool.expectFailure(["generate", "--checkpoint", device], code: 66, mentions: ["character device"])
            Tool.expectFailure(["train", "--resume", device], code: 66, mentions: ["character device"])
        }
        #expect(!Files.exists(out))
    }

    @Test func aNamedPipeIsRefusedAtOnceAndStandardInputIsRead() throws {
        let folder = TemporaryFolder()
        let out = folder.path + "/out"
        let text = TestCorpus.english()
        let corpus = TestCorpus.write(text, in: folder)
        #expect(Tool.trainTiny(corpus, out: out, steps: 2).code == 0)
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        #expect(Tool.run(["train", csv, "--column", "y", "--out", folder.path + "/series", "--steps", "2"] + TestSeries.tinyModel).code == 0)
        // A named pipe nobody writes to, as every input that may be a pipe: refused at once, naming it, and
        // saying what to do; nothing is created.
        let fifo = folder.path + "/data.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = Date()
        for arguments in [Tool.tinyArguments(fifo, out: folder.path + "/new"),
                          ["train", fifo, "--column", "y", "--out", folder.path + "/new"] + TestSeries.tinyModel,
                          ["eval", fifo, "--checkpoint", out], ["inspect", fifo, "--checkpoint", out, "--out", folder.path + "/p.html"],
                          ["eval", fifo, "--checkpoint", folder.path + "/series"],
                          ["forecast", fifo, "--checkpoint", folder.path + "/series"], ["bench", fifo]] {
            Tool.expectFailure(arguments, code: 66, mentions: [fifo, "named pipe", "write the data to a file"])
        }
        // A checkpoint must be a regular file: it is read at offsets, header first.
        Tool.expectFailure(["info", fifo], code: 66, mentions: ["is a pipe"])
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(!Files.exists(folder.path + "/new") && !Files.exists(folder.path + "/p.html"))
        // Standard input fed by a pipe, as a shell pipeline does it, is read to its end.
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let script = "cat \"$1\" | \"$0\" train /dev/stdin --out \"$2\" --steps 2 " + Tool.tinyModel.joined(separator: " ")
            + " && cat \"$1\" | \"$0\" eval /dev/stdin --checkpoint \"$2\" --json --threads 1"
        let piped = try ChildProcess.runTool("/bin/sh", ["-c", script, executable, corpus, folder.path + "/piped"], in: folder.path)
        #expect(piped.code == 0 && piped.out.contains("\"chars\":\(text.unicodeScalars.count)"), "\(piped)")
        #expect(try Checkpoint.load(path: folder.path + "/piped/latest.safetensors").training?.config.corpus == "/dev/stdin")
    }

    @Test func aPipeThatNeverEndsStopsWithAnErrorAtTheBound() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let out = folder.path + "/out"
        let script = "yes 'To be, or not to be, that is the question:' 2>/dev/null | \"$0\" train /dev/stdin --out \"$1\" --steps 2 "
            + Tool.tinyModel.joined(separator: " ")
        let run = try ChildProcess.runTool("/bin/sh", ["-c", script, executable, out], in: folder.path)
        Tool.expectFailureShape(run, code: 65, mentions: ["more than 256.0 MiB came through the pipe", "/dev/stdin",
                                                          "save the text to a file"])
        #expect(!Files.exists(out))
    }

    // MARK: Options

    @Test func malformedOptions() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let out = folder.path + "/out"
        func bad(_ options: [String], _ mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            let run = Tool.expectFailure(["train", corpus, "--out", out] + options, code: 64, mentions: mentions,
                                         sourceLocation: sourceLocation)
            #expect(run.errLines.last == "help: see 'charlstm train --help'", sourceLocation: sourceLocation)
        }
        bad(["--hiden", "8"], ["unknown option '--hiden'", "did you mean '--hidden'"])
        bad(["--learning-rat", "0.1"], ["did you mean '--learning-rate'"])
        bad(["--hidden"], ["missing value for '--hidden'"])
        bad(["--hidden", "eight"], ["'eight'", "--hidden"])
        bad(["--hidden", "1.5"], ["'1.5'", "--hidden"])
        bad(["--learning-rate", "fast"], ["'fast'", "--learning-rate"])
        bad(["--hidden", "-3"], ["--hidden", "-3"])
        bad(["--hidden", "0"], ["--hidden", "0"])
        bad(["--layers", "0"], ["--layers"])
        bad(["--batch-size", "0"], ["--batch-size"])
        bad(["--seq-length", "-1"], ["--seq-length"])
        bad(["--steps", "0"], ["--steps"])
        for value in ["nan", "NaN", "inf", "-inf", "infinity", "1e999"] {
            bad(["--learning-rate", value], ["--learning-rate"])
            bad(["--minutes", value], ["--minutes"])
        }
        bad(["--dropout", "1"], ["--dropout", "[0, 1)"])
        bad(["--dropout", "-0.1"], ["--dropout"])
        bad(["--dropout", "nan"], ["--dropout"])
        #expect(!Files.exists(out))
    }

    @Test func samplingOptionsOutOfRange() {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        func bad(_ options: [String], _ mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            let run = Tool.expectFailure(["generate", "--checkpoint", checkpoint] + options, code: 64, mentions: mentions,
                                         sourceLocation: sourceLocation)
            #expect(run.out.isEmpty, sourceLocation: sourceLocation)
        }
        bad(["--top-p", "0"], ["--top-p", "(0, 1]"])
        bad(["--top-p", "1.5"], ["--top-p"])
        bad(["--top-p", "nan"], ["--top-p"])
        bad(["--top-k", "0"], ["--top-k"])
        bad(["--temperature", "-0.5"], ["--temperature"])
        bad(["--temperature", "inf"], ["--temperature"])
        bad(["--length", "-1"], ["--length"])
        bad(["--length"], ["missing value for '--length'"])
        bad(["--seed", "-1"], ["--seed"])
        bad(["--prime"], ["missing value for '--prime'"])
    }

    @Test func modelTooLargeForMemoryIsRefusedBeforeAllocating() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let out = folder.path + "/out"
        let started = Date()
        let run = Tool.expectFailure(["train", corpus, "--out", out, "--hidden", "8192", "--layers", "16",
                                      "--batch-size", "100000", "--seq-length", "12"], code: 69, mentions: ["memory", "GiB", "--hidden"])
        #expect(run.err.contains("parameters, batch 100000 × 12"), "the size is explained: \(run.err)")
        // Allocating and zeroing terabytes would take far longer (or kill the process).
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(!Files.exists(out))
    }

    @Test func outputFolderUnderARegularFile() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let file = folder.file("taken", Array("keep me".utf8))
        Tool.expectFailure(Tool.tinyArguments(corpus, out: file + "/run"), code: 73, mentions: ["taken", "is a file"])
        Tool.expectFailure(Tool.tinyArguments(corpus, out: file), code: 73, mentions: ["is a file"])
        #expect(folder.contents("taken") == Array("keep me".utf8))
    }

    @Test(.enabled(if: !runningAsRoot, "root writes anywhere"))
    func unwritableOutputFolder() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let locked = folder.path + "/locked"
        try? FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        chmod(locked, 0o500)
        defer { chmod(locked, 0o700) }
        Tool.expectFailure(Tool.tinyArguments(corpus, out: locked), code: 73, mentions: ["locked"])
        Tool.expectFailure(Tool.tinyArguments(corpus, out: locked + "/sub"), code: 73, mentions: ["locked/sub"])
    }
}
