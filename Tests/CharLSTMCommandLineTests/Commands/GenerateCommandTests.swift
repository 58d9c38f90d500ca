import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `charlstm generate`: reproducible, greedy at temperature 0, priming, stopping, pipes and non-Latin text.
@Suite struct GenerateCommandTests {
    /// A folder holding the shared trained checkpoint as `model.safetensors`.
    private func model() -> (folder: TemporaryFolder, path: String) {
        let folder = TemporaryFolder()
        return (folder, folder.file("model.safetensors", SharedRun.files.latest))
    }

    private func generate(_ checkpoint: String, _ options: [String]) -> ToolRun {
        Tool.run(["generate", "--checkpoint", checkpoint, "--threads", "1"] + options)
    }

    @Test func sameSeedSameText() {
        let (folder, path) = model()
        let a = generate(path, ["--seed", "42", "--length", "300", "--top-k", "10", "--temperature", "0.9"])
        let b = generate(path, ["--seed", "42", "--length", "300", "--top-k", "10", "--temperature", "0.9"])
        let c = generate(path, ["--seed", "43", "--length", "300", "--top-k", "10", "--temperature", "0.9"])
        #expect(a.code == 0 && a.out.unicodeScalars.count == 300, "\(a)")
        #expect(Array(a.out.utf8) == Array(b.out.utf8))
        #expect(a.out != c.out)
        #expect(a.err == "generating from '\(path)' (seed 42)\n")
        withExtendedLifetime(folder) {}
    }

    @Test func temperatureZeroIsArgmaxDecoding() throws {
        let (folder, path) = model()
        let prime = "To be"
        let a = generate(path, ["--temperature", "0", "--prime", prime, "--length", "120", "--seed", "1"])
        let b = generate(path, ["--temperature", "0", "--prime", prime, "--length", "120", "--seed", "2"])
        #expect(a.code == 0, "\(a)")
        #expect(a.out == b.out, "no randomness at temperature 0")

        // The same by hand: feed the prime, then always the most likely character (lowest index on ties).
        let checkpoint = try Checkpoint.load(path: path)
        let runner = StepRunner(model: checkpoint.makeNetwork())
        var logits: [Float] = []
        for s in prime.unicodeScalars { logits = Array(runner.step(checkpoint.vocabulary.index(of: s)!)) }
        var expected = String.UnicodeScalarView(prime.unicodeScalars)
        for _ in 0..<120 {
            let best = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
            expected.append(checkpoint.vocabulary.scalars[best])
            logits = Array(runner.step(Int32(best)))
        }
        #expect(a.out == String(expected))
        withExtendedLifetime(folder) {}
    }

    @Test func primeIsEchoedAndStopEndsRightAfterTheStopText() {
        let (folder, path) = model()
        let primed = generate(path, ["--prime", "Whether ", "--length", "50", "--seed", "5"])
        #expect(primed.code == 0)
        #expect(primed.out.hasPrefix("Whether ") && primed.out.unicodeScalars.count == 8 + 50, "\(primed)")

        let stopped = generate(path, ["--prime", "The ", "--length", "1000", "--seed", "5", "--stop", "e"])
        #expect(stopped.code == 0)
        let generated = String(stopped.out.dropFirst(4))
        #expect(stopped.out.hasPrefix("The "))
        #expect(generated.hasSuffix("e") && generated.filter { $0 == "e" }.count == 1, "\(stopped)")
        #expect(generated.count < 1000)

        let longer = generate(path, ["--length", "1000", "--seed", "6", "--stop", "th"])
        #expect(longer.out.hasSuffix("th") && longer.out.ranges(of: "th").count == 1, "\(longer)")

        let none = generate(path, ["--prime", "To be", "--length", "0"])
        #expect(none.code == 0 && none.out == "To be", "\(none)")
        withExtendedLifetime(folder) {}
    }

    @Test func onATerminalTheOutputEndsWithOneLineBreak() {
        let (folder, path) = model()
        func generate(_ options: [String], terminal: Bool) -> String {
            let out = MemorySink(isTerminal: terminal)
            let code = CommandLineTool.main(["generate", "--checkpoint", path, "--threads", "1", "--seed", "4"] + options,
                                            console: Console(out: out, err: MemorySink()))
            #expect(code == 0)
            return out.text
        }
        let piped = generate(["--prime", "To be", "--length", "40"], terminal: false)
        #expect(generate(["--prime", "To be", "--length", "40"], terminal: true) == piped + "\n")
        #expect(generate(["--prime", "To be", "--length", "0"], terminal: true) == "To be\n")
        // Text that already ends with a line break gets no second one.
        let line = generate(["--length", "1000", "--stop", "\n"], terminal: true)
        #expect(line.hasSuffix("\n") && !line.hasSuffix("\n\n") && line.filter { $0 == "\n" }.count == 1, "\(line)")
        #expect(generate(["--prime", "", "--length", "0"], terminal: true) == "")
        withExtendedLifetime(folder) {}
    }

    @Test func unknownPrimeCharacterIsRejectedByNameAndCode() {
        let (folder, path) = model()
        let run = Tool.expectFailure(["generate", "--checkpoint", path, "--prime", "To ßé"], code: 64,
                                     mentions: ["'ß' (U+00DF)", "'é' (U+00E9)", "not in the model's vocabulary"])
        #expect(run.out.isEmpty)
        Tool.expectFailure(["generate", "--checkpoint", path, "--prime", "a\u{7}b"], code: 64, mentions: ["(U+0007)"])
        withExtendedLifetime(folder) {}
    }

    @Test func closedPipeEndsGenerationCleanly() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let (folder, path) = model()
        let child = try ChildProcess(executable, ["generate", "--checkpoint", path, "--length", "1000000", "--seed", "3",
                                                  "--threads", "1"],
                                     output: .pipe, errorFile: folder.path + "/err.txt")
        let head = child.read(count: 100)
        child.closeOutput()
        let status = child.wait(timeout: 20)
        #expect(head.count == 100)
        try #require(status != nil, "generate kept running after its reader went away")
        #expect(child.exitCode == 0, "status \(status!)")
        let err = String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self)
        #expect(err == "generating from '\(path)' (seed 3)\n")
    }

    @Test func chineseModelGeneratesValidUTF8FromItsVocabulary() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let text = TestCorpus.chinese()
        let corpus = TestCorpus.write(text, in: folder)
        let trained = Tool.run(["train", corpus, "--out", folder.path + "/run", "--steps", "15", "--hidden", "24",
                                "--layers", "1", "--batch-size", "4", "--seq-length", "16", "--val-fraction", "0.1",
                                "--threads", "1"])
        #expect(trained.code == 0, "\(trained)")
        let child = try ChildProcess(executable, ["generate", "--checkpoint", folder.path + "/run", "--length", "300",
                                                  "--prime", "床前", "--seed", "8", "--threads", "1"],
                                     output: .file(folder.path + "/out.txt"), errorFile: folder.path + "/err.txt")
        _ = try #require(child.wait(timeout: 30))
        #expect(child.exitCode == 0)
        let bytes = folder.contents("out.txt") ?? []
        let output = try #require(String(validating: bytes, as: UTF8.self), "the output is not valid UTF-8")
        let vocabulary = Set(text.unicodeScalars)
        #expect(output.hasPrefix("床前"))
        #expect(output.unicodeScalars.count == 2 + 300)
        #expect(output.unicodeScalars.allSatisfy { vocabulary.contains($0) })
        #expect(output.unicodeScalars.contains { $0.value > 0x3000 }, "mostly CJK text was expected")
    }
}

/// `generate --samples N`: N streams in one batched step, sample i the text of a single run with seed + i − 1.
@Suite struct GenerateSamplesTests {
    @Test func eachSampleIsTheSingleRunOfItsSeed() {
        let folder = TemporaryFolder()
        let path = folder.file("model.safetensors", SharedRun.files.latest)
        let options = ["--checkpoint", path, "--threads", "2", "--length", "150", "--temperature", "0.9", "--prime", "Th"]
        let batch = Tool.run(["generate", "--samples", "3", "--seed", "41"] + options)
        #expect(batch.code == 0, "\(batch)")
        #expect(batch.err == "generating 3 samples from '\(path)' (seeds 41 to 43)\n")
        var expected = ""
        for i in 0..<3 {
            let single = Tool.run(["generate", "--seed", "\(41 + i)"] + options)
            #expect(single.code == 0, "\(single)")
            expected += (i > 0 ? "\n" : "") + "--- sample \(i + 1) of 3 (seed \(41 + i)) ---\n" + single.out
            if !single.out.hasSuffix("\n") { expected += "\n" }
        }
        #expect(batch.out == expected)
        // With a stop text each sample ends right after it, as a single run does.
        let stopped = Tool.run(["generate", "--samples", "2", "--seed", "41", "--stop", "e"] + options)
        let one = Tool.run(["generate", "--seed", "42", "--stop", "e"] + options)
        #expect(stopped.code == 0 && stopped.out.hasSuffix("--- sample 2 of 2 (seed 42) ---\n" + one.out + "\n"), "\(stopped)")
        withExtendedLifetime(folder) {}
    }
}
