import Foundation
import Testing
@testable import CharLSTM

/// Signals sent to a real `charlstm train` process.
@Suite struct SignalTests {
    /// `train` arguments for a child that trains until stopped, logging every step, never checkpointing by itself.
    private func endlessTraining(_ corpus: String, out: String) -> [String] {
        ["train", corpus, "--out", out, "--steps", "1000000000", "--log-every", "1", "--checkpoint-every", "1000000",
         "--eval-every", "1000000"] + Tool.tinyModel
    }

    /// Lines in the file at `path` (0 when it is missing).
    private func lineCount(_ path: String) -> Int {
        (FileManager.default.contents(atPath: path) ?? Data()).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalSavesLatestAndExits(signal: Int32) throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 20_000), in: folder)
        let run = folder.path + "/run"
        let child = try ChildProcess(executable, endlessTraining(corpus, out: run),
                                     output: .file(folder.path + "/out.txt"), errorFile: folder.path + "/err.txt")
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
        #expect(out.contains("charlstm train --resume \(run)"))
        let resumed = Tool.run(["train", "--resume", run, "--steps", "\(step + 3)", "--threads", "1"])
        #expect(resumed.code == 0, "\(resumed)")
        #expect(resumed.out.contains("resuming '\(latest)' at step \(step)"))
        #expect(try Checkpoint.load(path: latest).training?.step == step + 3)
    }

    /// Kills a training child with SIGKILL at seeded random moments, resuming each time from what it left.
    /// Every `latest.safetensors` left behind must load, and its step never goes back. Slow (about 15 s):
    /// runs only with `CHARLSTM_SLOW_TESTS=1`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CHARLSTM_SLOW_TESTS"] == "1", "set CHARLSTM_SLOW_TESTS=1"))
    func sigkillAtRandomMomentsNeverLeavesABrokenCheckpoint() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 20_000), in: folder)
        let run = folder.path + "/run"
        let latest = run + "/latest.safetensors", best = run + "/best.safetensors"
        var rng = RandomGenerator(seed: 0x5EED_C1A5)
        var lastStep = 0, checkpointsSeen = 0
        let kills = 20
        for kill in 0..<kills {
            let saving = ["--steps", "1000000000", "--log-every", "1", "--checkpoint-every", "3", "--eval-every", "7"]
            let arguments = Paths.exists(latest)
                ? ["train", "--resume", run, "--threads", "1"] + saving
                : ["train", corpus, "--out", run, "--force"] + Tool.tinyModel + saving
            let child = try ChildProcess(executable, arguments, output: .file(folder.path + "/out.txt"),
                                         errorFile: folder.path + "/err.txt")
            usleep(UInt32(20_000 + rng.nextUnitDouble() * 600_000))
            child.signal(SIGKILL)
            try #require(child.wait(timeout: 10) != nil)
            if let code = child.exitCode {
                // It ended by itself before the kill: only a failure would be wrong.
                let err = String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self)
                Issue.record("run \(kill) exited with \(code) before being killed: \(err)")
            }
            if Paths.exists(latest) {
                let step = try #require(try Checkpoint.load(path: latest).training?.step, "kill \(kill)")
                #expect(step >= lastStep, "kill \(kill): step went from \(lastStep) back to \(step)")
                lastStep = step
                checkpointsSeen += 1
            }
            if Paths.exists(best) { _ = try Checkpoint.load(path: best) }
            if Paths.exists(run + "/metrics.csv") { _ = try MetricsLog.read(path: run + "/metrics.csv") }
        }
        #expect(checkpointsSeen >= kills / 2)
        #expect(lastStep > 0)
    }
}
