import CharLSTMKernels
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard throughput measurements behind `charlstm bench`: training and generation speed of the
/// S, M and L configurations on a corpus, the peak resident memory of what a `train` run does (training
/// steps, a validation pass, a checkpoint save), and the SGEMM speed on the products a training step makes.
package enum Benchmark {
    /// A standard configuration: layers × hidden, sequence length, batch size.
    package struct Shape: Sendable {
        package let name: String, layers: Int, hidden: Int, sequenceLength: Int, batchSize: Int
    }

    package static let shapes: [Shape] = [
        Shape(name: "S", layers: 2, hidden: 128, sequenceLength: 50, batchSize: 50),
        Shape(name: "M", layers: 2, hidden: 512, sequenceLength: 100, batchSize: 64),
        Shape(name: "L", layers: 3, hidden: 512, sequenceLength: 100, batchSize: 64),
    ]

    package struct Result: Sendable {
        package var shape: Shape
        package var cell: CellKind
        package var dropout: Float
        package var threads: Int
        package var trainCharsPerSecond: Double
        package var trainGFLOPS: Double
        package var generateCharsPerSecond: Double
        /// How the weights were stored for generation (``StepRunner/automaticWeights(for:)``, `generate`'s default).
        package var generationWeights: WeightPrecision
        /// How the generation step was shared between threads (``StepRunner/planChunks(candidates:budget:cache:)``).
        package var generationPlan: StepChunkPlan
        /// Peak RSS over training steps, one validation pass and one checkpoint save, as in `train`.
        package var peakRSSMiB: Double
    }

    /// Share of the corpus a measurement holds out for its validation pass, as `train`'s default.
    static let validationFraction = 0.05

    /// Fewest characters a corpus needs for a measurement of `shape`: one batch of training text after the
    /// validation share, and at least 2 characters of that. O(1).
    package static func charactersNeeded(_ shape: Shape) -> Int {
        let batch = shape.batchSize * shape.sequenceLength + 1
        // n − ⌊n·f⌋ ≥ batch and ⌊n·f⌋ ≥ 2: from the smallest n of the first, up until both hold.
        var n = max(batch, Int((2 / validationFraction).rounded(.up)))
        while n - Int(Double(n) * validationFraction) < batch || Int(Double(n) * validationFraction) < 2 { n += 1 }
        return n
    }

    /// Throws `.invalidData` naming the first of `shapes` that a corpus of `characters` characters is too short
    /// for (see ``charactersNeeded(_:)``), before anything is measured. O(shapes).
    package static func requireCorpus(characters: Int, for shapes: [Shape]) throws(CharLSTMError) {
        for shape in shapes where characters < charactersNeeded(shape) {
            throw .invalidData("the corpus has \(characters) characters; configuration \(shape.name) (\(shape.layers)×\(shape.hidden), "
                + "\(shape.batchSize) streams × \(shape.sequenceLength) characters) needs at least \(charactersNeeded(shape)): "
                + "measure on a longer corpus")
        }
    }

    /// The products of one training step of `shape` (vocabulary `V`) with `threads` threads, the recurrence split
    /// as `split` chooses (nil: by the rule), ``TrainingProduct/ofTrainingStep(config:sequenceLength:batchSize:threads:split:)``;
    /// or, with `toPlan`, those of every split (``TrainingProduct/toPlan(config:sequenceLength:batchSize:threads:)``).
    package static func products(_ shape: Shape, cell: CellKind, vocabulary V: Int, threads: Int, split: RecurrenceSplitChoice? = nil,
                                 toPlan: Bool = false) -> [TrainingProduct] {
        let config = ModelConfig(cell: cell, vocabularySize: V, hidden: shape.hidden, layers: shape.layers, dropout: 0)
        if toPlan {
            return TrainingProduct.toPlan(config: config, sequenceLength: shape.sequenceLength, batchSize: shape.batchSize,
                                          threads: threads)
        }
        return TrainingProduct.ofTrainingStep(config: config, sequenceLength: shape.sequenceLength, batchSize: shape.batchSize,
                                              threads: threads, split: split)
    }

    /// Times the two ways of sharing the recurrence of `shape` between `threads` threads (on a model of its own,
    /// ``RecurrentNetwork/planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``) within about `budget`; activate the
    /// plan of the products ``products(_:cell:vocabulary:threads:split:toPlan:)`` gives with `toPlan` first.
    package static func planRecurrenceSplit(_ shape: Shape, cell: CellKind, dropout: Float, vocabulary V: Int, threads: Int,
                                            budget: Duration, cache: PlanCache?, remeasure: Bool = false) -> RecurrenceSplitPlan {
        let config = ModelConfig(cell: cell, vocabularySize: V, hidden: shape.hidden, layers: shape.layers, dropout: dropout)
        var rng = RandomGenerator(seed: 1)
        let model = RecurrentNetwork(config: config, rng: &rng, threads: threads)
        let streams = Workspace.streamsPerPass(config: config, sequenceLength: shape.sequenceLength, batchSize: shape.batchSize)
        return model.planRecurrenceSplit(streams: streams, budget: budget, cache: cache, remeasure: remeasure)
    }

    /// GFLOP/s of `sgemm` on `problem` with the active plan's choice, timed over about `seconds`. When the product
    /// runs on fewer threads than `threads` (the per-step products, one per thread), that many copies run at once,
    /// one per thread, as in training, and the figure is their sum.
    package static func measure(_ problem: GemmProblem, threads: Int, seconds: Double) -> Double {
        let copies = max(1, threads / problem.threads)
        @Sendable func one() -> Double {
            measureSgemm(m: problem.m, n: problem.n, k: problem.k, threads: problem.threads, seconds: seconds,
                         transA: problem.transA, transB: problem.transB, beta: 1, prepackedB: problem.prepackedB)
        }
        if copies == 1 { return one() }
        let results = GemmRates(count: copies)
        Parallel.forEach(copies, threads: copies) { i in results.set(i, one()) }
        return results.sum
    }

    /// Trains `shape` for about `seconds` (after two warm-up steps), its recurrence split as `recurrence` found (else by
    /// the rule), and generates for about `seconds / 2`, with the weights stored as `weights` says for the model.
    /// Resets the process's peak-RSS mark first (Linux), so the figure is this configuration's own.
    package static func run(_ shape: Shape, cell: CellKind, dropout: Float, threads: Int, corpus: CorpusFile,
                           vocabulary: Vocabulary, seconds: Double, planCache: PlanCache? = nil, recurrence: RecurrenceSplitPlan = .noChoice,
                           weights: (ModelConfig) -> WeightPrecision = StepRunner.automaticWeights(for:)) throws(CharLSTMError) -> Result {
        resetPeakRSS()
        let config = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: shape.hidden,
                                 layers: shape.layers, dropout: dropout)
        try config.validate()
        var training = TrainingConfig()
        training.sequenceLength = shape.sequenceLength
        training.batchSize = shape.batchSize
        try requireCorpus(characters: corpus.characterCount, for: [shape])
        let corpusSplit = try CorpusSplit(try TokenText(file: corpus, vocabulary: vocabulary), validationFraction: validationFraction)
        var rng = RandomGenerator(seed: 1)
        let model = RecurrentNetwork(config: config, rng: &rng, threads: threads)
        let streams = Workspace.streamsPerPass(config: config, sequenceLength: shape.sequenceLength, batchSize: shape.batchSize)
        model.splitChoices[streams] = recurrence.choice
        let trainer = try Trainer(model: model, vocabulary: vocabulary, split: corpusSplit, config: training, rng: rng)
        for _ in 0..<2 { try trainer.trainStep() }
        let clock = ContinuousClock()
        var steps = 0
        let start = clock.now
        while (clock.now - start).seconds < seconds || steps < 3 {
            try trainer.trainStep()
            steps += 1
        }
        let trainSeconds = (clock.now - start).seconds
        let chars = Double(steps * shape.sequenceLength * shape.batchSize)
        // What a `train` run adds to the steps: a validation pass and a checkpoint save.
        _ = try trainer.validate()
        try save(trainer.checkpoint())
        let peak = peakRSSMiB()

        let weights = weights(config)
        let generator = try TextGenerator(network: model, vocabulary: vocabulary, sampler: try! Sampler(), seed: 1, weights: weights)
        let generationPlan = generator.planSteps(cache: planCache)
        for _ in 0..<20 { _ = generator.next() }
        var generated = 0
        let genStart = clock.now
        while (clock.now - genStart).seconds < seconds / 2 || generated < 100 {
            for _ in 0..<50 { _ = generator.next() }
            generated += 50
        }
        let genSeconds = (clock.now - genStart).seconds
        return Result(shape: shape, cell: cell, dropout: dropout, threads: threads,
                      trainCharsPerSecond: chars / trainSeconds,
                      trainGFLOPS: chars * config.trainingFLOPsPerCharacter / trainSeconds / 1e9,
                      generateCharsPerSecond: Double(generated) / genSeconds, generationWeights: weights,
                      generationPlan: generationPlan, peakRSSMiB: peak)
    }

    /// Saves `checkpoint` to a temporary file, as `train` does, and deletes it.
    private static func save(_ checkpoint: Checkpoint) throws(CharLSTMError) {
        let folder = FileManager.default.temporaryDirectory.path
        let path = "\(folder)/charlstm-bench-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try checkpoint.save(to: path)
        } catch let error as CharLSTMError {
            throw error
        } catch {
            throw CharLSTMError(.io, "could not save the benchmark's checkpoint to '\(path)': \(error)")
        }
    }

    /// Peak resident set size of this process in MiB (VmHWM), 0 where unknown.
    package static func peakRSSMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }

    /// Resets the peak-RSS mark to the current RSS (Linux ≥ 4.0: write 5 to /proc/self/clear_refs).
    static func resetPeakRSS() {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return }
        _ = write(descriptor, "5", 1)
        close(descriptor)
    }
}

/// One slot per concurrent measurement.
/// @unchecked Sendable: shared by the concurrent measurements, each writing only its own slot; read after they end.
private final class GemmRates: @unchecked Sendable {
    private var values: [Double]
    init(count: Int) { values = Array(repeating: 0, count: count) }
    func set(_ i: Int, _ v: Double) { values.withUnsafeMutableBufferPointer { $0[i] = v } }
    var sum: Double { values.reduce(0, +) }
}

