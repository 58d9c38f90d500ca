import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// The commands of issue 18, as a new user types them: relative paths of every shape, run by the real
/// executable from inside a temporary folder. Each ends with success or one `error:` line, never a trap.
@Suite struct PathShapeTests {
    @Test func relativePathsOfEveryShapeWorkOrGetOneClearError() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let cwd = folder.path
        TestCorpus.write(TestCorpus.english(), "my.txt", in: folder)
        TestCorpus.write(TestCorpus.english(), "sp ace ö.txt", in: folder)
        let tiny = ["--steps", "2"] + Tool.tinyModel
        func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ToolRun {
            let result = try ChildProcess.runTool(executable, arguments, in: cwd)
            #expect(result.code < 128, "\(arguments): \(result)", sourceLocation: sourceLocation)
            if result.code != 0 { Tool.expectFailureShape(result, code: nil, mentions: [], sourceLocation: sourceLocation) }
            return result
        }
        func succeeds(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try run(arguments, sourceLocation: sourceLocation)
            #expect(result.code == 0, "\(arguments): \(result)", sourceLocation: sourceLocation)
        }
        func fails(_ arguments: [String], code: Int32, mentions: [String] = [],
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try run(arguments, sourceLocation: sourceLocation)
            Tool.expectFailureShape(result, code: code, mentions: mentions, sourceLocation: sourceLocation)
        }

        // The reports: a one-character folder, a trailing slash, resuming by a one-character name.
        try succeeds(["train", "my.txt", "--out", "q"] + tiny)
        try succeeds(["train", "my.txt", "--out", "runs/"] + tiny)
        #expect(Files.exists(cwd + "/runs/latest.safetensors"))
        try fails(["train", "--resume", "z"], code: 66, mentions: ["'z'"])
        try fails(["train", "--resume", "y", "--out", "w"], code: 66, mentions: ["'y'"])
        try succeeds(["train", "--resume", "q", "--steps", "3", "--threads", "1"])
        try succeeds(["train", "--resume", "q", "--out", "w", "--steps", "4", "--threads", "1"])
        try succeeds(["train", "--resume", "runs/", "--steps", "3", "--threads", "1"])
        try succeeds(["train", "--resume", "q/latest.safetensors", "--steps", "5", "--threads", "1"])
        #expect(try Checkpoint.load(path: cwd + "/q/latest.safetensors").training?.step == 5)
        #expect(try Checkpoint.load(path: cwd + "/w/latest.safetensors").training?.step == 4)
        // `.` and `..` components, spaces and non-ASCII names, the default folder, a link to a run folder.
        try succeeds(["train", "sp ace ö.txt", "--out", "./a/../日本 ü/"] + tiny)
        #expect(Files.exists(cwd + "/日本 ü/latest.safetensors"))
        try succeeds(["train", "sp ace ö.txt"] + tiny)
        #expect(Files.exists(cwd + "/Checkpoints/sp ace ö/latest.safetensors"))
        let newest = try run(["generate", "--length", "5", "--seed", "1"])
        #expect(newest.code == 0 && newest.err.contains("generating from 'Checkpoints/sp ace ö/best.safetensors'"), "\(newest)")
        #expect(symlink(cwd + "/q", cwd + "/qlink") == 0)
        try succeeds(["train", "--resume", "qlink", "--steps", "6", "--threads", "1"])
        #expect(try Checkpoint.load(path: cwd + "/q/latest.safetensors").training?.step == 6)
        try fails(["train", "my.txt", "--out", "qlink"] + tiny, code: 78, mentions: ["already holds a training run"])
        try fails(["train", "my.txt", "--out", "my.txt/sub"] + tiny, code: 73, mentions: ["is a file"])
        try fails(["train", "."] + tiny, code: 66, mentions: ["is a folder"])
        // The readers, with the same shapes.
        try succeeds(["generate", "--checkpoint", "q", "--length", "5", "--seed", "1"])
        try succeeds(["generate", "--checkpoint", "qlink/", "--length", "5", "--seed", "1"])
        try succeeds(["eval", "my.txt", "--checkpoint", "runs/"])
        try succeeds(["info", "./q/../q/"])
        try succeeds(["export", "q", "m"])
        try succeeds(["info", "m"])
        try fails(["export", "q", "x/"], code: 73, mentions: ["does not name a file"])
        try fails(["export", "q", "."], code: 73)
        try fails(["export", "q", "m"], code: 78, mentions: ["already exists"])
        // Nothing was left behind: no lock files, no temporary files.
        for run in ["q", "runs", "w", "日本 ü", "Checkpoints/sp ace ö"] {
            let leftovers = Files.names(inFolder: cwd + "/" + run).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "\(run): \(leftovers)")
        }
    }
}
