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

    /// A resume takes the folder's lock before it reads anything there: while one resume waits for its corpus
    /// (standard input, held open by the test), another resume of the same folder is refused. Before, the lock
    /// came after the checkpoint was loaded and the corpus read, so both could train from the same state.
    @Test func aResumeHoldsTheLockBeforeItReadsAnything() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        let text = folder.path + "/text", series = folder.path + "/series"
        #expect(Tool.trainTiny(corpus, out: text, steps: 2).code == 0)
        #expect(Tool.run(["train", csv, "--column", "y", "--out", series, "--steps", "2"] + TestSeries.tinyModel).code == 0)
        for (run, data, options) in [(text, corpus, [String]()), (series, csv, ["--column", "y"])] {
            let fifo = folder.path + "/stdin-\(FilePath(run).lastComponent!)"
            #expect(mkfifo(fifo, 0o600) == 0)
            let first = try ChildProcess("/bin/sh", ["-c", "f=\"$1\"; shift; exec \"$0\" \"$@\" < \"$f\"", executable, fifo, "train", "/dev/stdin",
                                                     "--resume", run, "--steps", "4", "--threads", "1"] + options,
                                         output: .file(folder.path + "/out.txt"), errorFile: folder.path + "/err.txt")
            // Opening the pipe's writing end lets the shell open its reading end and start the resume, which then
            // waits for the corpus.
            let writer = open(fifo, O_WRONLY | O_CLOEXEC)
            try #require(writer >= 0)
            #expect(waitUntil(timeout: 30) { Files.exists(run + "/" + RunFolderLock.fileName) }, "the resume took no lock")
            let second = Tool.run(["train", data, "--resume", run, "--steps", "3", "--threads", "1"] + options)
            Tool.expectFailureShape(second, code: 75, mentions: ["is in use by another training process"])
            // Given its corpus, the first resume trains on.
            let bytes = folder.contents(FilePath(data).lastComponent!)!
            #expect(bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) } == bytes.count)
            close(writer)
            _ = first.wait(timeout: 60)
            #expect(first.exitCode == 0, "\(String(decoding: folder.contents("err.txt") ?? [], as: UTF8.self))")
            #expect(try Checkpoint.load(path: run + "/latest.safetensors").training?.step == 4)
        }
    }

    /// `prepare` removes the temporary files a crash left of the run's own files, and leaves those of a live
    /// process and of other files (an `export` into the folder) alone.
    @Test func onlyTheRunsOwnStaleTemporaryFilesAreRemoved() throws {
        let folder = TemporaryFolder()
        let ended = try ChildProcess("/bin/true", [], output: .file("/dev/null"), errorFile: "/dev/null")
        _ = ended.wait(timeout: 10)
        let live = try ChildProcess("/bin/sleep", ["30"], output: .file("/dev/null"), errorFile: "/dev/null")
        defer { live.signal(SIGKILL) }
        let stale = [".latest.safetensors.tmp-\(ended.pid)-1", ".best.safetensors.tmp-\(ended.pid)-3", ".loss.svg.tmp-\(ended.pid)-2",
                     ".metrics.csv.tmp-\(ended.pid)-4"]
        let kept = [".latest.safetensors.tmp-\(live.pid)-1", ".model.safetensors.tmp-\(ended.pid)-1",
                    ".latest.safetensors.tmp-\(getpid())-9", ".latest.safetensors.tmp-x-1", ".notes.csv.tmp-\(ended.pid)-1",
                    ".metrics.csv.tmp-\(live.pid)-1", "notes.txt"]
        for name in stale + kept { folder.file(name, [1, 2, 3]) }
        let lock = try RunFolder(folder.path).prepare(continuing: true, overwrite: false)
        #expect(Set(folder.names) == Set(kept + [RunFolderLock.fileName]))
        lock.release()
        #expect(RunFolder.isStaleTemporary(".latest.safetensors.tmp-\(ended.pid)-1"))
        #expect(!RunFolder.isStaleTemporary(".latest.safetensors.tmp-\(live.pid)-1"))
        // metrics.csv is rewritten on a resume, and logged to a temporary name by a --force run until it first saves.
        #expect(RunFolder.isStaleTemporary(".metrics.csv.tmp-\(ended.pid)-1"))
        #expect(!RunFolder.isStaleTemporary(".notes.csv.tmp-\(ended.pid)-1"))
    }

    /// A link or a pipe planted among a run folder's files is refused before the run starts, and not followed.
    @Test func aRunFoldersFilesMustBeRegularFiles() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let run = folder.path + "/run"
        #expect(Tool.trainTiny(corpus, out: run, steps: 2).code == 0)
        let metrics = FileSnapshot(run + "/metrics.csv")
        // The folder's names and the bytes of its regular files (reading a planted pipe or link would hang).
        func snapshot() -> [String: [UInt8]?] {
            Dictionary(uniqueKeysWithValues: Files.names(inFolder: run).map { name in
                (name, Files.kind(run + "/" + name, followingLinks: false) == .regular ? FileSnapshot(run + "/" + name).bytes : nil)
            })
        }
        for name in ["metrics.csv", "loss.svg", "best.safetensors"] {
            let path = run + "/" + name
            let saved = folder.file("saved-" + name, FileSnapshot(path).bytes ?? [])
            for plant in [{ symlink("/dev/zero", path) }, { mkfifo(path, 0o600) }] {
                Files.remove(path)
                #expect(plant() == 0)
                let before = snapshot()
                Tool.expectFailure(["train", "--resume", run, "--steps", "4", "--threads", "1"], code: 73, mentions: [path, "regular file"])
                #expect(snapshot() == before)
            }
            Files.remove(path)
            #expect(rename(saved, path) == 0)
        }
        #expect(FileSnapshot(run + "/metrics.csv").bytes == metrics.bytes)
        let resumed = Tool.run(["train", "--resume", run, "--steps", "4", "--threads", "1"])
        #expect(resumed.code == 0, "\(resumed)")
    }
}
