import Foundation
import Synchronization
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Faults during training: a full disk while saving, a loss that becomes NaN; for a text and a series run alike.
@Suite struct RuntimeFaultTests {
    /// `train` options parsed from the command line, run in-process with injected faults.
    private func trainCommand(_ arguments: [String], fileSystem: any FileSystem = POSIXFileSystem(),
                              beforeStep: ((Int, RecurrentNetwork) -> Void)? = nil) throws -> (TrainCommand, MemorySink) {
        guard case .train(let options) = try Invocation.parse(arguments) else { fatalError("not a train invocation") }
        let out = MemorySink()
        return (TrainCommand(options: options, console: Console(out: out, err: MemorySink()),
                             fileSystem: fileSystem, beforeStep: beforeStep), out)
    }

    @Test(arguments: ModelKind.allCases)
    func diskFullWhileSavingKeepsThePreviousCheckpoint(kind: ModelKind) throws {
        let folder = TemporaryFolder()
        let corpus = kind.writeData(in: folder)
        let run = folder.path + "/run"
        let disk = DiskFullFileSystem(failAt: 3, matching: "latest.safetensors")
        let (command, out) = try trainCommand(
            kind.tinyArguments(corpus, out: run, steps: 40) + ["--checkpoint-every", "5", "--eval-every", "1000"],
            fileSystem: disk)
        var thrown: CharLSTMError?
        do { _ = try command.run() } catch let error as CharLSTMError { thrown = error }

        let error = try #require(thrown)
        #expect(error.kind == .io)
        #expect(error.message.contains("No space left on device"), "\(error)")
        #expect(error.message.contains("latest.safetensors"))
        #expect(error.message.contains("training stopped at step 15"), "\(error)")
        #expect(error.message.contains("still holds the previous checkpoint"), "\(error)")
        #expect(disk.matchingCreates == 3)
        // The checkpoint of step 10 is intact and no temporary file is left behind.
        let latest = try Checkpoint.load(path: run + "/latest.safetensors")
        #expect(latest.training?.step == 10)
        #expect(FileSnapshot.folder(run).keys.sorted() == ["latest.safetensors", "metrics.csv"])
        #expect(!out.text.contains("done at step"))
        // Through the entry point the same failure is one error line with exit code 74.
        let entry = ToolRun(code: error.exitCode, out: "", err: "error: \(error.commandLineMessage)\n")
        Tool.expectFailureShape(entry, code: 74, mentions: ["No space left on device"])
    }

    @Test(arguments: ModelKind.allCases)
    func diskFullOnTheFirstSaveSaysNothingWasSaved(kind: ModelKind) throws {
        let folder = TemporaryFolder()
        let corpus = kind.writeData(in: folder)
        let run = folder.path + "/run"
        let (command, _) = try trainCommand(kind.tinyArguments(corpus, out: run, steps: 10) + ["--eval-every", "5"],
                                            fileSystem: DiskFullFileSystem(failAt: 1, matching: "best.safetensors"))
        #expect {
            _ = try command.run()
        } throws: { error in
            let message = (error as? CharLSTMError)?.message ?? ""
            return message.contains("best.safetensors") && message.contains("no checkpoint was saved")
        }
        #expect(!Files.exists(run + "/best.safetensors"))
        #expect(FileSnapshot.folder(run).keys.allSatisfy { !$0.contains(".tmp") })
    }

    @Test(arguments: ModelKind.allCases)
    func nonFiniteLossStopsWithExitCode70AndKeepsTheLastGoodCheckpoint(kind: ModelKind) throws {
        let folder = TemporaryFolder()
        let corpus = kind.writeData(in: folder)
        let run = folder.path + "/run"
        let good = SnapshotBox()
        // Before step 13 the latest checkpoint is that of step 10; then a decoder bias becomes NaN.
        let (command, _) = try trainCommand(
            kind.tinyArguments(corpus, out: run, steps: 40) + ["--checkpoint-every", "5", "--eval-every", "1000"],
            beforeStep: { step, model in
                if step == 12 {
                    good.snapshot = FileSnapshot(run + "/latest.safetensors")
                    model.parameters[model.parameters.count - 1] = .nan
                }
            })
        var thrown: CharLSTMError?
        do { _ = try command.run() } catch let error as CharLSTMError { thrown = error }

        let error = try #require(thrown)
        #expect(error.kind == .diverged && error.exitCode == 70)
        #expect(error.message.contains("diverged at step 13"), "\(error)")
        #expect(error.message.contains("'\(run)/latest.safetensors'"), "\(error)")
        #expect(error.commandLineMessage.contains("--learning-rate") && error.message.contains("learningRate"))
        let snapshot = try #require(good.snapshot)
        #expect(snapshot.bytes != nil)
        #expect(FileSnapshot(run + "/latest.safetensors") == snapshot)
        #expect(try Checkpoint.load(path: run + "/latest.safetensors").training?.step == 10)
        #expect(!Files.exists(run + "/best.safetensors"))
    }
}

/// A snapshot taken inside a training hook.
private final class SnapshotBox {
    var snapshot: FileSnapshot?
}
