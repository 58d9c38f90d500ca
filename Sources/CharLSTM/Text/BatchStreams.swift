/// Cuts an encoded text into B parallel streams for truncated BPTT, as char-rnn does.
///
/// With n characters, each stream is a contiguous slice of S = (n − 1) / B characters: stream b reads
/// inputs text[b·S ..< b·S + S] and targets one character later. Batch p (0 ≤ p < S / T) takes characters
/// [p·T, p·T + T) of every stream, so batch p + 1 continues exactly where batch p stopped and the carried
/// state stays meaningful. The last (n − 1) mod B and S mod T characters of each epoch are not used.
final class BatchStreams {
    /// The text the streams are cut from.
    let text: TextSlice
    let batchSize: Int
    let sequenceLength: Int
    /// Characters per stream, S.
    let streamLength: Int
    /// Batches per epoch, S / T.
    let batchesPerEpoch: Int
    /// One reader per stream (for a file: a buffer of a few KiB each, the only memory the text costs).
    private let readers: [TokenReader]
    /// Per stream: the batch its reader stands just after the first input of (`carried`), or -1.
    private var readyFor: [Int]
    private var carried: [Int32]
    /// One stream's T + 1 characters.
    private var row: [Int32]

    /// Throws when the text is too short for even one batch.
    init(text: TextSlice, batchSize: Int, sequenceLength: Int, what: String = "training text") throws(CharLSTMError) {
        let needed = batchSize * sequenceLength + 1
        guard text.count >= needed else {
            throw .invalidData("the \(what) has \(text.count) characters, but one batch of \(batchSize) streams × "
                + "\(sequenceLength) characters needs \(needed): use a longer corpus or lower \(setting: .batchSize) / \(setting: .sequenceLength)")
        }
        self.text = text
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        streamLength = (text.count - 1) / batchSize
        batchesPerEpoch = streamLength / sequenceLength
        let bufferSize = TokenReader.bufferSize(forReadsOf: sequenceLength + 1)
        readers = (0..<batchSize).map { _ in TokenReader(text: text.text, bufferSize: bufferSize) }
        readyFor = Array(repeating: -1, count: batchSize)
        carried = Array(repeating: 0, count: batchSize)
        row = Array(repeating: 0, count: sequenceLength + 1)
    }

    /// Streams of tokens in memory.
    convenience init(text: [Int32], batchSize: Int, sequenceLength: Int, what: String = "training text") throws(CharLSTMError) {
        try self.init(text: TokenText(tokens: text).whole, batchSize: batchSize, sequenceLength: sequenceLength, what: what)
    }

    /// Fills `batch` (which must be T × B) with batch number `position` of the epoch. Each stream's reader goes on
    /// from the previous batch, or seeks when the position jumps (a resume, a new epoch). Throws `.io` when the file
    /// behind the text changed since it was scanned. O(T·B), no allocation.
    func fill(_ batch: inout TokenBatch, position p: Int) throws(CharLSTMError) {
        precondition(p >= 0 && p < batchesPerEpoch && batch.batchSize == batchSize && batch.sequenceLength == sequenceLength)
        let B = batchSize, T = sequenceLength, S = streamLength
        try text.text.checkUnchanged()
        try row.withUnsafeMutableBufferPointer { (r) throws(CharLSTMError) in
            for b in 0..<B {
                let reader = readers[b]
                if readyFor[b] == p {
                    r[0] = carried[b]
                    try reader.read(T, into: r.baseAddress! + 1)
                } else {
                    try reader.seek(to: text.start + b * S + p * T)
                    try reader.read(T + 1, into: r.baseAddress!)
                }
                carried[b] = r[T]
                readyFor[b] = p + 1
                batch.inputs.withUnsafeMutableBufferPointer { x in
                    batch.targets.withUnsafeMutableBufferPointer { y in
                        for t in 0..<T {
                            x[t * B + b] = r[t]
                            y[t * B + b] = r[t + 1]
                        }
                    }
                }
            }
        }
    }
}

/// A corpus divided into training and validation text: the last `validationFraction` of it is held out.
struct CorpusSplit: Sendable {
    let training: TextSlice
    let validation: TextSlice

    /// Holds out the last ⌊n · fraction⌋ characters, `fraction` in (0, 0.5] (else `.usage`). Both parts must be
    /// usable: the validation part at least two characters (one prediction); the training part is checked by
    /// ``BatchStreams``. O(1).
    init(_ text: TokenText, validationFraction: Double) throws(CharLSTMError) {
        try requireSetting("validation fraction", validationFraction, in: TrainingConfig.validationFractionInterval)
        let held = Int(Double(text.count) * validationFraction)
        guard held >= 2 else {
            throw .invalidData("the corpus has \(text.count) characters: a validation split of \(validationFraction) "
                + "leaves \(held) for validation, at least 2 are needed: use a longer corpus or a larger \(setting: .validationFraction)")
        }
        training = TextSlice(uncheckedText: text, start: 0, count: text.count - held)
        validation = TextSlice(uncheckedText: text, start: text.count - held, count: held)
    }

    /// The split of tokens in memory.
    init(_ tokens: [Int32], validationFraction: Double) throws(CharLSTMError) {
        try self.init(TokenText(tokens: tokens), validationFraction: validationFraction)
    }
}
