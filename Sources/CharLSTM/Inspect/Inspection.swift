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

/// What a model does over a text, character by character: how surprised it is, what it expected, what its
/// cells do, which cells follow simple properties of the text, and how often its gates saturate. Made by
/// ``Checkpoint/inspect(_:named:limit:threads:)``; drawn by ``InspectionPage``, written for scripts by
/// ``InspectionJSON``.
///
/// Step t is the model having read character t (from 0): its cells' activations then, and its prediction of
/// character t + 1. The last character is only predicted, never read.
public struct Inspection: Sendable {
    /// The most characters inspected by default: a report of a few pages, a few MB for a 2 × 256 model.
    public static let defaultLimit = 5_000
    /// The most characters that may be inspected at all.
    package static let limitRange = 2...200_000
    /// Predictions kept per character.
    public static let topCount = 5

    /// The inspected model's shape.
    public let config: ModelConfig
    /// The inspected model's characters (``topCharacters`` are indices into it).
    public let vocabulary: Vocabulary
    /// The characters inspected: the text, cut to the limit.
    public let text: [Unicode.Scalar]
    /// Characters of the whole text, before the limit.
    public let totalCharacters: Int
    /// Bits/char and accuracy of the continuous pass over ``text``: what `charlstm eval` gives on it.
    public let evaluation: Evaluation
    /// Bits of surprise at each character from the second: `surprisal[t]` is −log₂ p(text[t + 1]) [n − 1].
    public let surprisal: [Double]
    /// The ``topCount`` most likely next characters after each step, most likely first, as vocabulary
    /// indices [(n − 1) · topCount], and their probabilities (same layout); index −1 and probability 0 pad a
    /// vocabulary of fewer characters.
    public let topCharacters: [Int32], topProbabilities: [Float]
    /// Per layer, each step's cell activity quantised to Int8 as round(127 · a) [(n − 1) · H], where a is
    /// ``activityName``: tanh(c) for an LSTM, h otherwise (both in [−1, 1]).
    public let activity: [[Int8]]
    /// Per property, the cells whose activity follows it best (``rankedCount`` of them).
    public let cellsByProperty: [PropertyCells]
    /// Per property (in ``TextProperty/allCases`` order), every cell's correlation with it [L·H], cell j of
    /// layer k at k·H + j; nil where the cell or the property does not vary.
    public let correlations: [[Double?]]
    /// How often each gate saturated, per layer.
    public let gateSaturation: GateSaturation

    /// Cells ranked per property.
    public static let rankedCount = 10
    /// The most bytes of cell activity (``activity``: one byte per cell per character) an inspection keeps,
    /// about three quarters of what its page then holds: more would make a page no browser opens.
    public static let activityByteLimit = 256 << 20

    /// What ``activity`` shows for this model's cell: "tanh(c)" or "h".
    public var activityName: String { config.cell.hasCellState ? "tanh(c)" : "h" }

    /// Whether the text was cut to the limit.
    public var isCut: Bool { text.count < totalCharacters }

    /// Throws `.unavailable`, saying how many characters would fit, when inspecting `n` characters of a model
    /// of `config`'s shape would keep more than ``activityByteLimit`` of cell activity. O(1).
    static func requireActivityFits(characters n: Int, config: ModelConfig) throws(CharLSTMError) {
        let cells = config.layers * config.hidden
        guard (n - 1) * cells > activityByteLimit else { return }
        throw .unavailable("inspecting \(InspectionPage.grouped(n)) characters of a \(config.layers) × \(config.hidden) model "
            + "keeps \(Files.sizeText(Double((n - 1) * cells))) of cell activity, more than the "
            + "\(Files.sizeText(Double(activityByteLimit))) a report may hold: inspect at most "
            + "\(InspectionPage.grouped(activityByteLimit / cells + 1)) characters (\(setting: .maximumCharacters))")
    }

    /// The cell with the largest |r| over all properties, if any property varies.
    public var bestCell: CorrelatedCell? {
        cellsByProperty.compactMap(\.cells.first).max { abs($0.correlation) < abs($1.correlation) }
    }

    /// The best-ranked cell of layer `k` over all properties; nil when no property varies.
    public func bestCell(inLayer k: Int) -> CorrelatedCell? {
        cellsByProperty.flatMap(\.cells).filter { $0.layer == k }.max { abs($0.correlation) < abs($1.correlation) }
    }
}

extension TextModel {
    /// Runs the model over `text` (its first `limit` characters) in one continuous pass from a zero state, as
    /// ``evaluate(_:named:threads:)`` does, and records what ``Inspection`` holds.
    ///
    /// ```swift
    /// let model = try Checkpoint.load(path: "Checkpoints/pretrained/best.safetensors").textModel()
    /// let inspection = try model.inspect(Array("To be, or not to be".unicodeScalars))
    /// print(inspection.evaluation.bitsPerCharacter, inspection.cellsByProperty[0].cells.first as Any)
    /// ```
    ///
    /// Characters the vocabulary lacks are refused in the inspected part (`.invalidData` naming them, with `name`), left out
    /// or replaced, as `unknown` says (``Evaluation/unknown`` counts them over the whole text). Throws
    /// `.invalidData` for fewer than 2 characters; `.unavailable` when the cell activity would pass
    /// ``Inspection/activityByteLimit``. O(n·L·G·H² + n·V + n·P·L·H) time, O(n·(L·H + k)) memory.
    public func inspect(_ text: [Unicode.Scalar], named name: String = "the text", limit: Int = Inspection.defaultLimit,
                        unknown: UnknownCharacters = .refuse, threads: Int = 1) throws(CharLSTMError) -> Inspection {
        // Refusing, only the inspected part must be readable: characters past the limit are never read. Skipping
        // or replacing, the whole text is adapted, so the count of unknown characters covers all of it.
        let limit = max(limit, 2)
        let adapted = try vocabulary.adapting(unknown == .refuse ? Array(text.prefix(limit)) : text, unknown: unknown,
                                              named: name)
        let total = unknown == .refuse ? text.count : adapted.text.count
        let kept = Array(adapted.text.prefix(limit))
        let tokens = try encodeForPass(kept, named: name)
        try Inspection.requireActivityFits(characters: kept.count, config: config)
        let recorder = InspectionRecorder(config: config, text: kept)
        let result = makeNetwork(threads: threads).evaluateContinuous(tokens, observer: recorder)
        let steps = kept.count - 1, correlations = recorder.correlations.all(steps: steps)
        var evaluation = Evaluation(result)
        evaluation.unknown = adapted.unknown
        return Inspection(
            config: config, vocabulary: vocabulary, text: kept, totalCharacters: total, evaluation: evaluation,
            surprisal: recorder.surprisal, topCharacters: recorder.topCharacters, topProbabilities: recorder.topProbabilities,
            activity: recorder.activity,
            cellsByProperty: recorder.correlations.ranked(correlations, steps: steps, count: Inspection.rankedCount),
            correlations: correlations,
            gateSaturation: recorder.saturation.result)
    }
}

/// Records a continuous pass (batch 1) for an ``Inspection``: surprisal, top predictions, quantised cell
/// activity, correlation sums and gate saturation counts, step by step. Its large buffers are reserved up front.
final class InspectionRecorder: ForwardObserver {
    let config: ModelConfig
    var surprisal: [Double] = []
    var topCharacters: [Int32] = [], topProbabilities: [Float] = []
    var activity: [[Int8]]
    var correlations: CellCorrelations
    var saturation: GateSaturationCounter
    /// Steps each layer has run so far.
    private var stepsRun: [Int]
    /// Scratch for one step's cell activity [H] and the softmax of one row [V].
    private var scratch: [Float], probabilities: [Double]

    init(config: ModelConfig, text: [Unicode.Scalar]) {
        self.config = config
        let n = text.count - 1, H = config.hidden, k = Inspection.topCount
        surprisal.reserveCapacity(n)
        topCharacters.reserveCapacity(n * k)
        topProbabilities.reserveCapacity(n * k)
        activity = Array(repeating: [], count: config.layers)
        for i in activity.indices { activity[i].reserveCapacity(n * H) }
        correlations = CellCorrelations(properties: TextProperty.allCases, text: text, layers: config.layers, hidden: H)
        saturation = GateSaturationCounter(cell: config.cell, layers: config.layers, hidden: H)
        stepsRun = Array(repeating: 0, count: config.layers)
        scratch = Array(repeating: 0, count: H)
        probabilities = Array(repeating: 0, count: config.vocabularySize)
    }

    func layerDidRun(_ k: Int, rows: Int, gates: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
                     cellStates: UnsafePointer<Float>?) {
        let H = config.hidden, G = config.cell.gateCount * H
        scratch.withUnsafeMutableBufferPointer { a in
            for r in 0..<rows {
                if let c = cellStates {
                    for j in 0..<H { a[j] = tanh(c[r * H + j]) }
                } else {
                    a.baseAddress!.update(from: hidden + r * H, count: H)
                }
                for j in 0..<H { activity[k].append(Int8((max(-1, min(1, a[j])) * 127).rounded())) }
                correlations.add(layer: k, step: stepsRun[k], activations: a.baseAddress!)
                saturation.add(layer: k, gates: gates + r * G)
                stepsRun[k] += 1
            }
        }
    }

    func rowDidPredict(logits z: UnsafePointer<Float>, target: Int32, nats: Double, correct: Bool) {
        let V = config.vocabularySize, k = min(Inspection.topCount, V)
        surprisal.append(nats / M_LN2)
        var m = z[0]
        for v in 1..<V { m = max(m, z[v]) }
        var sum = 0.0
        probabilities.withUnsafeMutableBufferPointer { p in
            for v in 0..<V { p[v] = exp(Double(z[v] - m)); sum += p[v] }
            // The k largest by insertion into a short sorted list (ties: the lower index first).
            var best: [(Int, Double)] = []
            best.reserveCapacity(k + 1)
            for v in 0..<V where best.count < k || p[v] > best[best.count - 1].1 {
                let at = best.firstIndex { p[v] > $0.1 } ?? best.count
                best.insert((v, p[v]), at: at)
                if best.count > k { best.removeLast() }
            }
            for (v, q) in best {
                topCharacters.append(Int32(v))
                topProbabilities.append(Float(q / sum))
            }
        }
        for _ in k..<Inspection.topCount {
            topCharacters.append(-1)
            topProbabilities.append(0)
        }
    }
}
