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

    @Test func theShippedPretrainedModelIsNeverATrainingTarget() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let pretrained = folder.path + "/" + Paths.pretrainedFolder
        Tool.expectFailure(Tool.tinyArguments(corpus, out: pretrained) + ["--force"], code: 78,
                           mentions: ["pretrained model", "choose another --out"])
        #expect(!Files.exists(pretrained))
    }
}
