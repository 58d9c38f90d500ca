import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// A resume that cannot be honoured, or a new run aimed at an existing one, is refused before any file in
/// the output folder is touched.
@Suite struct ResumeRefusalTests {
    /// A folder with a corpus and a finished 10-step run in `run/`.
    private func trainedRun() -> (folder: TemporaryFolder, corpus: String, run: String) {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let run = folder.path + "/run"
        let result = Tool.trainTiny(corpus, out: run, steps: 10, ["--eval-every", "5"])
        #expect(result.code == 0, "\(result)")
        return (folder, corpus, run)
    }

    @Test func conflictingModelOptions() {
        let (folder, corpus, run) = trainedRun()
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(["train", corpus, "--resume", run, "--steps", "20", "--hidden", "32"], code: 78,
                           mentions: ["--hidden 32 (checkpoint: 16)", "fixed by the checkpoint"])
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--layers", "2"], code: 78,
                           mentions: ["--layers 2 (checkpoint: 1)"])
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--cell", "gru"], code: 78,
                           mentions: ["--cell gru (checkpoint: lstm)"])
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--cell", "rnn", "--hidden", "8"], code: 78,
                           mentions: ["--cell rnn", "--hidden 8"])
        // The validation split: moved, it would score text already trained on.
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--val-fraction", "0.2"], code: 78,
                           mentions: ["--val-fraction 0.2 (checkpoint: 0.1)", "fixed by the checkpoint"])
        // Giving the checkpoint's own values is not a conflict.
        #expect(Tool.run(["train", "--resume", run, "--steps", "10", "--hidden", "16", "--threads", "1"]).code == 0)
        #expect(FileSnapshot.folder(run) == before)
        withExtendedLifetime(folder) {}
    }

    @Test func corpusWithCharactersTheCheckpointLacks() {
        let (folder, _, run) = trainedRun()
        let other = TestCorpus.write(TestCorpus.english() + "Zebra 🦓 qué", "other.txt", in: folder)
        let before = FileSnapshot.folder(run)
        let result = Tool.expectFailure(["train", other, "--resume", run, "--steps", "20", "--threads", "1"], code: 65,
                                        mentions: ["other.txt", "'Z' (U+005A)", "'🦓' (U+1F993)", "'é' (U+00E9)",
                                                   "not in the checkpoint's vocabulary"])
        #expect(result.out.isEmpty)
        #expect(FileSnapshot.folder(run) == before)
    }

    @Test func resumeIntoAnotherRunsFolderIsRefused() {
        let (folder, corpus, run) = trainedRun()
        let other = folder.path + "/other"
        #expect(Tool.trainTiny(corpus, out: other, steps: 4).code == 0)
        let before = FileSnapshot.folder(other)
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--out", other], code: 78,
                           mentions: ["already holds a training run", "--force"])
        #expect(FileSnapshot.folder(other) == before)
        // An empty folder is fine: the run continues there and the original stays as it was.
        let original = FileSnapshot.folder(run)
        #expect(Tool.run(["train", "--resume", run, "--steps", "12", "--out", folder.path + "/fresh", "--threads", "1"]).code == 0)
        #expect(FileSnapshot.folder(run) == original)
    }

    @Test func newRunNeverOverwritesAnother() throws {
        let (folder, corpus, run) = trainedRun()
        defer { withExtendedLifetime(folder) {} }
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(Tool.tinyArguments(corpus, out: run), code: 78,
                           mentions: ["already holds a training run", "--resume \(run)", "--force"])
        #expect(FileSnapshot.folder(run) == before)

        // --force starts over: the new run's checkpoint is at its own step, the old metrics are gone.
        let forced = Tool.trainTiny(corpus, out: run, steps: 3, ["--force", "--seed", "99"])
        #expect(forced.code == 0, "\(forced)")
        let latest = try Checkpoint.load(path: run + "/latest.safetensors")
        #expect(latest.training?.step == 3)
        #expect(latest.training?.config.seed == 99)
        #expect(try MetricsLog.read(path: run + "/metrics.csv").map(\.step) == [3])
    }

    /// A metrics.csv the resume would append to is checked first: a bad row refuses it before any file is touched,
    /// however often it is tried, and once the row is mended the run resumes.
    @Test func aBadMetricsRowRefusesTheResumeBeforeAnyFileIsTouched() throws {
        let (folder, _, run) = trainedRun()
        defer { withExtendedLifetime(folder) {} }
        let metrics = run + "/metrics.csv"
        let good = try #require(FileManager.default.contents(atPath: metrics))
        for (line, mentions) in [("garbage", ["metrics.csv line 4", "not a metrics row", "\"garbage\""]),
                                 ("11,nan,inf,-inf,0.004,1,1,1", ["metrics.csv line 4", "epoch must be", "\"nan\""]),
                                 ("11,0.1,inf,,0.004,1,1,1", ["train_bpc must be a number at least 0, got \"inf\""]),
                                 ("11,0.1,2,,0.004,-1,1,1", ["grad_norm must be"])] {
            try (good + Data((line + "\n").utf8)).write(to: URL(fileURLWithPath: metrics))
            let before = FileSnapshot.folder(run)
            for _ in 0..<2 {
                Tool.expectFailure(["train", "--resume", run, "--steps", "14", "--threads", "1"], code: 65, mentions: mentions)
                #expect(FileSnapshot.folder(run) == before)
            }
        }
        // Another header is a conflict.
        try Data("step,loss\n1,2\n".utf8).write(to: URL(fileURLWithPath: metrics))
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(["train", "--resume", run, "--steps", "14", "--threads", "1"], code: 78,
                           mentions: ["metrics.csv exists but does not start with the metrics header"])
        #expect(FileSnapshot.folder(run) == before)
        try good.write(to: URL(fileURLWithPath: metrics))
        let resumed = Tool.run(["train", "--resume", run, "--steps", "14", "--threads", "1"])
        #expect(resumed.code == 0, "\(resumed)")
        #expect(try MetricsLog.read(path: metrics).map(\.step) == [5, 10, 14])
    }

    /// Rows a killed run logged after its last checkpoint are dropped by the resume, so the steps never go back.
    @Test func aResumeDropsTheRowsPastItsCheckpoint() throws {
        let (folder, _, run) = trainedRun()
        defer { withExtendedLifetime(folder) {} }
        let metrics = run + "/metrics.csv"
        var rows = try MetricsLog.read(path: metrics)
        #expect(rows.map(\.step) == [5, 10])
        // What a run killed after its checkpoint of step 10 leaves: its rows of steps 11 to 13.
        let log = try MetricsLog(path: metrics)
        for step in 11...13 {
            try log.append(MetricsRow(step: step, epoch: 0.5, trainLoss: 3, learningRate: 0.004, gradientNorm: 1, itemsPerSecond: 100,
                                      elapsedSeconds: 9))
        }
        let resumed = Tool.run(["train", "--resume", run, "--steps", "12", "--threads", "1", "--log-every", "1"])
        #expect(resumed.code == 0, "\(resumed)")
        rows = try MetricsLog.read(path: metrics)
        #expect(rows.map(\.step) == [5, 10, 11, 12])
        #expect(rows[2].elapsedSeconds != 9, "the killed run's row of step 11 is gone")
        #expect(Files.names(inFolder: run).allSatisfy { !$0.contains(".tmp-") })
    }

    /// Rewrites the checkpoint at `path` with `edit` applied, its checksum recomputed.
    private func editCheckpoint(_ path: String, _ edit: (inout SafeTensors) throws -> Void) throws {
        var file = try SafeTensors.decode(Array(try #require(FileManager.default.contents(atPath: path))))
        try edit(&file)
        try Data(file.encoded()).write(to: URL(fileURLWithPath: path))
    }

    /// Sets the members of the `training` metadata and the top-level fields given.
    private func setFields(_ file: inout SafeTensors, training: [String: JSONValue] = [:], top: [String: String] = [:]) throws {
        guard case .object(var members) = try JSONValue.parse(try #require(file.metadata["training"])) else {
            throw CharLSTMError.invalidData("no training metadata")
        }
        members.merge(training) { $1 }
        file.metadata["training"] = JSONValue.object(members).encoded
        file.metadata.merge(top) { $1 }
    }

    @Test func adamStepsBeyondTheStepAreRefusedAtLoad() throws {
        let (folder, _, run) = trainedRun()
        defer { withExtendedLifetime(folder) {} }
        // Inside the counts a field may hold, but a run would pass 10^15 Adam steps and then fail to save.
        try editCheckpoint(run + "/latest.safetensors") { try setFields(&$0, training: ["adam_step": .int(1_000_000_000_000_000)]) }
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--threads", "1"], code: 65,
                           mentions: ["latest.safetensors", "training.adam_step", "step (10)", "1000000000000000"])
        #expect(FileSnapshot.folder(run) == before)
        // One at the step loads and trains.
        try editCheckpoint(run + "/latest.safetensors") { try setFields(&$0, training: ["adam_step": .int(10)]) }
        #expect(Tool.run(["train", "--resume", run, "--steps", "12", "--threads", "1"]).code == 0)
    }

    @Test func epochsBeyondTheStepAreRefusedAtLoad() throws {
        let (folder, _, run) = trainedRun()
        defer { withExtendedLifetime(folder) {} }
        // Inside the counts a field may hold, but the run's next epoch would pass 10^15 and break metrics.csv.
        try editCheckpoint(run + "/latest.safetensors") { try setFields(&$0, top: ["epoch": "1000000000000000"]) }
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--threads", "1"], code: 65,
                           mentions: ["latest.safetensors", "epoch", "step (10)", "1000000000000000"])
        #expect(FileSnapshot.folder(run) == before)
        // As many epochs as steps loads and trains.
        try editCheckpoint(run + "/latest.safetensors") { try setFields(&$0, top: ["epoch": "10"]) }
        #expect(Tool.run(["train", "--resume", run, "--steps", "12", "--threads", "1"]).code == 0)
    }

    @Test func aRunStopsAtTheLastStepACheckpointRecords() throws {
        let (folder, _, run) = trainedRun()
        defer { withExtendedLifetime(folder) {} }
        let limit = ValueRange.countLimit
        try editCheckpoint(run + "/latest.safetensors") {
            try setFields(&$0, training: ["adam_step": .int(limit - 2)], top: ["step": String(limit - 2)])
        }
        // A budget without a step limit ends at step 10^15, saved, rather than training on to a step no file holds.
        let result = Tool.run(["train", "--resume", run, "--minutes", "5", "--threads", "1"])
        #expect(result.code == 0, "\(result)")
        let latest = try Checkpoint.load(path: run + "/latest.safetensors")
        #expect(latest.training?.step == limit && latest.training?.optimizer.step == limit)
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(["train", "--resume", run, "--minutes", "5", "--threads", "1"], code: 78,
                           mentions: ["at step 1000000000000000", "cannot be trained further", "--init-from"])
        #expect(FileSnapshot.folder(run) == before)
    }

    @Test func negativeSecondMomentsAreRefusedAtLoad() throws {
        let (folder, _, run) = trainedRun()
        defer { withExtendedLifetime(folder) {} }
        let name = "optimizer.exp_avg_sq.lstm.weight_hh_l0"
        try editCheckpoint(run + "/latest.safetensors") { file in
            let t = try #require(file.tensors[name])
            file.tensors[name] = .init(shape: t.shape, values: t.values.prefix(3) + [-1] + t.values.dropFirst(4))
        }
        let before = FileSnapshot.folder(run)
        Tool.expectFailure(["train", "--resume", run, "--steps", "20", "--threads", "1"], code: 65,
                           mentions: ["latest.safetensors", name, "negative value (-1.0 at index 3)"])
        Tool.expectFailure(["info", run + "/latest.safetensors"], code: 65, mentions: [name])
        #expect(FileSnapshot.folder(run) == before)
    }

    @Test func theShippedPretrainedModelIsNeverATrainingTarget() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let pretrained = folder.path + "/" + Paths.pretrainedFolder
        Tool.expectFailure(Tool.tinyArguments(corpus, out: pretrained) + ["--force"], code: 78,
                           mentions: ["pretrained model", "choose another --out"])
        #expect(!Files.exists(pretrained))
    }
}
