import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The learning-rate schedule: its factors, the rates a run takes over step and time budgets, bit-exact resume
/// under a decaying schedule, and checkpoints with and without a schedule.
@Suite struct LearningRateScheduleTests {
    @Test func factorsWarmUpThenDecayToZeroAtTheBudgetsEnd() {
        let cosine = LearningRateSchedule(shape: .cosine, warmupSteps: 0)
        #expect(cosine.factor(stepsDone: 0, progress: 0) == 1)
        #expect(abs(cosine.factor(stepsDone: 50, progress: 0.5) - 0.5) < 1e-12)
        #expect(abs(cosine.factor(stepsDone: 75, progress: 0.75) - 0.5 * (1 + cos(0.75 * Double.pi))) < 1e-12)
        #expect(cosine.factor(stepsDone: 99, progress: 1) < 1e-12)
        let linear = LearningRateSchedule(shape: .linear, warmupSteps: 0)
        #expect(linear.factor(stepsDone: 30, progress: 0.3) == 0.7)
        #expect(linear.factor(stepsDone: 300, progress: 1.5) == 0, "progress is clamped to the budget")
        let late = LearningRateSchedule(shape: .stableDecay, warmupSteps: 0)
        #expect(late.factor(stepsDone: 10, progress: 0.5) == 1 && late.factor(stepsDone: 75, progress: 0.75) == 1)
        #expect(abs(late.factor(stepsDone: 90, progress: 0.9) - 0.5) < 1e-12 && late.factor(stepsDone: 99, progress: 1) == 0)
        let constant = LearningRateSchedule(shape: .constant, warmupSteps: 0)
        #expect(constant.factor(stepsDone: 90, progress: 0.9) == 1)
        // Warm-up: 1/W, 2/W, … of the rate over the first W steps, times the decay.
        let warm = LearningRateSchedule(shape: .linear, warmupSteps: 4)
        #expect([0, 1, 2, 3, 4].map { warm.factor(stepsDone: $0, progress: nil) } == [0.25, 0.5, 0.75, 1, 1])
        #expect(warm.factor(stepsDone: 1, progress: 0.5) == 0.25)
        // A budget without end: the base rate after the warm-up, whatever the shape.
        for shape in LearningRateSchedule.Shape.allCases {
            #expect(LearningRateSchedule(shape: shape, warmupSteps: 0).factor(stepsDone: 1000, progress: nil) == 1)
        }
    }

    @Test func theRateIsTheEpochDecayTimesTheSchedule() {
        var config = TrainingConfig()
        config.learningRate = 0.01
        config.decayAfter = 1
        config.learningRateDecay = 0.5
        config.schedule = LearningRateSchedule(shape: .linear, warmupSteps: 0)
        #expect(config.learningRate(stepsDone: 10, completedEpochs: 2, progress: 0.5) == Float(0.01 * 0.25 * 0.5))
    }

    /// A tiny run on the English test corpus in `folder`/run.
    private func tinyRun(in folder: TemporaryFolder, _ edit: (inout TrainingRun.Configuration) -> Void = { _ in }) throws -> TrainingRun {
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        var configuration = TrainingRun.Configuration(corpus: corpus, folder: folder.path + "/run")
        configuration.hidden = 16
        configuration.layers = 1
        configuration.batchSize = 4
        configuration.sequenceLength = 12
        configuration.validationFraction = 0.1
        configuration.threads = 1
        configuration.evaluateEvery = 5
        configuration.logEvery = 1
        edit(&configuration)
        return try TrainingRun(configuration)
    }

    /// A new run warms up and then decays to zero at the end of its step budget; the rates are in the progress
    /// reports and in metrics.csv.
    @Test func aStepBudgetWarmsUpThenDecaysToItsEnd() throws {
        let folder = TemporaryFolder()
        let run = try tinyRun(in: folder) { $0.warmupSteps = 4; $0.learningRate = 0.01; $0.learningRateSchedule = .cosine }
        #expect(run.training.schedule.shape == .cosine)
        var rates: [Float] = []
        try run.train(budget: .steps(20)) { rates.append($0.learningRate) }
        let expected = (0..<20).map { s in
            Float(Double(Float(0.01)) * min(1, Double(s + 1) / 4) * 0.5 * (1 + cos(Double.pi * Double(s) / 20)))
        }
        #expect(rates == expected)
        #expect(rates[3] > rates[2] && rates[19] < 0.0001)
        let rows = try MetricsLog.read(path: run.folder.metrics)
        #expect(rows.map(\.learningRate) == expected.map { Double("\($0)")! })
    }

    /// Over a time budget the rate follows the share of the wall time spent, counting the training behind a
    /// resumed run: it falls towards zero as the deadline nears.
    @Test func aTimeBudgetDecaysWithTheTimeSpent() throws {
        let folder = TemporaryFolder()
        let run = try tinyRun(in: folder) { $0.warmupSteps = 0; $0.learningRateSchedule = .linear; $0.learningRate = 0.01 }
        var now = 0.0
        run.clock = { now += 0.25; return now }
        var rates: [Float] = []
        try run.train(budget: .seconds(30)) { rates.append($0.learningRate) }
        #expect(rates.count > 5)
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 }, "\(rates)")
        #expect(rates.first! > 0.0099 && rates.last! < 0.001, "\(rates)")
    }

    /// Stopped half way through a step budget and resumed with the same budget, a run with a decaying schedule ends
    /// with the same bits as one that never stopped: the schedule's position comes from the saved step.
    @Test func resumingWithinAStepBudgetIsBitExactUnderTheSchedule() throws {
        let straight = TemporaryFolder(), halves = TemporaryFolder()
        let edit: (inout TrainingRun.Configuration) -> Void = { $0.warmupSteps = 3; $0.dropout = 0.2; $0.layers = 2 }
        try tinyRun(in: straight, edit).train(budget: .steps(16))
        do {
            let stop = StopToken()
            let first = try tinyRun(in: halves, edit)
            let outcome = try first.train(budget: .steps(16), stopToken: stop) { if $0.step == 7 { stop.requestStop() } }
            #expect(outcome.reason == .stopped && outcome.step == 7)
        }
        var again = TrainingRun.Configuration(resume: halves.path + "/run")
        again.evaluateEvery = 5
        again.logEvery = 1
        let resumed = try TrainingRun(again)
        #expect(resumed.training.schedule == LearningRateSchedule(shape: .stableDecay, warmupSteps: 3))
        try resumed.train(budget: .steps(16))

        let a = try SafeTensors.load(path: straight.path + "/run/latest.safetensors")
        let b = try SafeTensors.load(path: halves.path + "/run/latest.safetensors")
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() { #expect(a.tensors[name] == b.tensors[name], "tensor \(name) differs") }
        for key in ["step", "epoch", "data_position", "rng_state"] {
            #expect(a.metadata[key] == b.metadata[key], "metadata \(key) differs")
        }
        let schedules = try [a, b].map { try #require(try Checkpoint($0).training?.config.schedule) }
        #expect(schedules[0] == schedules[1])
        let rates = try MetricsLog.read(path: halves.path + "/run/metrics.csv").map(\.learningRate)
        let straightRates = try MetricsLog.read(path: straight.path + "/run/metrics.csv").map(\.learningRate)
        #expect(rates == straightRates)
    }

    /// The schedule is saved with the training state; a checkpoint written before schedules existed (no
    /// `lr_schedule`, no `warmup_steps`) resumes at the constant rate it was trained with; an unknown shape is refused.
    @Test func checkpointsKeepTheScheduleAndOldOnesResumeConstant() throws {
        let folder = TemporaryFolder()
        let run = try tinyRun(in: folder) { $0.learningRateSchedule = .linear; $0.warmupSteps = 7 }
        try run.train(budget: .steps(3))
        let path = run.folder.latest
        #expect(try Checkpoint.load(path: path).training?.config.schedule == LearningRateSchedule(shape: .linear, warmupSteps: 7))

        func withTraining(_ edit: (inout [String: JSONValue]) -> Void) throws -> SafeTensors {
            var file = try SafeTensors.load(path: path)
            guard case .object(var training) = try JSONValue.parse(file.metadata["training"]!) else {
                Issue.record("training metadata is not an object")
                return file
            }
            edit(&training)
            file.metadata["training"] = JSONValue.object(training).encoded
            return try SafeTensors.decode(file.encoded())
        }
        let old = try Checkpoint(try withTraining { $0["lr_schedule"] = nil; $0["warmup_steps"] = nil })
        #expect(old.training?.config.schedule == .constant)
        #expect(throws: CharLSTMError.self) { try Checkpoint(try withTraining { $0["lr_schedule"] = .string("steep") }) }
        #expect(throws: CharLSTMError.self) { try Checkpoint(try withTraining { $0["warmup_steps"] = .int(-1) }) }
    }
}
