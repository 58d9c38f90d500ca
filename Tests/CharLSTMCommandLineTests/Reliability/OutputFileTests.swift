import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// The files a command writes beside its work (`inspect --out`, `forecast --plot`, `export`) and a new run's files:
/// an existing file is replaced only with `--force` (never by `export`), a folder is no file to write (exit 73), and
/// no command writes over what it reads (its text or CSV file, the checkpoint, its run folder's files), whatever
/// the options.
@Suite struct OutputFileTests {
    /// A run folder holding the shared run's checkpoints, and a text file, in `folder`.
    private func textRun(in folder: TemporaryFolder) throws -> (run: String, text: String) {
        try Files.makeFolders(folder.path + "/run")
        folder.file("run/latest.safetensors", SharedRun.files.latest)
        folder.file("run/best.safetensors", SharedRun.files.best)
        folder.file("run/metrics.csv", Array("keep me".utf8))
        return (folder.path + "/run", TestCorpus.write(TestCorpus.english(characters: 400), "held-out.txt", in: folder))
    }

    @Test func inspectReplacesAnExistingPageOnlyWithForce() throws {
        let folder = TemporaryFolder()
        let (run, text) = try textRun(in: folder)
        let page = folder.file("page.html", Array("mine".utf8))
        let inspect = ["inspect", text, "--checkpoint", run, "--out", page, "--threads", "1"]
        Tool.expectFailure(inspect, code: 78, mentions: ["'\(page)' already exists", "--force"])
        #expect(folder.contents("page.html") == Array("mine".utf8))
        let forced = Tool.run(inspect + ["--force"])
        #expect(forced.code == 0, "\(forced)")
        #expect(String(decoding: try #require(folder.contents("page.html")), as: UTF8.self).hasPrefix("<!DOCTYPE html>"))
        // A folder is no file to write, as for every other command's output (73).
        try Files.makeFolders(folder.path + "/pages")
        Tool.expectFailure(["inspect", text, "--checkpoint", run, "--out", folder.path + "/pages", "--force"], code: 73,
                           mentions: ["is a folder"])
    }

    @Test func inspectNeverWritesOverWhatItReads() throws {
        let folder = TemporaryFolder()
        let (run, text) = try textRun(in: folder)
        let before = FileSnapshot.folder(run), textBefore = FileSnapshot(text)
        let pretrained = Executable.packageRoot + "/" + Paths.pretrainedFolder
        let shipped = FileSnapshot.folder(pretrained)
        for force in [[], ["--force"]] {
            func refused(_ out: String, checkpoint: String = run, _ mentions: [String]) {
                Tool.expectFailure(["inspect", text, "--checkpoint", checkpoint, "--out", out, "--threads", "1"] + force,
                                   code: 78, mentions: mentions)
            }
            refused(text, ["is the text inspected", "never writes over a file it reads"])
            refused(run + "/best.safetensors", ["is the checkpoint"])
            refused(run + "/./latest.safetensors", ["is a file of the run folder of the checkpoint"])
            refused(run + "/metrics.csv", ["is a file of the run folder"])
            // Also a run file not there yet: it would be taken for the run's.
            refused(run + "/loss.svg", ["is a file of the run folder"])
            refused(pretrained + "/best.safetensors", checkpoint: pretrained, ["is the checkpoint"])
        }
        #expect(FileSnapshot.folder(run) == before && FileSnapshot(text) == textBefore)
        #expect(FileSnapshot.folder(pretrained) == shipped)
    }

    @Test func forecastPlotsFollowTheSameRules() throws {
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(count: 300), in: folder)
        let run = folder.path + "/run"
        let train = Tool.run(ModelKind.series.tinyArguments(csv, out: run, steps: 5))
        #expect(train.code == 0, "\(train)")
        let before = FileSnapshot.folder(run), csvBefore = FileSnapshot(csv)
        let forecast = ["forecast", csv, "--checkpoint", run, "--steps", "3", "--threads", "1"]
        for force in [[], ["--force"]] {
            Tool.expectFailure(forecast + ["--plot", csv] + force, code: 78, mentions: ["is the series read"])
            Tool.expectFailure(forecast + ["--plot", run + "/latest.safetensors"] + force, code: 78, mentions: ["is a file of the run folder"])
            Tool.expectFailure(forecast + ["--plot", run + "/loss.svg"] + force, code: 78, mentions: ["is a file of the run folder"])
            Tool.expectFailure(forecast + ["--plot", run] + force, code: 73, mentions: ["is a folder"])
        }
        #expect(FileSnapshot.folder(run) == before && FileSnapshot(csv) == csvBefore)

        let plot = folder.file("plot.svg", Array("mine".utf8))
        let refused = Tool.expectFailure(forecast + ["--plot", plot], code: 78, mentions: ["already exists", "--force"])
        #expect(refused.out.isEmpty, "refused before forecasting: \(refused)")
        #expect(folder.contents("plot.svg") == Array("mine".utf8))
        let forced = Tool.run(forecast + ["--plot", plot, "--force"])
        #expect(forced.code == 0, "\(forced)")
        #expect(String(decoding: try #require(folder.contents("plot.svg")), as: UTF8.self).hasPrefix("<?xml"))
    }

    @Test func exportRefusesAFolderAsItsOutput() throws {
        let folder = TemporaryFolder()
        let model = folder.file("model.safetensors", SharedRun.files.latest)
        try Files.makeFolders(folder.path + "/models")
        Tool.expectFailure(["export", model, folder.path + "/models"], code: 73, mentions: ["is a folder"])
        Tool.expectFailure(["export", model, model], code: 78, mentions: ["is the checkpoint exported"])
    }

    /// A new run into a folder holding a `loss.svg` or `metrics.csv` of the user's is refused without `--force`, as
    /// one holding a checkpoint is; with it the run starts over. A run never deletes or writes its own corpus.
    @Test func aNewRunKeepsFilesOfTheNamesItWrites() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        for name in ["loss.svg", "metrics.csv"] {
            let out = folder.path + "/out-\(name)"
            try Files.makeFolders(out)
            folder.file("out-\(name)/\(name)", Array("mine".utf8))
            Tool.expectFailure(Tool.tinyArguments(corpus, out: out), code: 78, mentions: ["\(name)' already exists", "--force"])
            #expect(FileSnapshot.folder(out).keys.sorted() == [name] && folder.contents("out-\(name)/\(name)") == Array("mine".utf8))
            let forced = Tool.run(Tool.tinyArguments(corpus, out: out) + ["--force"])
            #expect(forced.code == 0, "\(forced)")
            #expect(folder.contents("out-\(name)/\(name)") != Array("mine".utf8))
        }
        // The corpus (or the model started from) where the run would write: refused even with --force.
        try Files.makeFolders(folder.path + "/own")
        let inside = TestCorpus.write(TestCorpus.english(), "own/loss.svg", in: folder)
        let text = FileSnapshot(inside)
        Tool.expectFailure(Tool.tinyArguments(inside, out: folder.path + "/own") + ["--force"], code: 78, mentions: ["is the corpus of this run"])
        #expect(FileSnapshot(inside) == text)
        let done = folder.path + "/done"
        #expect(Tool.run(Tool.tinyArguments(corpus, out: done)).code == 0)
        let best = FileSnapshot(done + "/best.safetensors")
        Tool.expectFailure(["train", corpus, "--init-from", done, "--out", done, "--steps", "2", "--force"] + Tool.tinyModel,
                           code: 78, mentions: ["is the model this run starts from"])
        #expect(FileSnapshot(done + "/best.safetensors") == best)
    }
}
