import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// How a recurrence is shared between threads is chosen by timing both ways on the machine
/// (``RecurrentNetwork/planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``): the faster is kept and remembered,
/// the gradients are left alone, and where there is no choice nothing is timed. (That both ways train the same bits
/// is ``TrainerTests/twoThreadsTrainTheSameBitsAsOne(cell:shape:)``'s.)
@Suite struct RecurrenceSplitTests {
    static func model(_ cell: CellKind = .lstm, threads: Int = 2) -> RecurrentNetwork {
        var rng = RandomGenerator(seed: 5)
        return RecurrentNetwork(config: ModelConfig(cell: cell, vocabularySize: 23, hidden: 48, layers: 2, dropout: 0.1),
                                rng: &rng, threads: threads)
    }

    @Test func bothSplitsAreTimedTheFasterIsKeptAndTheCacheRemembersIt() {
        let folder = TemporaryFolder()
        let cache = PlanCache(directory: folder.path + "/cache", build: "test", runsToSettle: 2)
        let model = Self.model()
        for i in 0..<model.gradients.count { model.gradients[i] = Float(i % 11) - 5 }
        let gradients = model.gradients.array.map(\.bitPattern)
        let plan = model.planRecurrenceSplit(streams: 16, steps: 3, budget: .seconds(1), cache: cache)
        #expect(Set(plan.measurements.map(\.split)) == ["columns", "streams"] && plan.source == .timed, "\(plan.measurements)")
        #expect(plan.measurements.allSatisfy { $0.charsPerSecond > 0 })
        #expect(plan.measurements[0].charsPerSecond >= plan.measurements[1].charsPerSecond)
        #expect(model.gradients.array.map(\.bitPattern) == gradients)
        // From now on this network's passes of 16 streams take the faster, whatever the rule would say.
        let choice = plan.choice!
        #expect(model.splitChoices[16] == choice && model.splitChoices[32] == nil)
        for threshold in [0, Int.max] {
            RecurrenceSplit.$columnsAbove.withValue(threshold) {
                #expect(model.packRecurrentWeights(layer: 1, forward: true, batch: 16, into: SgemmPackedB(shapes: [(k: 48, n: 192), (k: 192, n: 48)]))
                        == .make(choice.forward, threads: 2))
            }
        }
        // Another run on this machine times it again, keeping each way's best figure of both runs; the plan is then
        // settled (two runs here), and a third run takes it from the cache, at once.
        let again = Self.model()
        let second = again.planRecurrenceSplit(streams: 16, steps: 3, budget: .seconds(1), cache: cache)
        #expect(second.source == .timed && second.runs == 2 && again.splitChoices[16] == second.choice)
        for (split, rate) in plan.measurements {
            #expect(second.measurements.contains { $0.split == split && $0.charsPerSecond >= rate }, "\(second.measurements)")
        }
        let third = Self.model()
        let clock = ContinuousClock(), start = clock.now
        let cached = third.planRecurrenceSplit(streams: 16, steps: 3, budget: .seconds(1), cache: cache)
        #expect(clock.now - start < .milliseconds(100))
        #expect(cached.fromCache && cached.runs == 2 && cached.choice == second.choice && third.splitChoices[16] == second.choice)
        #expect(cached.measurements.map(\.split) == second.measurements.map(\.split))
        // Unless told to measure again.
        let remeasured = again.planRecurrenceSplit(streams: 16, steps: 3, budget: .seconds(1), cache: cache, remeasure: true)
        #expect(!remeasured.fromCache && remeasured.measurements.count == 2)
    }

    /// The forward and the backward each take their own measured way (the planner times them apart), with the same
    /// gradient bits whichever ways they take; a choice's name reads back as the choice.
    @Test func theForwardAndTheBackwardTakeTheirOwnWay() {
        let model = Self.model()
        let packed = SgemmPackedB(shapes: [(k: 48, n: 192), (k: 192, n: 48)])
        let B = 16, T = 5
        let workspace = Workspace(config: model.config, sequenceLength: T, batchSize: B)
        let state = RecurrentState(config: model.config, batch: B)
        var batch = TokenBatch(sequenceLength: T, batchSize: B)
        for i in 0..<(T * B) {
            batch.inputs[i] = Int32(i * 7 % 23)
            batch.targets[i] = Int32(i * 5 % 23)
        }
        var gradients: [[UInt32]] = []
        for choice in [RecurrenceSplitChoice.both(.columns), .init(forward: .columns, backward: .streams),
                       .init(forward: .streams, backward: .columns), .both(.streams)] {
            model.splitChoices[B] = choice
            #expect(model.packRecurrentWeights(layer: 1, forward: true, batch: B, into: packed) == .make(choice.forward, threads: 2))
            #expect(model.packRecurrentWeights(layer: 1, forward: false, batch: B, into: packed) == .make(choice.backward, threads: 2))
            state.reset()
            var rng = RandomGenerator(seed: 3)
            model.forward(batch, state: state, workspace: workspace, training: true, dropout: &rng)
            model.backward(batch, workspace: workspace)
            gradients.append(model.gradients.array.map(\.bitPattern))
        }
        #expect(gradients.allSatisfy { $0 == gradients[0] })
        #expect(RecurrenceSplitChoice.both(.streams).name == "streams")
        #expect(RecurrenceSplitChoice(forward: .columns, backward: .streams).name == "columns forward, streams backward")
    }

    /// A record that does not name both splits once each is ignored: measured again, and replaced.
    @Test func aCorruptCacheRecordIsMeasuredAgainAndReplaced() {
        let folder = TemporaryFolder()
        let cache = PlanCache(directory: folder.path + "/cache", build: "test")
        let model = Self.model()
        let key = model.splitPlanKey(streams: 16, steps: 2)
        for record in [[("diagonal", 9e9), ("streams", 1)], [("columns", 9e9)], [("streams", 9e9), ("diagonal", 1)],
                       [("columns", 9e9), ("columns", 1)]] {
            cache.store(record, forKey: key)
            let plan = model.planRecurrenceSplit(streams: 16, steps: 2, budget: .seconds(1), cache: cache)
            #expect(!plan.fromCache && Set(plan.measurements.map(\.split)) == ["columns", "streams"])
            #expect(Set(cache.measurements(forKey: key)?.values.map(\.label) ?? []) == ["columns", "streams"])
        }
    }

    /// One thread, fewer than 8 streams a thread, or a GRU (which keeps its recurrent part apart, so only its
    /// streams are shared): no choice, nothing timed, the rule stays.
    @Test func withoutAChoiceNothingIsTimed() {
        let clock = ContinuousClock(), start = clock.now
        for (model, streams) in [(Self.model(threads: 1), 32), (Self.model(), 15), (Self.model(.gru), 32)] {
            let plan = model.planRecurrenceSplit(streams: streams, budget: .seconds(5), cache: nil)
            #expect(plan.measurements.isEmpty && plan.source == .noChoice && model.splitChoices[streams] == nil)
        }
        #expect(clock.now - start < .milliseconds(100))
    }

    /// Passes too slow for two rounds within the budget: the rule stays, after the two first passes only.
    @Test func passesThatDoNotFitTheBudgetLeaveTheRule() {
        let model = Self.model()
        let plan = model.planRecurrenceSplit(streams: 16, steps: 4, budget: .zero, cache: nil)
        #expect(plan.measurements.isEmpty && plan.source == .noTime && model.splitChoices[16] == nil)
    }

    /// The products to plan are those of both splits, each once: the per-step ones of the columns and of the
    /// streams, and the rest, which they share.
    @Test func theProductsToPlanAreThoseOfBothSplits() {
        let config = ModelConfig(cell: .lstm, vocabularySize: 65, hidden: 512, layers: 2)
        func problems(_ split: RecurrenceSplitChoice?) -> Set<GemmProblem> {
            Set(TrainingProduct.ofTrainingStep(config: config, sequenceLength: 100, batchSize: 64, threads: 2, split: split).map(\.problem))
        }
        let both = TrainingProduct.toPlan(config: config, sequenceLength: 100, batchSize: 64, threads: 2).map(\.problem)
        #expect(both.count == Set(both).count && Set(both) == problems(.both(.columns)).union(problems(.both(.streams))))
        #expect(problems(.both(.columns)) != problems(.both(.streams)) && both.count == problems(.both(.columns)).count + 2)
        let gru = ModelConfig(cell: .gru, vocabularySize: 65, hidden: 512, layers: 2)
        #expect(TrainingProduct.toPlan(config: gru, sequenceLength: 100, batchSize: 64, threads: 2).count
                == TrainingProduct.ofTrainingStep(config: gru, sequenceLength: 100, batchSize: 64, threads: 2).count)
    }
}
