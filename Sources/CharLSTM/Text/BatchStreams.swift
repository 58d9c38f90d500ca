/// Cuts an encoded text into B parallel streams for truncated BPTT, as char-rnn does.
///
/// With n characters, each stream is a contiguous slice of S = (n − 1) / B characters: stream b reads
/// inputs text[b·S ..< b·S + S] and targets one character later. Batch p (0 ≤ p < S / T) takes characters
/// [p·T, p·T + T) of every stream, so batch p + 1 continues exactly where batch p stopped and the carried
/// state stays meaningful. The last (n − 1) mod B and S mod T characters of each epoch are not used.
public struct BatchStreams: Sendable {
    public let text: [Int32]
    public let batchSize: Int
    public let sequenceLength: Int
    /// Characters per stream, S.
    public let streamLength: Int
    /// Batches per epoch, S / T.
    public let batchesPerEpoch: Int

    /// Throws when the text is too short for even one batch.
    public init(text: [Int32], batchSize: Int, sequenceLength: Int, what: String = "training text") throws(CharLSTMError) {
        let needed = batchSize * sequenceLength + 1
        guard text.count >= needed else {
            throw .invalidData("the \(what) has \(text.count) characters, but one batch of \(batchSize) streams × "
                + "\(sequenceLength) characters needs \(needed): use a longer corpus or lower --batch-size / --seq-length")
        }
        self.text = text
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        streamLength = (text.count - 1) / batchSize
        batchesPerEpoch = streamLength / sequenceLength
    }

    /// Fills `batch` (which must be T × B) with batch number `position` of the epoch. O(T·B).
    public func fill(_ batch: inout TokenBatch, position p: Int) {
        precondition(p >= 0 && p < batchesPerEpoch && batch.batchSize == batchSize && batch.sequenceLength == sequenceLength)
        let B = batchSize, T = sequenceLength, S = streamLength
        text.withUnsafeBufferPointer { src in
            batch.inputs.withUnsafeMutableBufferPointer { x in
                batch.targets.withUnsafeMutableBufferPointer { y in
                    for b in 0..<B {
                        let start = b * S + p * T
                        for t in 0..<T {
                            x[t * B + b] = src[start + t]
                            y[t * B + b] = src[start + t + 1]
                        }
                    }
                }
            }
        }
    }
}

/// A corpus divided into training and validation text: the last `validationFraction` of it is held out.
public struct CorpusSplit: Sendable {
    public let training: [Int32]
    public let validation: [Int32]

    /// Holds out the last ⌊n · fraction⌋ characters. Both parts must be usable: the validation part at least
    /// two characters (one prediction); the training part is checked by ``BatchStreams``.
    public init(_ text: [Int32], validationFraction: Double) throws(CharLSTMError) {
        let held = Int(Double(text.count) * validationFraction)
        guard held >= 2 else {
            throw .invalidData("the corpus has \(text.count) characters: a validation split of \(validationFraction) "
                + "leaves \(held) for validation, at least 2 are needed: use a longer corpus or a larger --val-fraction")
        }
        training = Array(text[..<(text.count - held)])
        validation = Array(text[(text.count - held)...])
    }
}
