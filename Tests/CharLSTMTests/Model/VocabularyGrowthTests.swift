import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// Growing a model's vocabulary for `train --init-from`: known characters keep their predictions bit for bit,
/// new characters get the rows the documentation promises.
@Suite struct VocabularyGrowthTests {
    /// A model on an English vocabulary, with a random (seeded) nonzero decoder so that every row differs.
    private func model(_ cell: CellKind, layers: Int = 2, hidden: Int = 24) -> (RecurrentNetwork, Vocabulary) {
        let vocabulary = Vocabulary(of: "To be, or not to be: that is the question! Exit.\n".unicodeScalars)
        var rng = RandomGenerator(seed: 7)
        let config = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: hidden, layers: layers)
        return (RecurrentNetwork(config: config, rng: &rng, threads: 1), vocabulary)
    }

    /// A corpus with characters the model lacks: variants of known ones (`ä`, `É`), one without a base (`ß`),
    /// one far above the rest (`🦓`), and one below every known character (`\t`).
    private let corpus = "Tä be, or nöt to be: a a\tÉ ß 🦓 ßß"

    @Test func vocabularyGrowsInOrderAndKeepsWhatTheCorpusLacks() throws {
        let (_, old) = model(.lstm)
        let growth = VocabularyGrowth(of: old, toCover: corpus.unicodeScalars)
        #expect(growth.new.scalars.map(\.value) == growth.new.scalars.map(\.value).sorted())
        #expect(growth.new.count == old.count + 6)
        // Known characters the corpus lacks ('q', '!') stay.
        for s in old.scalars { #expect(growth.new.index(of: s) != nil) }
        #expect(growth.added.map(\.character) == ["\t", "É", "ß", "ä", "ö", "🦓"])
        #expect(growth.added.map(\.base) == [nil, "E", nil, "a", "o", nil])
        #expect(growth.added.first { $0.character == "ß" }?.count == 3)
        // Known characters moved: '\t' sorts before '\n', so everything moved up by at least one.
        #expect(growth.indexMap == old.scalars.map { Int(growth.new.index(of: $0)!) })
        #expect(growth.indexMap.allSatisfy { $0 >= 1 })
        // Nothing to add: the same vocabulary.
        #expect(VocabularyGrowth(of: old, toCover: "to be".unicodeScalars).new == old)
        #expect(growth.addedDescription.contains("'ä' (U+00E4) from 'a' (U+0061)"))
    }

    /// Logits of every position of `text` through the step-by-step runner (matrix–vector decoder).
    private func stepLogits(_ model: RecurrentNetwork, _ tokens: [Int32]) -> [[Float]] {
        let runner = StepRunner(model: model)
        return tokens.map { Array(runner.step($0)) }
    }

    /// Logits of every position of `tokens` (as `batch` streams) through the batched forward-only pass (matrix–matrix
    /// decoder), rows in time-major order.
    private func batchedLogits(_ model: RecurrentNetwork, _ tokens: [Int32], batch B: Int) -> [[Float]] {
        let T = tokens.count / B, V = model.config.vocabularySize
        let batch = TokenBatch(sequenceLength: T, batchSize: B, inputs: Array(tokens.prefix(T * B)),
                               targets: Array(tokens.prefix(T * B)))
        let workspace = InferenceWorkspace(config: model.config, batchSize: B, chunkLength: T)
        _ = model.evaluate(batch, state: RecurrentState(config: model.config, batch: B), workspace: workspace)
        return (0..<T * B).map { r in Array(UnsafeBufferPointer(start: workspace.logits + r * V, count: V)) }
    }

    @Test(arguments: CellKind.allCases)
    func everyKnownCharacterPredictsBitForBitAsBefore(cell: CellKind) throws {
        let (original, old) = model(cell)
        let growth = VocabularyGrowth(of: old, toCover: corpus.unicodeScalars)
        let grown = original.growingVocabulary(growth, dropout: 0)
        #expect(grown.config.vocabularySize == growth.new.count && grown.config.hidden == original.config.hidden)
        let text = Array("To be, or not to be: that is the question! or not".unicodeScalars)
        let oldTokens = try old.encode(text), newTokens = try growth.new.encode(text)
        for (before, after) in [(stepLogits(original, oldTokens), stepLogits(grown, newTokens)),
                                (batchedLogits(original, oldTokens, batch: 4), batchedLogits(grown, newTokens, batch: 4))] {
            #expect(before.count == after.count && !before.isEmpty)
            for (b, a) in zip(before, after) {
                // The logit of every known character is the same number, bit for bit…
                let moved = growth.indexMap.map { a[$0] }
                #expect(moved.map(\.bitPattern) == b.map(\.bitPattern))
                // …so its probability among the known characters is too.
                #expect(knownProbabilities(moved).map(\.bitPattern) == knownProbabilities(b).map(\.bitPattern))
            }
        }
    }

    /// softmax over `logits`.
    private func knownProbabilities(_ logits: [Float]) -> [Float] {
        let peak = logits.max()!
        let e = logits.map { Foundation.exp($0 - peak) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    @Test func newCharactersStartFromTheirBaseOrFromNothing() throws {
        let (original, old) = model(.lstm, layers: 1, hidden: 8)
        let growth = VocabularyGrowth(of: old, toCover: corpus.unicodeScalars)
        let grown = original.growingVocabulary(growth, dropout: 0.25)
        #expect(grown.config.dropout == 0.25)
        let oldV = old.count, newV = growth.new.count, H = 8, rows = 4 * H
        let wOld = try #require(original.parameter("lstm.weight_ih_l0")), wNew = try #require(grown.parameter("lstm.weight_ih_l0"))
        let dOld = try #require(original.parameter("decoder.weight")), dNew = try #require(grown.parameter("decoder.weight"))
        let bOld = try #require(original.parameter("decoder.bias")), bNew = try #require(grown.parameter("decoder.bias"))
        func column(_ w: UnsafeMutableBufferPointer<Float>, _ j: Int, width: Int) -> [Float] { (0..<rows).map { w[$0 * width + j] } }
        func row(_ w: UnsafeMutableBufferPointer<Float>, _ j: Int) -> [Float] { Array(w[j * H..<(j + 1) * H]) }
        func new(_ s: Unicode.Scalar) -> Int { Int(growth.new.index(of: s)!) }
        func known(_ s: Unicode.Scalar) -> Int { Int(old.index(of: s)!) }

        // 'ä' reads and is predicted like 'a', scaled by its count: 1 'ä' against 2 'a' in the corpus.
        #expect(column(wNew, new("ä"), width: newV) == column(wOld, known("a"), width: oldV))
        #expect(row(dNew, new("ä")) == row(dOld, known("a")))
        #expect(abs(bNew[new("ä")] - (bOld[known("a")] + Foundation.log(Float(1) / 2))) < 1e-6)
        // 'ß' has no base: a zero column and row, and at a zero state its share of the corpus (3 of 30).
        #expect(column(wNew, new("ß"), width: newV).allSatisfy { $0 == 0 })
        #expect(row(dNew, new("ß")).allSatisfy { $0 == 0 })
        let biases = (0..<oldV).map { Double(bOld[$0]) }
        let atZeroState = Foundation.exp(Double(bNew[new("ß")])) / (biases.map(Foundation.exp).reduce(0, +) + Foundation.exp(Double(bNew[new("ß")])))
        let share = 3.0 / Double(corpus.unicodeScalars.count)
        #expect(abs(atZeroState - share / (1 + share)) < 1e-5, "\(atZeroState)")
        // Tensors without a character axis are copied as they are.
        for name in ["lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0"] {
            #expect(Array(try #require(grown.parameter(name))) == Array(try #require(original.parameter(name))))
        }
    }
}
