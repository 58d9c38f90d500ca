import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// `charlstm inspect`'s numbers: the same pass as `eval`, and every figure checked against an independent
/// computation (the double-precision reference model, run one character at a time, and naive statistics).
@Suite struct InspectionTests {
    /// A text with quotes, brackets, lines, words, capitals, accents, Chinese and emoji.
    static let text = """
        "Hello (world)," she said. "Où [est] le café?"
        床前明月光，疑是地上霜。「举头望明月」 🙂🚀 ok
        He wrote: (a (nested) note) and THEN stopped.
        "Again," said he; “curly quotes” too.

        """

    /// A random model over the text's characters, weights scaled up so its cells swing widely.
    static func checkpoint(_ cell: CellKind, layers: Int = 2, hidden: Int = 12, seed: UInt64 = 7) -> Checkpoint {
        let vocabulary = Vocabulary(of: text.unicodeScalars)
        let config = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: hidden, layers: layers)
        var rng = RandomGenerator(seed: seed)
        let model = RecurrentNetwork(config: config, rng: &rng)
        for i in 0..<model.parameters.count { model.parameters[i] *= 4 }
        return Checkpoint(network: model, vocabulary: vocabulary, training: nil)
    }

    @Test(arguments: CellKind.allCases)
    func meanSurprisalIsEvalsBitsPerCharacter(cell: CellKind) throws {
        let checkpoint = Self.checkpoint(cell), text = Array(Self.text.unicodeScalars)
        for limit in [text.count, 57, 2] {
            let inspection = try checkpoint.textModel().inspect(text, limit: limit, threads: 2)
            let eval = try checkpoint.textModel().evaluate(Array(text.prefix(limit)), threads: 1)
            // The header is eval's own figures; the per-character surprisal averages to them.
            #expect(inspection.evaluation == eval)
            #expect(inspection.surprisal.count == limit - 1 && inspection.text.count == limit)
            let mean = inspection.surprisal.reduce(0, +) / Double(inspection.surprisal.count)
            #expect(abs(mean - eval.bitsPerCharacter) <= 1e-12 * eval.bitsPerCharacter, "\(mean) vs \(eval.bitsPerCharacter)")
            #expect(inspection.isCut == (limit < text.count) && inspection.totalCharacters == text.count)
        }
    }

    @Test func anObserverDoesNotChangeTheNumbers() {
        let checkpoint = Self.checkpoint(.lstm), model = checkpoint.makeNetwork(threads: 2)
        let tokens = try! checkpoint.vocabulary.encode(Self.text.unicodeScalars)
        final class Nothing: ForwardObserver {
            func layerDidRun(_ k: Int, rows: Int, gates: UnsafePointer<Float>, hidden: UnsafePointer<Float>, cellStates: UnsafePointer<Float>?) {}
            func rowDidPredict(logits: UnsafePointer<Float>, target: Int32, nats: Double, correct: Bool) {}
        }
        for chunk in [7, 256] {
            let plain = model.evaluateContinuous(tokens, chunk: chunk), observed = model.evaluateContinuous(tokens, chunk: chunk, observer: Nothing())
            #expect(plain.nats == observed.nats && plain.correct == observed.correct && plain.count == observed.count)
        }
    }

    /// What the reference model (Double, naive loops, one character at a time) says at every step.
    struct ReferenceRun {
        var activity: [[[Double]]] = []   // [step][layer][cell]: tanh(c) or h
        var surprisal: [Double] = []      // bits
        var probabilities: [[Double]] = []
    }

    static func referenceRun(_ checkpoint: Checkpoint, _ tokens: [Int32]) -> ReferenceRun {
        let config = checkpoint.config, L = config.layers, H = config.hidden
        let reference = ReferenceModel(checkpoint.makeNetwork())
        var h = Array(repeating: [Array(repeating: 0.0, count: H)], count: L), c = h
        var run = ReferenceRun()
        for t in 0..<(tokens.count - 1) {
            let out = reference.forward(inputs: [tokens[t]], targets: [tokens[t + 1]], T: 1, B: 1, h0: h, c0: c)
            h = out.h
            c = out.c
            run.activity.append((0..<L).map { k in config.cell.hasCellState ? c[k][0].map { tanh($0) } : h[k][0] })
            run.surprisal.append(out.meanNats / log(2))
            let z = out.logits[0], m = z.max()!, e = z.map { exp($0 - m) }, s = e.reduce(0, +)
            run.probabilities.append(e.map { $0 / s })
        }
        return run
    }

    /// Pearson's r, two-pass, in Double; nil when either side is constant.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxx > 1e-12 && syy > 1e-12 ? sxy / (sxx * syy).squareRoot() : nil
    }

    @Test(arguments: CellKind.allCases)
    func everyFigureMatchesTheReferenceModel(cell: CellKind) throws {
        let checkpoint = Self.checkpoint(cell), text = Array(Self.text.unicodeScalars), n = text.count - 1
        let config = checkpoint.config, H = config.hidden, L = config.layers, k = Inspection.topCount
        let inspection = try checkpoint.textModel().inspect(text, threads: 1)
        let reference = Self.referenceRun(checkpoint, try checkpoint.vocabulary.encode(text))
        #expect(inspection.activityName == (cell == .lstm ? "tanh(c)" : "h"))
        for t in 0..<n {
            #expect(abs(inspection.surprisal[t] - reference.surprisal[t]) < 1e-3, "step \(t)")
            // The top predictions are the reference's most likely characters, with their probabilities.
            let p = reference.probabilities[t]
            for r in 0..<k {
                let v = Int(inspection.topCharacters[t * k + r])
                #expect(abs(Double(inspection.topProbabilities[t * k + r]) - p[v]) < 1e-4)
                #expect(p.filter { $0 > p[v] + 1e-5 }.count <= r, "step \(t): rank \(r) is not among the top \(r + 1)")
            }
            for layer in 0..<L {
                for j in 0..<H {
                    let a = Double(inspection.activity[layer][t * H + j]) / 127
                    #expect(abs(a - reference.activity[t][layer][j]) <= 0.5 / 127 + 1e-4, "step \(t) layer \(layer) cell \(j)")
                }
            }
        }
        // Correlations: every cell against every property, and the ranking built from them.
        for (p, property) in TextProperty.allCases.enumerated() {
            let y = property.values(in: text).prefix(n).map(Double.init)
            var expected: [(layer: Int, cell: Int, r: Double)] = []
            for layer in 0..<L {
                for j in 0..<H {
                    let x = (0..<n).map { reference.activity[$0][layer][j] }
                    let r = Self.pearson(x, Array(y)), got = inspection.correlations[p][layer * H + j]
                    #expect((r == nil) == (got == nil), "\(property) layer \(layer) cell \(j)")
                    if let r, let got { #expect(abs(r - got) < 1e-4, "\(property) layer \(layer) cell \(j): \(got) vs \(r)") }
                    if let r { expected.append((layer, j, r)) }
                }
            }
            let entry = inspection.cellsByProperty[p]
            #expect(entry.property == property && entry.varies)
            #expect(entry.cells.count == min(Inspection.rankedCount, expected.count))
            let sortedByStrength = expected.map { abs($0.r) }.sorted(by: >)
            for (rank, found) in entry.cells.enumerated() {
                #expect(abs(abs(found.correlation) - sortedByStrength[rank]) < 1e-4, "\(property) rank \(rank)")
            }
        }
    }

    @Test func thePropertiesOfAText() {
        let text = Array("Ab \"c (d\n[e]) “f” Gh".unicodeScalars)
        // index:        A b _ " c _ ( d ⏎ [ e ] ) _ “ f ” _ G h
        func values(_ p: TextProperty) -> [Int] { p.values(in: text).map { Int($0) } }
        #expect(values(.insideQuotes) == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
        #expect(values(.insideBrackets) == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(values(.positionInLine) == [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
        #expect(values(.startOfWord) == [1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0])
        #expect(values(.upperCase) == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0])
        // Chinese brackets and corner quotes; a closing bracket with none open stays outside.
        let chinese = Array("）「月（光）」".unicodeScalars)
        #expect(TextProperty.insideQuotes.values(in: chinese).map { Int($0) } == [0, 1, 1, 1, 1, 1, 0])
        #expect(TextProperty.insideBrackets.values(in: chinese).map { Int($0) } == [0, 0, 0, 1, 1, 0, 0])
    }

    @Test func aPropertyThatNeverChangesHasNoCells() throws {
        let checkpoint = Self.checkpoint(.gru)
        let inspection = try checkpoint.textModel().inspect(Array("hello world, said the cat\nto the dog".unicodeScalars))
        let quotes = inspection.cellsByProperty.first { $0.property == .insideQuotes }!
        #expect(!quotes.varies && quotes.cells.isEmpty)
        #expect(inspection.correlations[0].allSatisfy { $0 == nil })
        #expect(inspection.cellsByProperty.first { $0.property == .positionInLine }!.varies)
    }

    @Test(arguments: CellKind.allCases)
    func gateSaturationOfGatesWithKnownValues(cell: CellKind) throws {
        // No weights, only biases: every gate holds squash(b_ih + b_hh) at every step. Cell j's biases are
        // +6 (right-saturated), −6 (left) or 0.5 (neither), by j % 3.
        let vocabulary = Vocabulary(of: "ab".unicodeScalars), H = 6
        let config = ModelConfig(cell: cell, vocabularySize: 2, hidden: H, layers: 2)
        let layout = ParameterLayout(config), parameters = FloatBuffer(count: layout.totalCount)
        let bias: [Float] = [3, -3, 0.25]
        for k in 0..<2 {
            let o = layout.layer(k)
            for row in 0..<(cell.gateCount * H) {
                parameters[o.biasIH + row] = bias[(row % H) % 3]
                parameters[o.biasHH + row] = bias[(row % H) % 3]
            }
        }
        let checkpoint = try Checkpoint(config: config, vocabulary: vocabulary, parameters: parameters)
        let inspection = try checkpoint.textModel().inspect(Array("abba abab".unicodeScalars.filter { $0 != " " }))
        #expect(inspection.gateSaturation.layers.count == 2)
        for gates in inspection.gateSaturation.layers {
            #expect(gates.map(\.block) == cell.gateBlocks)
            for gate in gates {
                for j in 0..<H {
                    var expectedLeft = j % 3 == 1 ? 1.0 : 0, expectedRight = j % 3 == 0 ? 1.0 : 0
                    // GRU's n is tanh(ax + r ⊙ ah): with r = sigmoid(±6) or sigmoid(0.5) its argument is no longer ±6.
                    if cell == .gru && gate.block.name == "n" {
                        let r = 1 / (1 + exp(-2 * Double(bias[j % 3]))), a = tanh(Double(bias[j % 3]) * (1 + r))
                        expectedLeft = (a + 1) / 2 < 0.1 ? 1 : 0
                        expectedRight = (a + 1) / 2 > 0.9 ? 1 : 0
                    }
                    #expect(gate.left[j] == expectedLeft && gate.right[j] == expectedRight, "\(gate.block.name) cell \(j)")
                }
                #expect(abs(gate.meanLeft - gate.left.reduce(0, +) / Double(H)) < 1e-12)
            }
        }
    }

    @Test func aReportTooLargeForABrowserIsRefusedSayingHowMuchFits() throws {
        let big = ModelConfig(vocabularySize: 80, hidden: 8192, layers: 16)    // 131,072 cells: 2,048 characters fit
        try Inspection.requireActivityFits(characters: 2_049, config: big)
        #expect(throws: CharLSTMError(.unavailable, "inspecting 2,050 characters of a 16 × 8192 model keeps 256.1 MiB of cell "
                + "activity, more than the 256.0 MiB a report may hold: inspect at most 2,049 characters (maximumCharacters)")) {
            try Inspection.requireActivityFits(characters: 2_050, config: big)
        }
        try Inspection.requireActivityFits(characters: Inspection.limitRange.upperBound, config: ModelConfig(vocabularySize: 80, hidden: 512, layers: 2))
    }

    @Test func aTextWithCharactersTheModelLacksOrTooShortIsRefused() {
        let checkpoint = Self.checkpoint(.rnn)
        #expect(throws: CharLSTMError.self) { try checkpoint.textModel().inspect(Array("Zebra".unicodeScalars), named: "'z.txt'") }
        #expect(throws: CharLSTMError.self) { try checkpoint.textModel().inspect(Array("a".unicodeScalars)) }
        // Only the inspected part must be readable: characters past the limit are never read.
        #expect((try? checkpoint.textModel().inspect(Array("Hello Zebra".unicodeScalars), limit: 5)) != nil)
    }
}
