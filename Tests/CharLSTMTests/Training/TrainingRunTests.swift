import Dispatch
import Foundation
import Synchronization
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The library's training job: budgets decided once per step, rates of training time only, stopping, calling
/// `train` again, refusing bad settings.
@Suite struct TrainingRunTests {
    /// A tiny run on the English test corpus in a fresh folder.
    private func tinyRun(in folder: TemporaryFolder, _ edit: (inout TrainingRun.Configuration) -> Void = { _ in }) throws -> TrainingRun {
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        var configuration = TrainingRun.Configuration(corpus: corpus, folder: folder.path + "/run")
        configuration.hidden = 16
        configuration.layers = 1
        configuration.batchSize = 4
        configuration.sequenceLength = 12
        configuration.validationFraction = 0.1
        configuration.threads = 1
        edit(&configuration)
        return try TrainingRun(configuration)
    }

    /// A clock that moves forward by `tick` seconds every time it is read: time passes between any two reads, so a
    /// deadline can fall between the checks of one step.
    private final class TickingClock {
        let tick: Double
        var now = 0.0
        init(tick: Double) { self.tick = tick }
        func read() -> Double {
            now += tick
            return now
        }
    }

    /// The latest step a progress callback saw, readable from another thread.
    private final class StepCounter: Sendable {
        private let value = Atomic<Int>(0)
        var step: Int { value.load(ordering: .relaxed) }
        func record(_ progress: TrainingProgress) { value.store(progress.step, ordering: .relaxed) }
    }

    @Test(arguments: [(1.0, 10.0), (0.5, 7.3), (2.9, 20.0), (0.1, 3.0), (0.37, 4.0)])
    func timeBudgetAlwaysSavesTheStepItEndsAt(tick: Double, seconds: Double) throws {
        let folder = TemporaryFolder()
        let run = try tinyRun(in: folder) { $0.evaluateEvery = 1000; $0.checkpointEvery = 1000; $0.logEvery = 3 }
        let clock = TickingClock(tick: tick)
        run.clock = clock.read
        var last: TrainingProgress?
        let outcome = try run.train(budget: .seconds(seconds)) { last = $0 }

        #expect(outcome.reason == .budgetSpent)
        let final = try #require(last)
        #expect(final.isLast && final.step == outcome.step && outcome.step > 0)
        #expect(final.saved.contains(run.folder.latest))
        // What the outcome reports is what latest.safetensors holds, and the metrics end at that step, validated.
        #expect(try Checkpoint.load(path: run.folder.latest).training?.step == outcome.step)
        let rows = try MetricsLog.read(path: run.folder.metrics)
        #expect(rows.last?.step == outcome.step && rows.last?.validationLoss != nil)
        #expect(outcome.lastValidation == rows.last?.validationLoss)
    }

    @Test func ratesCountTrainingStepsOnly() throws {
        let folder = TemporaryFolder()
        // Validation and saving at every other step: with wall time they would lower the rate.
        let run = try tinyRun(in: folder) { $0.evaluateEvery = 2; $0.checkpointEvery = 2; $0.logEvery = 1 }
        // Every read is one second later, so each training step (two reads apart) takes exactly one second,
        // while validation, saving and logging add reads (seconds) of their own.
        let clock = TickingClock(tick: 1)
        run.clock = clock.read
        let charsPerStep = Double(run.training.sequenceLength * run.training.batchSize)
        var rates: [Double] = []
        try run.train(budget: .steps(6)) { rates.append($0.itemsPerSecond) }
        #expect(rates == Array(repeating: charsPerStep, count: 6))
        let rows = try MetricsLog.read(path: run.folder.metrics)
        #expect(rows.map(\.step) == [1, 2, 3, 4, 5, 6])
        #expect(rows.allSatisfy { $0.itemsPerSecond == charsPerStep }, "\(rows.map(\.itemsPerSecond))")
        // Wall time goes on: it counts everything.
        #expect(rows.last!.elapsedSeconds > 6 * 1)
    }

    @Test func stopTokenEndsAfterTheCurrentStepAndSavesIt() throws {
        let folder = TemporaryFolder()
        let run = try tinyRun(in: folder) { $0.checkpointEvery = 1000; $0.evaluateEvery = 1000 }
        let stop = StopToken()
        let outcome = try run.train(budget: .unlimited, stopToken: stop) { progress in
            if progress.step == 3 { stop.requestStop() }
        }
        #expect(outcome.reason == .stopped && outcome.step == 3)
        #expect(try Checkpoint.load(path: outcome.latest).training?.step == 3)
        #expect(outcome.best == nil)
    }

    /// A run trains on another thread (handed over as a whole: it is not `Sendable`, one thread at a time) and is
    /// stopped from this one. A thread of its own, not a task: a task training without end would hold one of the
    /// few threads of the test's concurrency pool, which the other tests need.
    @Test func stopTokenWorksFromAnotherThread() throws {
        let folder = TemporaryFolder()
        nonisolated(unsafe) let run = try tinyRun(in: folder) { $0.checkpointEvery = 1000; $0.evaluateEvery = 1000 }
        let stop = StopToken()
        let counter = StepCounter()
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<TrainingOutcome, any Error>?
        DispatchQueue.global().async {
            result = Result { try run.train(budget: .unlimited, stopToken: stop, onProgress: { counter.record($0) }) }
            finished.signal()
        }
        #expect(waitUntil(timeout: 60) { counter.step >= 2 })
        stop.requestStop()
        finished.wait()
        let outcome = try #require(try result?.get())
        #expect(outcome.reason == .stopped && outcome.step >= 2)
        #expect(try Checkpoint.load(path: outcome.latest).training?.step == outcome.step)
    }

    @Test func cancellingTheTaskStopsTheRun() async throws {
        let folder = TemporaryFolder()
        let run = try tinyRun(in: folder) { $0.checkpointEvery = 1000; $0.evaluateEvery = 1000 }
        let counter = StepCounter()
        let task = Task.detached { try run.train(budget: .unlimited, onProgress: { counter.record($0) }) }
        for _ in 0..<12_000 where counter.step < 2 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.reason == .stopped)
        #expect(try Checkpoint.load(path: outcome.latest).training?.step == outcome.step)
    }

    /// Two calls with growing step budgets train as one call with the larger, at a learning rate that does not
    /// depend on the budget (a decaying schedule follows the budget in effect: see LearningRateScheduleTests).
    @Test func trainingAgainContinuesExactlyAsOneCall() throws {
        let halves = TemporaryFolder(), straight = TemporaryFolder()
        let edit: (inout TrainingRun.Configuration) -> Void = {
            $0.dropout = 0.2; $0.evaluateEvery = 3; $0.cell = .gru; $0.learningRateSchedule = .constant
        }
        let a = try tinyRun(in: halves, edit)
        let first = try a.train(budget: .steps(7))
        #expect(first.reason == .budgetSpent && first.step == 7)
        try a.train(budget: .steps(16))
        try tinyRun(in: straight, edit).train(budget: .steps(16))

        let x = try SafeTensors.load(path: halves.path + "/run/latest.safetensors")
        let y = try SafeTensors.load(path: straight.path + "/run/latest.safetensors")
        #expect(x.tensors == y.tensors)
        for key in ["step", "epoch", "data_position", "rng_state"] {
            #expect(x.metadata[key] == y.metadata[key], "metadata \(key) differs")
        }
        // The same metrics, except that the first call also validated and logged its last step, 7.
        let rows = try MetricsLog.read(path: halves.path + "/run/metrics.csv")
        let straightRows = try MetricsLog.read(path: straight.path + "/run/metrics.csv")
        #expect(rows.map(\.step) == [3, 6, 7, 9, 10, 12, 15, 16])
        #expect(rows.filter { $0.step != 7 }.map(\.validationLoss) == straightRows.map(\.validationLoss))
    }

    @Test func aResumedRunAtItsBudgetHasNothingToDo() throws {
        let folder = TemporaryFolder()
        try tinyRun(in: folder).train(budget: .steps(5))
        let before = FileSnapshot.folder(folder.path + "/run")
        do {
            let resumed = try TrainingRun(TrainingRun.Configuration(resume: folder.path + "/run"))
            #expect(resumed.resumedFrom == folder.path + "/run/latest.safetensors" && resumed.step == 5)
            let outcome = try resumed.train(budget: .steps(5))
            #expect(outcome.reason == .nothingToDo && outcome.step == 5)
        }
        // Once the run has let go of the folder (and its lock file), the folder is as it was.
        #expect(FileSnapshot.folder(folder.path + "/run") == before)
    }

    /// `overwrite` replaces the old run's files when the new run first saves: until then they are as they were, and
    /// a run that fails before then leaves them so.
    @Test func overwriteReplacesTheOldRunAtTheFirstSave() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/run"
        try tinyRun(in: folder) { $0.evaluateEvery = 3 }.train(budget: .steps(6))
        let old = FileSnapshot.folder(path)
        #expect(old.keys.sorted() == ["best.safetensors", "latest.safetensors", "loss.svg", "metrics.csv"])
        /// The old run's files and the names in the folder, seen before a step of the new run.
        final class Seen { var files: [String: FileSnapshot] = [:]; var names: [String] = [] }

        // Diverging before its first save, a run with overwrite changes nothing.
        do {
            let failing = try tinyRun(in: folder) { $0.overwrite = true; $0.seed = 9 }
            failing.beforeStep = { step, model in if step == 2 { model.parameters[0] = .nan } }
            let error = #expect(throws: CharLSTMError.self) { try failing.train(budget: .steps(100)) }
            #expect(error?.kind == .diverged)
        }
        #expect(FileSnapshot.folder(path) == old)

        let seen = Seen()
        do {
            let run = try tinyRun(in: folder) { $0.overwrite = true; $0.seed = 9; $0.evaluateEvery = 4; $0.logEvery = 1 }
            run.beforeStep = { step, _ in
                if step == 3 {
                    seen.files = FileSnapshot.folder(path).filter { !$0.key.hasPrefix(".") }
                    seen.names = Files.names(inFolder: path).filter { $0.hasPrefix(".metrics.csv.tmp-") }
                }
            }
            let outcome = try run.train(budget: .steps(5))
            #expect(outcome.step == 5)
        }
        #expect(seen.files == old, "three steps in, before its first save, the old run's files are as they were")
        #expect(seen.names.count == 1, "the new run's metrics go to a temporary name until then")
        #expect(Set(FileSnapshot.folder(path).keys) == Set(old.keys))
        #expect(try MetricsLog.read(path: path + "/metrics.csv").map(\.step) == [1, 2, 3, 4, 5])
        #expect(try Checkpoint.load(path: path + "/latest.safetensors").training?.config.seed == 9)
        #expect(try Checkpoint.load(path: path + "/best.safetensors").training?.config.seed == 9)
    }

    @Test func settingsOutsideTheirLimitsAreRefusedBeforeAnythingIsWritten() {
        let folder = TemporaryFolder()
        func refused(_ edit: @escaping (inout TrainingRun.Configuration) -> Void, _ message: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: CharLSTMError(.usage, .init(message)), sourceLocation: sourceLocation) { try tinyRun(in: folder, edit) }
        }
        refused({ $0.hidden = 0 }, "hidden size must be from 1 to 8192, got 0")
        refused({ $0.layers = 17 }, "layers must be from 1 to 16, got 17")
        refused({ $0.dropout = 1 }, "dropout must be in [0, 1), got 1.0")
        refused({ $0.learningRate = .nan }, "learning rate must be in (0, 10], got nan")
        refused({ $0.validationFraction = 0.9 }, "validation fraction must be in (0, 0.5], got 0.9")
        refused({ $0.logEvery = 0 }, "log interval must be from 1 to 10^15, got 0")
        #expect(!Files.exists(folder.path + "/run"))
    }
}
