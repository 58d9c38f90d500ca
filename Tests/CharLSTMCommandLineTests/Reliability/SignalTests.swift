import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Signals sent to a real `charlstm train` process.
@Suite struct SignalTests {
    /// Lines in the file at `path` (0 when it is missing).
    private func lineCount(_ path: String) -> Int {
        (FileManager.default.contents(atPath: path) ?? Data()).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    }

    @Test(arguments: ModelKind.allCases, [SIGINT, SIGTERM])
    func signalSavesLatestAndExits(kind: ModelKind, signal: Int32) throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let training = try EndlessTraining(executable, in: folder, kind: kind)
        let (child, run) = (training.child, training.run)
        // Two metrics rows: the loop (and its signal watcher) is running.
        #expect(waitUntil(timeout: 30) { lineCount(run + "/metrics.csv") >= 3 }, "training did not start")
        let sent = Date()
        child.signal(signal)
        let status = child.wait(timeout: 5)
        let seconds = Date().timeIntervalSince(sent)
        let out = String(decoding: folder.contents("out.txt") ?? [], as: UTF8.self)
        let err = String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self)
        try #require(status != nil, "the child did not exit within 5 s of the signal")
        #expect(child.exitCode == 128 + signal, "stdout: \(out)\nstderr: \(err)")
        #expect(seconds < 5)
        #expect(err.isEmpty)

        // It says where it saved, and that checkpoint loads and resumes.
        let latest = run + "/latest.safetensors"
        let checkpoint = try Checkpoint.load(path: latest)
        let step = try #require(checkpoint.training?.step)
        #expect(step >= 2)
        #expect(out.contains("interrupted at step \(step): saved '\(latest)'"), "\(out)")
        // The command to continue: the program as it was called, the folder, and the threads asked for.
        #expect(out.contains("; continue with: \(CommandWords.line(CommandWords.program(invokedAs: executable))) train --resume \(run) --threads 1\n"), "\(out)")
        let resumed = Tool.run(["train", "--resume", run, "--steps", "\(step + 3)", "--threads", "1"])
        #expect(resumed.code == 0, "\(resumed)")
        #expect(resumed.out.contains("resuming '\(latest)' at step \(step)"))
        #expect(try Checkpoint.load(path: latest).training?.step == step + 3)
    }

    /// A validation of many one-character batches (batch 1 × 1 step, 100,000 held-out characters of a 1024-wide
    /// model: minutes of work) gives way to SIGTERM within seconds: the step is saved, exit 143.
    @Test func signalDuringALongValidationStopsWithinSeconds() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 200_000), in: folder)
        let run = folder.path + "/run"
        let child = try ChildProcess(executable, ["train", corpus, "--out", run, "--steps", "1", "--hidden", "1024",
                                                  "--layers", "1", "--batch-size", "1", "--seq-length", "1",
                                                  "--val-fraction", "0.5", "--threads", "1"],
                                     output: .file(folder.path + "/out.txt"), errorFile: folder.path + "/err.txt")
        defer { if child.wait(timeout: 0) == nil { child.signal(SIGKILL); _ = child.wait(timeout: 10) } }
        // metrics.csv is made when the loop starts (its signal watcher running); the one step takes milliseconds.
        #expect(waitUntil(timeout: 30) { Files.exists(run + "/metrics.csv") }, "training did not start")
        usleep(1_000_000)
        child.signal(SIGTERM)
        let status = child.wait(timeout: 5)
        let out = String(decoding: folder.contents("out.txt") ?? [], as: UTF8.self)
        try #require(status != nil, "the child did not exit within 5 s of SIGTERM during validation; stdout: \(out)")
        #expect(child.exitCode == 128 + SIGTERM, "stdout: \(out)")
        #expect(try Checkpoint.load(path: run + "/latest.safetensors").training?.step == 1)
        #expect(out.contains("interrupted at step 1: saved"), "\(out)")
    }

    /// The reader of standard output going away stops training as a signal does: the steps are saved, standard
    /// error says so and how to continue, and the exit code is 141 (128 + SIGPIPE), not 0.
    @Test func closedStandardOutputStopsTrainingWithItsWorkSaved() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = ModelKind.text.writeData(in: folder, size: 20_000)
        let run = folder.path + "/run"
        let child = try ChildProcess(executable, Tool.tinyArguments(corpus, out: run, steps: 1_000_000_000)
                                         + ["--log-every", "1", "--checkpoint-every", "1000000", "--eval-every", "1000000"],
                                     output: .pipe, errorFile: folder.path + "/err.txt")
        defer { if child.wait(timeout: 0) == nil { child.signal(SIGKILL); _ = child.wait(timeout: 10) } }
        #expect(child.read(count: 1).count == 1)
        child.closeOutput()
        try #require(child.wait(timeout: 20) != nil, "training kept running after its reader went away")
        let err = String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self)
        #expect(child.exitCode == 128 + SIGPIPE, "stderr: \(err)")
        let step = try #require(try Checkpoint.load(path: run + "/latest.safetensors").training?.step)
        #expect(err.hasPrefix("error: standard output was closed (its reader went away): stopped at step \(step), "
            + "saved '\(run)/latest.safetensors'; continue with: "), "\(err)")
        #expect(err.split(separator: "\n").count == 1, "\(err)")
    }

    /// `--force` replaces the old run only when the new one first saves: killed before then, the new run leaves
    /// the old run's files byte for byte (its own metrics, logged to a temporary name, are cleared by the next run).
    @Test func sigkillOfAForcedRunBeforeItsFirstSaveKeepsTheOldRun() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 20_000), in: folder)
        let run = folder.path + "/run"
        let old = Tool.trainTiny(corpus, out: run, steps: 6, ["--eval-every", "3"])
        try #require(old.code == 0, "\(old)")
        let files = ["latest.safetensors", "best.safetensors", "metrics.csv", "loss.svg"]
        let before = FileSnapshot.folder(run)
        #expect(before.keys.sorted() == files.sorted())
        func staged() -> [String] { Files.names(inFolder: run).filter { $0.hasPrefix(".metrics.csv.tmp-") } }

        let child = try ChildProcess(executable, Tool.tinyArguments(corpus, out: run, steps: 1_000_000_000)
                                         + ["--force", "--seed", "7", "--log-every", "1", "--checkpoint-every", "1000000",
                                            "--eval-every", "1000000"],
                                     output: .file(folder.path + "/out.txt"), errorFile: folder.path + "/err.txt")
        // Three rows of its own metrics: the new run is training.
        let training = waitUntil(timeout: 30) { staged().first.map { lineCount(run + "/" + $0) >= 4 } ?? false }
        child.signal(SIGKILL)
        try #require(child.wait(timeout: 10) != nil)
        try #require(training, "the forced run did not start: \(String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self))")
        for name in files { #expect(FileSnapshot(run + "/" + name) == before[name], "\(name)") }
        #expect(staged().count == 1)

        // The old run goes on from its own checkpoint, and the killed run's metrics are cleared.
        let resumed = Tool.run(["train", "--resume", run, "--steps", "8", "--threads", "1"])
        #expect(resumed.code == 0, "\(resumed)")
        #expect(resumed.out.contains("at step 6"), "\(resumed)")
        #expect(staged().isEmpty)
        #expect(try MetricsLog.read(path: run + "/metrics.csv").map(\.step) == [3, 6, 8])
    }

    /// Kills a training child with SIGKILL at seeded random moments, resuming each time from what it left.
    /// Each child is killed only after it has saved a checkpoint beyond the last one seen, at a random moment
    /// of its next steps and saves. Every `latest.safetensors` left behind must load, its step must have
    /// advanced past the previous kill's, at most the one interrupted temporary file may be left, and the
    /// next run clears it: after a last clean run no temporary file remains. Slow (about 20 s): runs only
    /// with `CHARLSTM_SLOW_TESTS=1`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CHARLSTM_SLOW_TESTS"] == "1", "set CHARLSTM_SLOW_TESTS=1"),
          arguments: ModelKind.allCases)
    func sigkillAtRandomMomentsNeverLeavesABrokenCheckpoint(kind: ModelKind) throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = kind.writeData(in: folder, size: 20_000)
        let run = folder.path + "/run"
        let latest = run + "/latest.safetensors", best = run + "/best.safetensors"
        func temporaryFiles() -> [String] { Files.names(inFolder: run).filter { $0.contains(".tmp-") } }
        func savedStep() -> Int? { (try? Checkpoint.load(path: latest))?.training?.step }
        var rng = RandomGenerator(seed: 0x5EED_C1A5)
        var lastStep = 0
        let kills = 20
        // Patience beyond reach: a series run would otherwise stop by itself when it stops improving (its default).
        let saving = ["--log-every", "1", "--checkpoint-every", "3", "--eval-every", "7", "--patience", "1000000"]
        for kill in 0..<kills {
            let arguments = Files.exists(latest)
                ? ["train", "--resume", run, "--threads", "1", "--steps", "1000000000"] + saving
                : kind.tinyArguments(corpus, out: run, steps: 1_000_000_000) + ["--force"] + saving
            let child = try ChildProcess(executable, arguments, output: .file(folder.path + "/out.txt"),
                                         errorFile: folder.path + "/err.txt")
            // Once it has saved beyond the last kill, kill it at a random moment of what follows.
            let advanced = waitUntil(timeout: 60) { (savedStep() ?? -1) > lastStep }
            usleep(UInt32(rng.nextUnitDouble() * 300_000))
            child.signal(SIGKILL)
            try #require(child.wait(timeout: 10) != nil)
            let err = String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self)
            try #require(advanced, "kill \(kill): no checkpoint beyond step \(lastStep) was saved: \(err)")
            if let code = child.exitCode { Issue.record("run \(kill) exited with \(code) before being killed: \(err)") }
            let step = try #require(try Checkpoint.load(path: latest).training?.step, "kill \(kill)")
            #expect(step > lastStep, "kill \(kill): step went from \(lastStep) to \(step)")
            lastStep = step
            #expect(temporaryFiles().count <= 1, "kill \(kill): \(temporaryFiles())")
            if Files.exists(best) { _ = try Checkpoint.load(path: best) }
            if Files.exists(run + "/metrics.csv") {
                _ = try MetricsLog.read(path: run + "/metrics.csv", header: kind == .text ? MetricsLog.header : MetricsLog.seriesHeader)
            }
        }
        // A last run to its end clears what the kills left.
        let last = Tool.run(["train", "--resume", run, "--threads", "1", "--steps", "\(lastStep + 2)"])
        #expect(last.code == 0, "\(last)")
        #expect(temporaryFiles().isEmpty, "\(temporaryFiles())")
        #expect(!Files.exists(run + "/" + RunFolderLock.fileName))
        #expect(try Checkpoint.load(path: latest).training?.step == lastStep + 2)
        // Each resume dropped the rows the killed run logged after its last checkpoint: the steps never go back.
        let steps = try MetricsLog.read(path: run + "/metrics.csv", header: kind == .text ? MetricsLog.header : MetricsLog.seriesHeader)
            .map(\.step)
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $0 < $1 }, "\(steps)")
        #expect(steps.last == lastStep + 2)
    }
}
