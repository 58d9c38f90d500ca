import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct OverfitTests {
    /// A model that can memorise must memorise: a short text is learned to < 0.1 bits/char.
    @Test(arguments: CellKind.allCases)
    func memorisesAShortText(cell: CellKind) throws {
        let text = "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs."
        let vocabulary = Vocabulary(of: text.unicodeScalars)
        let encoded = try vocabulary.encode(text.unicodeScalars)
        var rng = RandomGenerator(seed: 11)
        let model = RecurrentNetwork(config: ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: 48, layers: 2), rng: &rng)
        var config = TrainingConfig()
        config.sequenceLength = 21
        config.batchSize = 1
        config.learningRateDecay = 1
        config.learningRate = 1e-2
        let split = CorpusSplit(training: encoded, validation: Array(encoded.prefix(8)))
        let trainer = try Trainer(model: model, vocabulary: vocabulary, split: split, config: config, rng: rng)
        for _ in 0..<300 { try trainer.trainStep() }
        let bpc = model.evaluateContinuous(encoded).bitsPerCharacter
        // One stream through the whole text: the continuous evaluation sees exactly what training saw.
        #expect(bpc < 0.1, "\(cell): \(bpc) bits/char after 300 steps")
    }
}

extension CorpusSplit {
    init(training: [Int32], validation: [Int32]) {
        self = try! CorpusSplit(training + validation, validationFraction: Double(validation.count) / Double(training.count + validation.count) + 1e-9)
    }
}
