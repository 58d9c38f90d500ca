import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// One process at a time trains in a run folder; readers are never held up; a killed owner never blocks.
@Suite struct RunFolderLockTests {
    @Test func aHeldLockRefusesOthersAndGoesWithItsOwner() throws {
        let folder = TemporaryFolder()
        let lockFile = folder.path + "/" + RunFolderLock.fileName
        try RunFolderLock.checkFree(folder.path)
        #expect(!Files.exists(lockFile), "checking creates nothing")
        var lock: RunFolderLock? = try RunFolderLock(folder: folder.path)
        #expect(folder.contents(RunFolderLock.fileName) == Array("\(getpid())\n".utf8))
        let checked = #expect(throws: CharLSTMError.self) { try RunFolderLock.checkFree(folder.path) }
        let taken = #expect(throws: CharLSTMError.self) { _ = try RunFolderLock(folder: folder.path) }
        for error in [checked, taken] {
            #expect(error?.kind == .busy && error?.exitCode == 75)
            #expect(error?.message.contains("'\(folder.path)' is in use by another training process (pid \(getpid()))") == true,
                    "\(error?.message ?? "")")
        }
        lock?.release()
        lock?.release()
        #expect(!Files.exists(lockFile))
        lock = nil
        // A stale lock file (its owner died) does not block, and gets the new owner's id.
        _ = folder.file(RunFolderLock.fileName, Array("999999\n".utf8))
        try RunFolderLock.checkFree(folder.path)
        let next = try RunFolderLock(folder: folder.path)
        #expect(folder.contents(RunFolderLock.fileName) == Array("\(getpid())\n".utf8))
        withExtendedLifetime(next) {}
    }

    @Test func aLinkPlantedAsTheLockFileIsNotFollowed() throws {
        let folder = TemporaryFolder()
        let victim = folder.file("victim", Array("keep me".utf8))
        #expect(symlink(victim, folder.path + "/" + RunFolderLock.fileName) == 0)
        let error = #expect(throws: CharLSTMError.self) { _ = try RunFolderLock(folder: folder.path) }
        #expect(error?.kind == .cannotCreate)
        #expect(folder.contents("victim") == Array("keep me".utf8))
    }

    @Test(arguments: ModelKind.allCases)
    func aSecondTrainingOnTheSameFolderIsRefusedAndAKilledOwnerNeverBlocks(kind: ModelKind) throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let training = try EndlessTraining(executable, in: folder, kind: kind, checkpointEvery: 2)
        let (first, corpus, run) = (training.child, training.corpus, training.run)
        // Training runs (and owns the folder) before its first checkpoint, and after it.
        #expect(waitUntil(timeout: 30) { Files.exists(run + "/metrics.csv") }, "training did not start")
        for waitForCheckpoint in [false, true] {
            if waitForCheckpoint {
                #expect(waitUntil(timeout: 30) { Files.exists(run + "/latest.safetensors") }, "no checkpoint was saved")
            }
            for arguments in [kind.tinyArguments(corpus, out: run), kind.tinyArguments(corpus, out: run) + ["--force"],
                              ["train", "--resume", run, "--threads", "1"],
                              ["train", "--resume", run + "/latest.safetensors", "--threads", "1"]] {
                let second = try ChildProcess.runTool(executable, arguments, in: folder.path, timeout: 30)
                // (A checkpoint path's folder is named as FilePath.parent writes it.)
                Tool.expectFailureShape(second, code: 75, mentions: ["/run' is in use", "pid \(first.pid)"])
            }
        }
        // Readers take no lock.
        let info = Tool.run(["info", run])
        #expect(info.code == 0, "\(info)")
        let read = kind == .text ? Tool.run(["generate", "--checkpoint", run, "--length", "5", "--seed", "2"])
            : Tool.run(["forecast", corpus, "--checkpoint", run, "--steps", "3"])
        #expect(read.code == 0, "\(read)")
        #expect(first.wait(timeout: 0) == nil, "the first training stopped: \(String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self))")

        first.signal(SIGKILL)
        try #require(first.wait(timeout: 10) != nil)
        let step = try #require(try Checkpoint.load(path: run + "/latest.safetensors").training?.step)
        let resumed = Tool.run(["train", "--resume", run, "--steps", "\(step + 2)", "--threads", "1"])
        #expect(resumed.code == 0, "\(resumed)")
        #expect(try Checkpoint.load(path: run + "/latest.safetensors").training?.step == step + 2)
        #expect(!Files.exists(run + "/" + RunFolderLock.fileName))
    }
}
