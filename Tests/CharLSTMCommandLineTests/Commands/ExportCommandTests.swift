import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `charlstm export`: a model-only copy that keeps what its source says about its training.
@Suite struct ExportCommandTests {
    @Test func exportKeepsTheModelAndItsTrainingSummary() throws {
        let folder = TemporaryFolder()
        let run = folder.path + "/run"
        try Files.makeFolders(run)
        folder.file("run/latest.safetensors", SharedRun.files.latest)
        folder.file("run/best.safetensors", SharedRun.files.best)
        let output = folder.path + "/model.safetensors"
        let result = Tool.run(["export", run, output])
        #expect(result.code == 0, "\(result)")
        #expect(result.out == "wrote '\(output)': the model of '\(run)/best.safetensors' without training state\n")

        let best = try Checkpoint.load(path: run + "/best.safetensors")
        let exported = try Checkpoint.load(path: output)
        #expect(exported.training == nil)
        #expect(exported.parameters.array.map(\.bitPattern) == best.parameters.array.map(\.bitPattern))
        #expect(exported.vocabulary == best.vocabulary && exported.config == best.config)
        let summary = try #require(exported.trainingSummary)
        #expect(summary == best.trainingSummary)
        #expect(summary.step > 0 && summary.validationLoss != nil)
        // About a third of the size: the Adam moments and the carried state are gone.
        let size = try #require(Files.size(output)), full = try #require(Files.size(run + "/best.safetensors"))
        #expect(size * 2 < full)

        // info shows what it knows; generate and eval use it.
        let info = Tool.run(["info", output])
        #expect(info.out.contains("trained       step \(summary.step), "), "\(info)")
        #expect(info.out.contains("model only (no training state)"))
        #expect(info.out.contains(String(format: "validation    %.4f bits/char", summary.validationLoss!)), "\(info)")
        let json = Tool.run(["info", output, "--json"])
        guard case .object(let fields) = try JSONValue.parse(json.out.trimmingCharacters(in: .newlines)) else {
            Issue.record("info --json printed \(json.out)")
            return
        }
        #expect(fields["step"]?.intValue == summary.step)
        #expect(fields["val_bpc"]?.doubleValue == summary.validationLoss)
        #expect(fields["best_val_bpc"]?.doubleValue == summary.bestValidationLoss)
        #expect(fields["epoch"] == nil)
        #expect(Tool.run(["generate", "--checkpoint", output, "--length", "10", "--seed", "3"]).code == 0)
        let corpus = TestCorpus.write(SharedRun.files.corpus, in: folder)
        #expect(Tool.run(["eval", corpus, "--checkpoint", output, "--threads", "1"]).code == 0)
        // Exporting an export keeps the summary too.
        #expect(Tool.run(["export", output, folder.path + "/again.safetensors"]).code == 0)
        #expect(try Checkpoint.load(path: folder.path + "/again.safetensors").trainingSummary == summary)
    }

    @Test func aModelWithoutARecordedStepSaysSo() throws {
        let folder = TemporaryFolder()
        // A model-only file as export wrote it before it kept the training summary.
        var file = try SafeTensors.decode(SharedRun.files.latest)
        for key in ["training", "step", "epoch", "data_position", "rng_state", "val_bpc", "best_val_bpc", "elapsed_seconds"] {
            file.metadata[key] = nil
        }
        file.tensors = file.tensors.filter { !$0.key.hasPrefix("optimizer.") && !$0.key.hasPrefix("state.") }
        folder.file("old.safetensors", file.encoded())
        let info = Tool.run(["info", folder.path + "/old.safetensors"])
        #expect(info.code == 0, "\(info)")
        #expect(info.out.contains("model only (no training state; its step and validation loss were not recorded)"))
        #expect(!info.out.contains("validation    "))
        // The shipped model was exported with its training summary: its step is shown.
        let pretrained = Executable.packageRoot + "/" + Paths.pretrainedFolder
        #expect(Tool.run(["info", pretrained]).out.contains("step 12000, "))
    }

    @Test func exportNeverOverwritesAndNeedsAFileName() throws {
        let folder = TemporaryFolder()
        let model = folder.file("model.safetensors", SharedRun.files.latest)
        let taken = folder.file("taken.safetensors", Array("keep me".utf8))
        Tool.expectFailure(["export", model, taken], code: 78, mentions: ["already exists", "never overwrites"])
        #expect(folder.contents("taken.safetensors") == Array("keep me".utf8))
        // A link counts as taken, even one to nothing; its target is never written.
        #expect(symlink(folder.path + "/nowhere", folder.path + "/link.safetensors") == 0)
        Tool.expectFailure(["export", model, folder.path + "/link.safetensors"], code: 78, mentions: ["already exists"])
        #expect(!Files.exists(folder.path + "/nowhere"))
        for output in [folder.path + "/out/", folder.path + "/.", folder.path + "/.."] {
            Tool.expectFailure(["export", model, output], code: 73, mentions: ["does not name a file"])
        }
        Tool.expectFailure(["export", model, folder.path + "/missing/x.safetensors"], code: 73, mentions: ["No such file"])
        Tool.expectFailure(["export", folder.path + "/none", folder.path + "/x.safetensors"], code: 66)
        #expect(!Files.exists(folder.path + "/x.safetensors"))
    }
}
