import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels

/// Whatever the planner picks, training computes the same bits: every kernel (and blocking) on the products of
/// real training steps gives the reference chains' bits, and training steps under a plan of any kernel give
/// the same model, so a resume is bit-exact on any machine's plan.
@Suite(.serialized) struct PlannedProductsTests {
    /// The products of S's training step (and M's with CHARLSTM_SLOW_TESTS), those of both ways of sharing the
    /// recurrence, every kernel with its standard
    /// blocking and one other, against the reference chains (S) or the first kernel (M).
    @Test func everyKernelGivesTheSameBitsOnTheTrainingShapes() {
        var shapes = [Benchmark.shapes[0]]
        if ProcessInfo.processInfo.environment["CHARLSTM_SLOW_TESTS"] != nil { shapes.append(Benchmark.shapes[1]) }
        for shape in shapes {
            for product in Benchmark.products(shape, cell: .lstm, vocabulary: 65, threads: 2, toPlan: true) {
                let p = product.problem
                var rng = RandomGenerator(seed: 9)
                let a = (0..<(p.m * p.k)).map { _ in rng.nextUnitFloat() - 0.5 }, b = (0..<(p.k * p.n)).map { _ in rng.nextUnitFloat() - 0.5 }
                let c0 = (0..<(p.m * p.n)).map { _ in rng.nextUnitFloat() }
                let lda = p.transA ? p.m : p.k, ldb = p.transB ? p.k : p.n
                var expected = c0
                let reference = shape.name == "S"
                if reference {
                    referenceSgemm(transA: p.transA, transB: p.transB, m: p.m, n: p.n, k: p.k, alpha: 1, a: a, lda: lda, b: b,
                                   ldb: ldb, beta: 1, c: &expected, ldc: p.n)
                }
                for (index, kernel) in GemmKernel.all.enumerated() {
                    for choice in [GemmChoice.standard(kernel), GemmChoice(kernel: kernel, kc: 384, rows: 72, split: .rows)] {
                        var c = c0
                        if p.prepackedB {
                            let panels = SgemmPackedB(k: p.k, n: p.n)
                            panels.pack(transB: p.transB, b: b, ldb: ldb, choice: choice)
                            sgemm(transA: p.transA, m: p.m, alpha: 1, a: a, lda: lda, packedB: panels, beta: 1, c: &c, ldc: p.n,
                                  threads: p.threads)
                        } else {
                            sgemm(transA: p.transA, transB: p.transB, m: p.m, n: p.n, k: p.k, alpha: 1, a: a, lda: lda, b: b,
                                  ldb: ldb, beta: 1, c: &c, ldc: p.n, threads: p.threads, choice: choice)
                        }
                        if !reference && index == 0 && choice == .standard(kernel) { expected = c }
                        #expect(c.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape.name) \(product.name) \(choice)")
                    }
                }
            }
        }
    }

    /// Five steps of a 2×96 model, two threads, dropout: the same parameters, moments and state bit for bit under
    /// a plan that gives every product one kernel, for every kernel.
    @Test func trainingStepsAreTheSameUnderEveryKernelsPlan() throws {
        let text = String(repeating: "Now is the winter of our discontent made glorious summer by this sun of York. ", count: 40)
        var first: (parameters: [UInt32], m: [UInt32], h: [UInt32])?
        defer { GemmPlan.deactivateAll() }
        for kernel in GemmKernel.all {
            let vocabulary = Vocabulary(of: text.unicodeScalars)
            let split = try CorpusSplit(try vocabulary.encode(text.unicodeScalars), validationFraction: 0.1)
            var rng = RandomGenerator(seed: 3)
            let config = ModelConfig(cell: .lstm, vocabularySize: vocabulary.count, hidden: 96, layers: 2, dropout: 0.2)
            let model = RecurrentNetwork(config: config, rng: &rng, threads: 2)
            var training = TrainingConfig()
            training.sequenceLength = 25
            training.batchSize = 32
            let products = TrainingProduct.ofTrainingStep(config: config, sequenceLength: 25, batchSize: 32, threads: 2)
            var plan = GemmPlan()
            for product in products { plan.entries[product.problem] = .init(choice: .standard(kernel), candidates: []) }
            GemmPlan.activate(plan)
            let trainer = try Trainer(model: model, vocabulary: vocabulary, split: split, config: training, rng: rng)
            for _ in 0..<5 { try trainer.trainStep() }
            let now = (TrainerTests.bits(model.parameters), TrainerTests.bits(trainer.state.optimizer.m), TrainerTests.bits(trainer.state.h))
            if let first {
                // Compared outside #expect, whose report of two unequal arrays of thousands of elements takes minutes.
                let same = now.0 == first.parameters && now.1 == first.m && now.2 == first.h
                #expect(same, "\(kernel)")
            } else {
                first = (now.0, now.1, now.2)
            }
        }
    }
}
