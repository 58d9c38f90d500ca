import CharLSTMKernels
import Foundation

/// The standard throughput measurements behind `charlstm bench`: training and generation speed of the
/// S, M and L configurations on a corpus, and the peak resident memory while training.
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
        public var peakRSSMiB: Double
    }

    /// Trains `shape` for about `seconds` (after two warm-up steps) and generates for about `seconds / 2`.
    /// Resets the process's peak-RSS mark first (Linux), so the figure is this configuration's own.
    public static func run(_ shape: Shape, cell: CellKind, dropout: Float, threads: Int, text: [Unicode.Scalar],
                           seconds: Double) throws(CharLSTMError) -> Result {
        resetPeakRSS()
        let vocabulary = Vocabulary(of: text)
        let config = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: shape.hidden,
                                 layers: shape.layers, dropout: dropout)
        var training = TrainingConfig()
        training.sequenceLength = shape.sequenceLength
        training.batchSize = shape.batchSize
        let split = try CorpusSplit(try vocabulary.encode(text), validationFraction: 0.05)
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
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
