import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `--patience`: a run stops after that many scheduled validations in a row without a new lowest loss, and a
/// run that stopped and resumed stops at the same step as one trained straight through.
@Suite struct PatienceTests {
    /// A tiny run that soon stops improving (a high learning rate), validating every 2 steps.
    private func run(in folder: TemporaryFolder, patience: Int? = 3) throws -> TrainingRun {
        let corpus = TestCorpus.write(TestCorpus.english(characters: 1200), in: folder)
        var c = TrainingRun.Configuration(corpus: corpus, folder: folder.path + "/run")
        c.hidden = 16
        c.layers = 1
        c.batchSize = 4
        c.sequenceLength = 12
        c.validationFraction = 0.2
        c.learningRate = 0.05
        c.threads = 1
        c.evaluateEvery = 2
        c.checkpointEvery = 1000
        c.patience = patience
        // A constant rate: the straight run and the one split by its budget must take the same steps.
        c.learningRateSchedule = .constant
        c.warmupSteps = 0
        return try TrainingRun(c)
    }

    @Test func aResumedRunStopsAtTheStepAStraightRunStopsAt() throws {
        let straightFolder = TemporaryFolder()
        let straight = try run(in: straightFolder)
        let stopped = try straight.train(budget: .steps(400))
        try #require(stopped.reason == .noImprovement, "the run never stopped improving: \(stopped)")
        let stop = stopped.step
        #expect(straight.streak.withoutImprovement == 3 && stop % 2 == 0)
        #expect(try Checkpoint.load(path: stopped.latest).training?.step == stop)

        // Stopped by its budget one step before: an odd step, so it validates there too, off the schedule.
        let halvesFolder = TemporaryFolder()
        do {
            let first = try run(in: halvesFolder).train(budget: .steps(stop - 1))
            #expect(first.reason == .budgetSpent)
            let saved = try #require(try Checkpoint.load(path: first.latest).training)
            #expect(saved.patience == 3 && saved.streak.withoutImprovement == 2, "\(saved.streak)")
        }
        // Resumed without --patience: the checkpoint's is kept, and so is the count. (--eval-every is not kept by
        // a checkpoint: the schedule is given again.)
        var resume = TrainingRun.Configuration(resume: halvesFolder.path + "/run")
        resume.evaluateEvery = 2
        do {
            let resumed = try TrainingRun(resume)
            #expect(resumed.patience == 3)
            let outcome = try resumed.train(budget: .steps(400))
            #expect(outcome.reason == .noImprovement && outcome.step == stop)
            let a = try SafeTensors.load(path: stopped.latest), b = try SafeTensors.load(path: outcome.latest)
            #expect(a.tensors == b.tensors)
            for key in ["step", "validations_without_improvement", "lowest_scheduled_val_bpc", "best_val_bpc"] {
                #expect(a.metadata[key] == b.metadata[key], "\(key) differs")
            }
        }
        // Resumed once more with the same patience: nothing to do, nothing written.
        let before = FileSnapshot.folder(halvesFolder.path + "/run")
        do {
            let again = try TrainingRun(resume)
            #expect(try again.train(budget: .steps(400)).reason == .noImprovement && again.step == stop)
        }
        // Once the run has let go of the folder (and its lock file), the folder is as it was.
        #expect(FileSnapshot.folder(halvesFolder.path + "/run") == before)
        // A larger patience continues.
        resume.patience = 4
        let continued = try TrainingRun(resume).train(budget: .steps(stop + 1))
        #expect(continued.reason == .budgetSpent && continued.step == stop + 1)
    }

    @Test func withoutPatienceTheRunGoesOnAndStillCounts() throws {
        let folder = TemporaryFolder()
        let r = try run(in: folder, patience: nil)
        let outcome = try r.train(budget: .steps(60))
        #expect(outcome.reason == .budgetSpent && outcome.step == 60)
        #expect(try Checkpoint.load(path: outcome.latest).training?.streak == r.streak)
    }

    @Test func theCommandSaysItStoppedEarlyAndWhy() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 1200), in: folder)
        let run = Tool.trainTiny(corpus, out: folder.path + "/run", steps: 400,
                                 ["--patience", "1", "--eval-every", "1", "--learning-rate", "0.05"])
        #expect(run.code == 0, "\(run)")
        let last = run.out.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("stopped early at step "), "\(run.out)")
        #expect(last.contains("1 validation in a row found no loss below") && last.contains("(--patience 1)"), "\(last)")
        #expect(last.contains("is in '\(folder.path)/run/best.safetensors'"), "\(last)")
        Tool.expectFailure(Tool.tinyArguments(corpus, out: folder.path + "/r2") + ["--patience", "0"], code: 64,
                           mentions: ["--patience"])
    }
}
