import Foundation
import Testing
@testable import CharLSTM

/// What one in-process run of `charlstm` gave: exit code, standard output, standard error.
struct ToolRun: CustomStringConvertible {
    let code: Int32
    let out: String
    let err: String

    var description: String { "exit \(code)\nstdout: \(out)\nstderr: \(err)" }

    /// The lines of standard error.
    var errLines: [Substring] { err.split(separator: "\n") }
}

/// Runs the command-line tool in-process and checks failures for the shape every failure must have.
enum Tool {
    /// `charlstm <arguments>` with memory sinks.
    static func run(_ arguments: [String]) -> ToolRun {
        let out = MemorySink(), err = MemorySink()
        let code = CommandLineTool.main(arguments, console: Console(out: out, err: err))
        return ToolRun(code: code, out: out.text, err: err.text)
    }

    /// Runs `arguments`, expecting a failure: exit code `code` (any of 64..<128 when nil), exactly one
    /// `error: ` line on stderr (plus a `help: ` line only for usage errors), every string of `mentions` in it.
    @discardableResult
    static func expectFailure(_ arguments: [String], code: Int32? = nil, mentions: [String] = [],
                              sourceLocation: SourceLocation = #_sourceLocation) -> ToolRun {
        let run = run(arguments)
        expectFailureShape(run, code: code, mentions: mentions, sourceLocation: sourceLocation)
        return run
    }

    /// The checks of ``expectFailure(_:code:mentions:sourceLocation:)`` on a finished run.
    static func expectFailureShape(_ run: ToolRun, code: Int32?, mentions: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        if let code {
            #expect(run.code == code, "\(run)", sourceLocation: sourceLocation)
        } else {
            #expect((64..<128).contains(run.code), "\(run)", sourceLocation: sourceLocation)
        }
        let lines = run.errLines
        let errors = lines.filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(run)", sourceLocation: sourceLocation)
        let allowed = run.code == 64 ? 2 : 1
        #expect(lines.count <= allowed && lines.first?.hasPrefix("error: ") == true, "\(run)", sourceLocation: sourceLocation)
        if lines.count == 2 { #expect(lines[1].hasPrefix("help: "), "\(run)", sourceLocation: sourceLocation) }
        for text in mentions {
            #expect(errors.first?.contains(text) == true, "'\(text)' not in: \(run.err)", sourceLocation: sourceLocation)
        }
    }

    /// Options for a tiny, fast training run on one thread.
    static let tinyModel = ["--hidden", "16", "--layers", "1", "--batch-size", "4", "--seq-length", "12",
                            "--threads", "1", "--val-fraction", "0.1"]

    /// `train <corpus> --out <out> --steps <steps>` with the ``tinyModel`` options.
    static func tinyArguments(_ corpus: String, out: String, steps: Int = 5) -> [String] {
        ["train", corpus, "--out", out, "--steps", "\(steps)"] + tinyModel
    }

    /// Runs ``tinyArguments(_:out:steps:)`` followed by `extra`.
    static func trainTiny(_ corpus: String, out: String, steps: Int, _ extra: [String] = []) -> ToolRun {
        run(tinyArguments(corpus, out: out, steps: steps) + extra)
    }
}

/// Small deterministic training texts written into test folders.
enum TestCorpus {
    /// A few lines of Shakespeare-like text (public domain), repeated to about `characters` characters.
    static func english(characters: Int = 3000) -> String {
        let verse = """
            To be, or not to be, that is the question:
            Whether 'tis nobler in the mind to suffer
            The slings and arrows of outrageous fortune,
            Or to take arms against a sea of troubles
            And by opposing end them. To die: to sleep;
            No more; and by a sleep to say we end
            The heart-ache and the thousand natural shocks
            That flesh is heir to.

            """
        var text = ""
        while text.count < characters { text += verse }
        return String(text.prefix(characters))
    }

    /// Tang poems by Li Bai and Du Fu (public domain), repeated to about `characters` characters.
    static func chinese(characters: Int = 1500) -> String {
        let poems = """
            床前明月光，疑是地上霜。举头望明月，低头思故乡。
            朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。
            故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。
            国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。
            烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。
            好雨知时节，当春乃发生。随风潜入夜，润物细无声。

            """
        var text = ""
        while text.count < characters { text += poems }
        return String(text.prefix(characters))
    }

    /// Writes `text` as UTF-8 to `name` in `folder` and returns the path.
    @discardableResult
    static func write(_ text: String, _ name: String = "corpus.txt", in folder: TemporaryFolder) -> String {
        folder.file(name, Array(text.utf8))
    }
}

/// A file's bytes and modification time, to show that a failed command left it alone.
struct FileSnapshot: Equatable {
    let bytes: [UInt8]?
    let modified: Date?

    init(_ path: String) {
        bytes = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// Snapshots of every file in `folder`, by name.
    static func folder(_ folder: String) -> [String: FileSnapshot] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Dictionary(uniqueKeysWithValues: names.map { ($0, FileSnapshot(folder + "/" + $0)) })
    }
}

/// One small training run made once and shared by the tests that only read its checkpoints.
enum SharedRun {
    /// The bytes of `latest.safetensors` and `best.safetensors` of a 20-step tiny LSTM run, and its corpus.
    static let files: (latest: [UInt8], best: [UInt8], corpus: String) = {
        let folder = TemporaryFolder()
        let text = TestCorpus.english()
        let corpus = TestCorpus.write(text, in: folder)
        let run = Tool.trainTiny(corpus, out: folder.path + "/run", steps: 20, ["--eval-every", "10", "--dropout", "0.1"])
        precondition(run.code == 0, "\(run)")
        return (folder.contents("run/latest.safetensors")!, folder.contents("run/best.safetensors")!, text)
    }()

    /// The shared latest checkpoint, decoded.
    static var latest: Checkpoint {
        // Two statements, not `try! Checkpoint(SafeTensors.decode(…))`: inlined into a caller that then calls a
        // typed-throwing function, that one expression crashes the Swift 6.3 optimiser ("swifterror value can
        // only be loaded and stored from…").
        let file = try! SafeTensors.decode(files.latest)
        return try! Checkpoint(file)
    }
}
