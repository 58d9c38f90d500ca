/// One training batch: B streams × T steps of input indices and the target indices one character later,
/// time-major (`inputs[t * B + b]`).
struct TokenBatch: Sendable {
    let sequenceLength: Int
    let batchSize: Int
    var inputs: [Int32]
    var targets: [Int32]

    init(sequenceLength: Int, batchSize: Int) {
        self.sequenceLength = sequenceLength
        self.batchSize = batchSize
        inputs = .init(repeating: 0, count: sequenceLength * batchSize)
        targets = inputs
    }

    init(sequenceLength: Int, batchSize: Int, inputs: [Int32], targets: [Int32]) {
        precondition(inputs.count == sequenceLength * batchSize && targets.count == inputs.count)
        self.sequenceLength = sequenceLength
        self.batchSize = batchSize
        self.inputs = inputs
        self.targets = targets
    }

    /// Makes this batch (B′ streams) streams `first ..< first + B′` of `batch`, which has as many steps.
    /// O(T·B′), no allocation.
    mutating func copyStreams(from batch: TokenBatch, first: Int) {
        precondition(batch.sequenceLength == sequenceLength && first + batchSize <= batch.batchSize)
        let B = batch.batchSize, n = batchSize
        for t in 0..<sequenceLength {
            inputs.withUnsafeMutableBufferPointer { dst in
                batch.inputs.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + t * n).update(from: src.baseAddress! + t * B + first, count: n)
                }
            }
            targets.withUnsafeMutableBufferPointer { dst in
                batch.targets.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + t * n).update(from: src.baseAddress! + t * B + first, count: n)
                }
            }
        }
    }
}
