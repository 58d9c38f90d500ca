import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// A stopped run resumed with the command it prints continues to the end it was trained towards, with the same
/// learning-rate schedule: the checkpoint records the budget (steps, epochs, the time left of minutes).
@Suite struct ResumeBudgetTests {
    /// `train <arguments>` in-process, stopped as Ctrl-C stops it (the run's stop token) once step `stopAt` is
    /// done, when given. Returns its exit code and standard output.
    private func train(_ arguments: [String], stopAt: Int? = nil) throws -> (code: Int32, out: String) {
        guard case .train(let options) = try Invocation.parse(arguments) else { fatalError("not a train invocation") }
        let out = MemorySink()
        var command = TrainCommand(options: options, console: Console(out: out, err: MemorySink()))
        command.program = ["charlstm"]
        let stop = command.stop
        if let stopAt { command.beforeStep = { step, _ in if step == stopAt { stop.requestStop() } } }
        return (try command.run(), out.text)
    }

    /// The words of the command after `continue with: ` in `output`, as a POSIX shell splits them (plain words and
    /// single-quoted ones, which is all ``CommandWords`` writes).
    private func hint(in output: String) throws -> [String] {
        let line = try #require(output.split(separator: "\n").first { $0.contains("continue with: ") }, "\(output)")
        let command = line[line.range(of: "continue with: ")!.upperBound...]
        var words: [String] = [], word = "", quoted = false, started = false
        for character in command {
            switch character {
            case "'": quoted.toggle(); started = true
            case " " where !quoted:
                if started { words.append(word) }
                word = ""
                started = false
            default: word.append(character); started = true
            }
        }
        if started { words.append(word) }
        return words
    }

    /// `train <data> --out <out>` with the tiny model of `kind` and no budget.
    private func arguments(_ kind: ModelKind, _ data: String, out: String) -> [String] {
        ["train", data] + (kind == .series ? ["--column", "y"] : []) + ["--out", out] + Tool.tinyModel
    }

    /// Two runs ended in the same state: every tensor of their latest and best checkpoints bit for bit, and their
    /// metadata but the training time; and their metrics at the same steps with the same validation losses.
    private func expectSameEnd(_ a: String, _ b: String, kind: ModelKind, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for name in ["latest.safetensors", "best.safetensors"] {
            var x = try Checkpoint.load(path: a + "/" + name).safeTensors(), y = try Checkpoint.load(path: b + "/" + name).safeTensors()
            #expect(x.tensors == y.tensors, "\(name)", sourceLocation: sourceLocation)
            #expect(x.metadata.removeValue(forKey: "elapsed_seconds") != nil && y.metadata.removeValue(forKey: "elapsed_seconds") != nil)
            #expect(x.metadata == y.metadata, "\(name)", sourceLocation: sourceLocation)
        }
        let header = kind == .text ? MetricsLog.header : MetricsLog.seriesHeader
        let rows = (try MetricsLog.read(path: a + "/metrics.csv", header: header), try MetricsLog.read(path: b + "/metrics.csv", header: header))
        #expect(rows.0.map(\.step) == rows.1.map(\.step), sourceLocation: sourceLocation)
        #expect(rows.0.map { $0.validationLoss?.bitPattern } == rows.1.map { $0.validationLoss?.bitPattern }, sourceLocation: sourceLocation)
    }

    /// A run stopped mid-way by Ctrl-C, with a step or an epoch budget, and resumed with the command it printed ends
    /// bit for bit where the same run never stopped ends: weights, Adam moments, carried state, random generator,
    /// validations, the best model; a text run and a series run alike. The printed command names only the folder
    /// (quoted for the shell: it holds a space) and what the checkpoint does not record.
    @Test(arguments: ModelKind.allCases, [["--steps", "60"], ["--epochs", "1.5"]])
    func aStoppedRunResumedWithItsHintEndsAsOneNeverStopped(kind: ModelKind, budget: [String]) throws {
        let folder = TemporaryFolder()
        let data = kind.writeData(in: folder)
        let intervals = ["--eval-every", "10", "--checkpoint-every", "1000", "--log-every", "5", "--lr-schedule", "linear",
                         "--dropout", "0.1"]
        func arguments(_ out: String) -> [String] { self.arguments(kind, data, out: out) + budget + intervals }
        let straight = folder.path + "/straight", stopped = folder.path + "/stopped run"
        let whole = try train(arguments(straight))
        #expect(whole.code == 0 && whole.out.contains("done at step"), "\(whole.out)")

        let first = try train(arguments(stopped), stopAt: 25)
        #expect(first.code == 128 + SIGINT, "\(first.out)")
        #expect(first.out.contains("interrupted at step 26"), "\(first.out)")
        let words = try hint(in: first.out)
        #expect(words == ["charlstm", "train", "--resume", stopped, "--threads", "1"], "\(first.out)")
        #expect(first.out.contains("continue with: charlstm train --resume '\(stopped)' --threads 1"), "\(first.out)")
        let recorded = try #require(try Checkpoint.load(path: stopped + "/latest.safetensors").training?.budget)
        #expect(recorded.steps == (budget[0] == "--steps" ? 60 : nil) && recorded.epochs == (budget[0] == "--epochs" ? 1.5 : nil)
                && recorded.seconds == nil)

        let resumed = Tool.run(Array(words.dropFirst()))
        #expect(resumed.code == 0 && resumed.out.contains("resuming '\(stopped)/latest.safetensors' at step 26"), "\(resumed)")
        #expect(resumed.out.split(separator: "\n").last == whole.out.split(separator: "\n").last.map {
            Substring($0.replacingOccurrences(of: straight, with: stopped))
        }, "\(resumed.out)\n\(whole.out)")
        try expectSameEnd(straight, stopped, kind: kind)
    }

    /// A resume given a budget trains to that one instead; a checkpoint that records none (written before budgets
    /// were) resumes to the command line's default.
    @Test func aBudgetGivenOnResumeWins() throws {
        let folder = TemporaryFolder()
        let corpus = ModelKind.text.writeData(in: folder), run = folder.path + "/run"
        _ = try train(Tool.tinyArguments(corpus, out: run, steps: 40) + ["--minutes", "100"], stopAt: 5)
        // `info` says what a resume continues to.
        let info = Tool.run(["info", run])
        #expect(info.out.contains("budget        to step 40 or for 1h"), "\(info)")
        #expect(info.out.contains("more, whichever comes first; --resume continues to it"), "\(info)")
        let json = try JSONValue.parse(Tool.run(["info", run, "--json"]).out.trimmingCharacters(in: .newlines))
        guard case .object(let fields) = json, case .object(let budget)? = fields["budget"] else {
            Issue.record("no budget in \(json.encoded)")
            return
        }
        #expect(budget["steps"] == .int(40) && budget["epochs"] == .null && budget["seconds_left"]?.doubleValue.map { $0 > 5990 } == true)
        #expect(TrainingBudget(epochs: 1.5).summary == "to epoch 1.5")
        #expect(TrainingBudget.unlimited.summary == "until stopped")
        let further = Tool.run(["train", "--resume", run, "--steps", "12"])
        #expect(further.code == 0 && further.out.contains("done at step 12"), "\(further)")
        // Standard error says that the given budget replaces the recorded one.
        #expect(further.err.contains("note: training to step 12, as given, instead of to step 40 or for 1h"), "\(further.err)")
        #expect(try Checkpoint.load(path: run + "/latest.safetensors").training?.budget?.steps == 12)

        // The same checkpoint without its budget, as older versions wrote it.
        var file = try Checkpoint.load(path: run + "/latest.safetensors").safeTensors()
        #expect(file.metadata.removeValue(forKey: "budget") != nil)
        let old = folder.path + "/old"
        try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: true)
        try Data(file.encoded()).write(to: URL(fileURLWithPath: old + "/latest.safetensors"))
        #expect(try Checkpoint.load(path: old + "/latest.safetensors").training?.budget == nil)
        guard case .train(let options) = try Invocation.parse(["train", "--resume", old]) else { fatalError("not a train invocation") }
        let resumed = try TrainingRun(Paths.withDefaults(options.run))
        #expect(resumed.resumedBudget == nil)
        let defaultBudget = options.budget(for: .text, resumed: resumed.resumedBudget)
        #expect(defaultBudget == TrainingBudget(epochs: TrainOptions.defaultEpochs))
        // Standard error says so, and how to choose another end.
        let command = TrainCommand(options: options, console: Console(out: MemorySink(), err: MemorySink()))
        let note = try #require(command.budgetNote(resumed, budget: defaultBudget))
        #expect(note.contains("does not record the budget") && note.contains("training to epoch 50, the default")
                && note.contains("--steps, --epochs or --minutes"), "\(note)")
    }

    /// A time budget carries its time left over: a run stopped after part of its minutes records what is left, and
    /// the resumed run trains for that long, its learning rate following the share of the whole budget's time (so
    /// close to, not bit for bit, the rates of a run that never stopped: the clock differs around the stop). On a
    /// clock that advances 10 ms at each reading.
    @Test(arguments: ModelKind.allCases)
    func aTimeBudgetCarriesItsTimeLeftOver(kind: ModelKind) throws {
        let folder = TemporaryFolder()
        let data = kind.writeData(in: folder)
        func run(_ out: String, resuming: Bool = false) throws -> TrainingRun {
            guard case .train(let options) = try Invocation.parse(arguments(kind, data, out: out) + ["--lr-schedule", "linear"])
            else { fatalError("not a train invocation") }
            let run = resuming ? try TrainingRun(TrainingRun.Configuration(resume: out))
                : try TrainingRun(options.run, series: kind == .series ? SeriesSource(column: "y") : nil)
            var now = 0.0
            run.clock = { now += 0.01; return now }
            return run
        }
        let budget = TrainingBudget.seconds(3)
        var straightRates: [Int: Float] = [:], resumedRates: [Int: Float] = [:]
        let straightRun = try run(folder.path + "/straight"), base = straightRun.training.learningRate
        let straight = try straightRun.train(budget: budget) { straightRates[$0.step] = $0.learningRate }

        let stop = StopToken()
        let first = try run(folder.path + "/stopped").train(budget: budget, stopToken: stop) { p in
            resumedRates[p.step] = p.learningRate
            if p.step == 20 { stop.requestStop() }
        }
        #expect(first.reason == .stopped && first.step == 20)
        let saved = try #require(try Checkpoint.load(path: first.latest).training)
        let left = try #require(saved.budget?.seconds)
        #expect(abs(left + saved.elapsedSeconds - 3) < 1e-9, "time left \(left) after \(saved.elapsedSeconds) s")
        #expect(left > 0.5 && left < 2.5)

        let resumed = try run(folder.path + "/stopped", resuming: true)
        #expect(resumed.resumedBudget == TrainingBudget(seconds: left))
        let end = try resumed.train(budget: try #require(resumed.resumedBudget)) { resumedRates[$0.step] = $0.learningRate }
        #expect(end.reason == .budgetSpent && straight.reason == .budgetSpent)
        // The whole run took the budget's time (to within one step's readings of the clock), and about as many steps.
        let total = try #require(try Checkpoint.load(path: end.latest).training?.elapsedSeconds)
        #expect(abs(total - 3) < 0.1, "\(total) s")
        #expect(abs(end.step - straight.step) <= 2, "\(end.step) steps against \(straight.step)")
        // The same schedule: at every step both took, the rates differ by at most a few clock readings' share.
        for (step, rate) in straightRates {
            guard let other = resumedRates[step] else { continue }
            #expect(abs(rate - other) <= 0.02 * base, "step \(step): \(rate) against \(other)")
        }
        #expect(resumedRates[end.step].map { $0 < 0.05 * base } == true, "the rate decays to zero at the end")
    }
}
