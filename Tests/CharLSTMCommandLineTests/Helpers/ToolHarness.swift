import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

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

/// A `charlstm train` child that trains a tiny model until it is stopped, logging every step.
struct EndlessTraining {
    let child: ChildProcess
    /// Its corpus (20,000 characters) and run folder, in the test's folder.
    let corpus: String
    let run: String

    /// Starts it in `folder`, writing its standard output and error to `out.txt` and `err.txt` there, saving a
    /// checkpoint every `checkpointEvery` steps and never evaluating.
    init(_ executable: String, in folder: TemporaryFolder, kind: ModelKind = .text, checkpointEvery: Int = 1_000_000) throws {
        corpus = kind.writeData(in: folder, size: 20_000)
        run = folder.path + "/run"
        child = try ChildProcess(executable, kind.tinyArguments(corpus, out: run, steps: 1_000_000_000)
                                     + ["--log-every", "1", "--checkpoint-every", "\(checkpointEvery)", "--eval-every", "1000000"],
                                 output: .file(folder.path + "/out.txt"), errorFile: folder.path + "/err.txt")
    }
}

/// The two objectives every reliability test runs over, each with its small training data and tiny model.
extension ModelKind {
    /// This kind's training data written into `folder`: `size` characters of English text, or a sine of `size`
    /// rows in the CSV column `y`.
    func writeData(in folder: TemporaryFolder, size: Int = 3000) -> String {
        switch self {
        case .text: TestCorpus.write(TestCorpus.english(characters: size), in: folder)
        case .series: TestSeries.write(TestSeries.sine(count: size), in: folder)
        }
    }

    /// `train <data> --out <out> --steps <steps>` with the tiny model (``Tool/tinyModel``) of this kind.
    func tinyArguments(_ data: String, out: String, steps: Int = 5) -> [String] {
        switch self {
        case .text: Tool.tinyArguments(data, out: out, steps: steps)
        case .series: ["train", data, "--column", "y", "--out", out, "--steps", "\(steps)"] + Tool.tinyModel
        }
    }
}
