import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Ctrl-C sent to a real `charlstm train --column` process: as for text, it saves the step reached and exits
/// with 128 + the signal, and the run resumes from there.
@Suite struct SeriesSignalTests {
    @Test func sigintSavesLatestAndTheRunResumes() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(count: 2000), in: folder)
        let run = folder.path + "/run", latest = run + "/latest.safetensors"
        let child = try ChildProcess(executable, ["train", csv, "--column", "y", "--out", run, "--steps", "1000000000",
                                                  "--log-every", "1", "--eval-every", "1000000", "--checkpoint-every", "1000000"]
                                         + TestSeries.tinyModel,
                                     output: .file(folder.path + "/out.txt"), errorFile: folder.path + "/err.txt")
        let rows = { (FileManager.default.contents(atPath: run + "/metrics.csv") ?? Data()).filter { $0 == 10 }.count }
        #expect(waitUntil(timeout: 30) { rows() >= 3 }, "training did not start")
        child.signal(SIGINT)
        try #require(child.wait(timeout: 5) != nil, "the child did not exit within 5 s of the signal")
        let out = String(decoding: folder.contents("out.txt") ?? [], as: UTF8.self)
        #expect(child.exitCode == 128 + SIGINT, "\(out)")
        #expect(folder.contents("err.txt")?.isEmpty == true)
        let step = try #require(try Checkpoint.load(path: latest).training?.step)
        // The series run resumes from its checkpoint alone, as a text run does: no --column.
        #expect(out.contains("interrupted at step \(step): saved '\(latest)'; continue with: \(CommandWords.line(CommandWords.program(invokedAs: executable))) train --resume \(run) --threads 1"),
                "\(out)")
        let resumed = Tool.run(["train", csv, "--resume", run, "--steps", "\(step + 3)", "--threads", "1"])
        #expect(resumed.code == 0 && resumed.out.contains("resuming '\(latest)' at step \(step)"), "\(resumed)")
        #expect(try Checkpoint.load(path: latest).training?.step == step + 3)
    }
}
