/// One training batch of a series model: B streams × T steps of input rows of F standardised values and the
/// target rows one step later, time-major (`inputs[(t * B + b) * F + j]`).
struct SeriesBatch: Sendable {
    let sequenceLength: Int
    let batchSize: Int
    /// Values per row, F: the columns the model reads.
    let width: Int
    var inputs: [Float]
    var targets: [Float]

    init(sequenceLength: Int, batchSize: Int, width: Int) {
        self.sequenceLength = sequenceLength
        self.batchSize = batchSize
        self.width = width
        inputs = .init(repeating: 0, count: sequenceLength * batchSize * width)
        targets = inputs
    }

    /// Makes this batch (B′ streams) streams `first ..< first + B′` of `batch`, which has as many steps and columns.
    /// O(T·B′·F), no allocation.
    mutating func copyStreams(from batch: SeriesBatch, first: Int) {
        precondition(batch.sequenceLength == sequenceLength && batch.width == width && first + batchSize <= batch.batchSize)
        let n = batchSize * width, offset = first * width, stride = batch.batchSize * width
        inputs.withUnsafeMutableBufferPointer { x in
            targets.withUnsafeMutableBufferPointer { y in
                batch.inputs.withUnsafeBufferPointer { sx in
                    batch.targets.withUnsafeBufferPointer { sy in
                        for t in 0..<sequenceLength {
                            (x.baseAddress! + t * n).update(from: sx.baseAddress! + t * stride + offset, count: n)
                            (y.baseAddress! + t * n).update(from: sy.baseAddress! + t * stride + offset, count: n)
                        }
                    }
                }
            }
        }
    }
}

/// Cuts a standardised series of n rows into B parallel streams for truncated BPTT, as ``BatchStreams`` does
/// a text: stream b reads rows [b·S, b·S + S) with S = (n − 1) / B as inputs and the rows one step later as
/// targets, and batch p takes steps [p·T, p·T + T) of every stream, so that the carried state stays meaningful.
struct SeriesStreams: Sendable {
    /// The rows, row-major [n, width].
    let values: [Float]
    let width: Int
    let batchSize: Int
    let sequenceLength: Int
    /// Rows per stream, S.
    let streamLength: Int
    /// Batches per epoch, S / T.
    let batchesPerEpoch: Int

    /// Rows a series needs for one batch of B streams × T steps: B·T inputs, and one more row for the last target.
    static func rowsNeeded(batchSize: Int, sequenceLength: Int) -> Int { batchSize * sequenceLength + 1 }

    /// Throws `.invalidData`, saying how many values are needed, when the series is too short for one batch.
    init(values: [Float], width: Int, batchSize: Int, sequenceLength: Int) throws(CharLSTMError) {
        let n = values.count / width, needed = Self.rowsNeeded(batchSize: batchSize, sequenceLength: sequenceLength)
        guard n >= needed else {
            throw .invalidData("the training part of the series has \(n) values, but one batch of \(batchSize) streams × "
                + "\(sequenceLength) steps needs \(needed): use a longer series, a smaller \(setting: .validationFraction), "
                + "or lower \(setting: .batchSize) / \(setting: .sequenceLength)")
        }
        self.values = values
        self.width = width
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        streamLength = (n - 1) / batchSize
        batchesPerEpoch = streamLength / sequenceLength
    }

    /// Fills `batch` (T × B × width) with batch number `p` of the epoch. O(T·B·F).
    func fill(_ batch: inout SeriesBatch, position p: Int) {
        precondition(p >= 0 && p < batchesPerEpoch && batch.batchSize == batchSize && batch.sequenceLength == sequenceLength
            && batch.width == width)
        let B = batchSize, F = width
        values.withUnsafeBufferPointer { src in
            batch.inputs.withUnsafeMutableBufferPointer { x in
                batch.targets.withUnsafeMutableBufferPointer { y in
                    for b in 0..<B {
                        let start = b * streamLength + p * sequenceLength
                        for t in 0..<sequenceLength {
                            let row = (t * B + b) * F, from = (start + t) * F
                            for j in 0..<F {
                                x[row + j] = src[from + j]
                                y[row + j] = src[from + F + j]
                            }
                        }
                    }
                }
            }
        }
    }
}
