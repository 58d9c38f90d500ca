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
public enum Benchmark {
    /// A standard configuration: layers × hidden, sequence length, batch size.
    public struct Shape: Sendable {
        public let name: String, layers: Int, hidden: Int, sequenceLength: Int, batchSize: Int
    }

    public static let shapes: [Shape] = [
        Shape(name: "S", layers: 2, hidden: 128, sequenceLength: 50, batchSize: 50),
        Shape(name: "M", layers: 2, hidden: 512, sequenceLength: 100, batchSize: 64),
        Shape(name: "L", layers: 3, hidden: 512, sequenceLength: 100, batchSize: 64),
    ]

    public struct Result: Sendable {
        public var shape: Shape
        public var cell: CellKind
        public var dropout: Float
        public var threads: Int
        public var trainCharsPerSecond: Double
        public var trainGFLOPS: Double
        public var generateCharsPerSecond: Double
        /// Peak RSS over training steps, one validation pass and one checkpoint save, as in `train`.
        public var peakRSSMiB: Double
    }

    /// One matrix product a training step makes, as `sgemm` is called for it.
    public struct GemmShape: Sendable {
        public let name: String
        public let m: Int, n: Int, k: Int
        public let transA: Bool, transB: Bool
        public let beta: Float
        /// op(B) packed once ahead (the recurrent weights).
        public let prepacked: Bool
        /// Threads `sgemm` is given: 1 for the per-step products, which each thread runs for its own streams.
        public let threads: Int
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// The products of one training step of `shape` (LSTM gates, vocabulary `vocabulary`) with `threads`
    /// threads, in the order of their share of the step's work: those of one pass over the streams a pass
    /// takes (``Workspace/streamsPerPass(config:sequenceLength:batchSize:)``), split as the recurrence splits them.
    public static func gemmShapes(_ shape: Shape, cell: CellKind, vocabulary V: Int, threads: Int) -> [GemmShape] {
        let config = ModelConfig(cell: cell, vocabularySize: V, hidden: shape.hidden, layers: shape.layers, dropout: 0)
        let streams = Workspace.streamsPerPass(config: config, sequenceLength: shape.sequenceLength, batchSize: shape.batchSize)
        let H = shape.hidden, G = cell.gateCount * H, TB = shape.sequenceLength * streams
        let groups = CharModel.streamGroups(batch: streams, threads: threads)
        let rows = (streams + groups - 1) / groups, stepThreads = groups == 1 ? threads : 1
        return [
            GemmShape(name: "recurrent h·Whhᵀ", m: rows, n: G, k: H, transA: false, transB: true, beta: 1,
                      prepacked: true, threads: stepThreads),
            GemmShape(name: "recurrent dG·Whh", m: rows, n: H, k: G, transA: false, transB: false, beta: 1,
                      prepacked: true, threads: stepThreads),
            GemmShape(name: "weights dGᵀ·h", m: G, n: H, k: TB, transA: true, transB: false, beta: 0,
                      prepacked: false, threads: threads),
            GemmShape(name: "input x·Wihᵀ", m: TB, n: G, k: H, transA: false, transB: true, beta: 1,
                      prepacked: false, threads: threads),
            GemmShape(name: "input dG·Wih", m: TB, n: H, k: G, transA: false, transB: false, beta: 0,
                      prepacked: false, threads: threads),
            GemmShape(name: "decoder x·Wdᵀ", m: TB, n: V, k: H, transA: false, transB: true, beta: 1,
                      prepacked: false, threads: threads),
        ]
    }

    /// GFLOP/s of `sgemm` on `shape`, timed over about `seconds`. When the shape runs on fewer threads than
    /// `threads` (the per-step products, one per thread), that many copies run at once, one per thread, as
    /// in training, and the figure is their sum.
    public static func measure(_ shape: GemmShape, threads: Int, seconds: Double) -> Double {
        let copies = max(1, threads / shape.threads)
        if copies == 1 {
            return measureSgemm(m: shape.m, n: shape.n, k: shape.k, threads: shape.threads, seconds: seconds,
                                transA: shape.transA, transB: shape.transB, beta: shape.beta, prepackedB: shape.prepacked)
        }
        let results = GemmRates(count: copies)
        Parallel.forEach(copies, threads: copies) { i in
            results.set(i, measureSgemm(m: shape.m, n: shape.n, k: shape.k, threads: shape.threads, seconds: seconds,
                                        transA: shape.transA, transB: shape.transB, beta: shape.beta,
                                        prepackedB: shape.prepacked))
        }
        return results.sum
    }

    /// Trains `shape` for about `seconds` (after two warm-up steps) and generates for about `seconds / 2`.
    /// Resets the process's peak-RSS mark first (Linux), so the figure is this configuration's own.
    public static func run(_ shape: Shape, cell: CellKind, dropout: Float, threads: Int, corpus: CorpusFile,
                           vocabulary: Vocabulary, seconds: Double) throws(CharLSTMError) -> Result {
        resetPeakRSS()
        let config = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: shape.hidden,
                                 layers: shape.layers, dropout: dropout)
        try config.validate()
        var training = TrainingConfig()
        training.sequenceLength = shape.sequenceLength
        training.batchSize = shape.batchSize
        let split = try CorpusSplit(try TokenText(file: corpus, vocabulary: vocabulary), validationFraction: 0.05)
        var rng = RandomGenerator(seed: 1)
        let model = CharModel(config: config, rng: &rng, threads: threads)
        let trainer = try Trainer(model: model, config: training, split: split, rng: rng)
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
        try saveCheckpoint(of: trainer, vocabulary: vocabulary)
        let peak = peakRSSMiB()

        let generator = try TextGenerator(model: model, vocabulary: vocabulary, sampler: try! Sampler(), seed: 1)
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
                      generateCharsPerSecond: Double(generated) / genSeconds, peakRSSMiB: peak)
    }

    /// Saves a checkpoint of `trainer` to a temporary file, as `train` does, and deletes it.
    private static func saveCheckpoint(of trainer: Trainer, vocabulary: Vocabulary) throws(CharLSTMError) {
        let folder = FileManager.default.temporaryDirectory.path
        let path = "\(folder)/charlstm-bench-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let checkpoint = Checkpoint(trainer: trainer, vocabulary: vocabulary, validationLoss: nil, bestValidationLoss: nil,
                                    elapsedSeconds: 0)
        do {
            try checkpoint.save(to: path)
        } catch let error as CharLSTMError {
            throw error
        } catch {
            throw CharLSTMError(.io, "could not save the benchmark's checkpoint to '\(path)': \(error)")
        }
    }

    /// Peak resident set size of this process in MiB (VmHWM), 0 where unknown.
    public static func peakRSSMiB() -> Double {
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
private final class GemmRates: @unchecked Sendable {
    private var values: [Double]
    init(count: Int) { values = Array(repeating: 0, count: count) }
    func set(_ i: Int, _ v: Double) { values.withUnsafeMutableBufferPointer { $0[i] = v } }
    var sum: Double { values.reduce(0, +) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
