#if canImport(FoundationEssentials)
@_spi(_Unicode) import Swift  // String._nfd: the standard library's canonical decomposition
#endif
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

/// How a model's vocabulary grows to cover a new corpus: the characters it adds, where every known character
/// moves (the vocabulary stays in ascending order), and how each new character's rows start.
///
/// A new character starts from the known character it is a variant of, when there is one: the first scalar of
/// its canonical decomposition (`ä` → `a`, `É` → `E`, `ñ` → `n`). Otherwise (`ß`, `€`, an emoji) it starts
/// from nothing. See ``RecurrentNetwork/growingVocabulary(_:)`` for what that means for the weights.
public struct VocabularyGrowth: Sendable {
    /// The model's vocabulary.
    public let old: Vocabulary
    /// The grown vocabulary: the old one and the corpus's characters it lacked, in ascending order.
    public let new: Vocabulary
    /// For every old index, the index of the same character in ``new``.
    let indexMap: [Int]
    /// The characters added, ascending, each with the known character it starts from (nil: from nothing) and its
    /// count in the corpus.
    public let added: [(character: Unicode.Scalar, base: Unicode.Scalar?, count: Int)]
    /// How often each character occurs in the corpus, by scalar value.
    let counts: [UInt32: Int]

    /// The growth of `old` that covers the characters of `text`. O(n + V log V).
    init(of old: Vocabulary, toCover text: some Sequence<Unicode.Scalar>) {
        var counts: [UInt32: Int] = [:]
        for s in text { counts[s.value, default: 0] += 1 }
        self.init(of: old, counts: counts)
    }

    /// The growth of `old` that covers the characters of a scanned text file, counted in one pass over the file
    /// through a small buffer (the text is not held in memory). Throws `.io` when the file changed since it was
    /// scanned. O(bytes + V log V).
    init(of old: Vocabulary, toCover file: CorpusFile) throws(CharLSTMError) {
        let counts = try file.occurrences(of: file.scalars)
        self.init(of: old, counts: Dictionary(zip(file.scalars.map(\.value), counts), uniquingKeysWith: +))
    }

    /// The growth of `old` that covers the characters counted in `counts` (scalar value → occurrences).
    private init(of old: Vocabulary, counts: [UInt32: Int]) {
        let new = old.adding(charactersOf: counts.keys.sorted().map { Unicode.Scalar($0)! })
        self.old = old
        self.new = new
        self.counts = counts
        indexMap = old.indexMap(into: new)!  // `new` holds every old character by construction
        added = new.scalars.filter { old.index(of: $0) == nil }.map { character in
            (character, Self.base(of: character, in: old), counts[character.value] ?? 0)
        }
    }

    /// The known character `character` is a variant of: the first scalar of its canonical decomposition, when
    /// that differs from it and `vocabulary` holds it.
    static func base(of character: Unicode.Scalar, in vocabulary: Vocabulary) -> Unicode.Scalar? {
        let first = firstOfCanonicalDecomposition(character)
        guard first != character, vocabulary.index(of: first) != nil else { return nil }
        return first
    }

    /// The first scalar of `character`'s canonical decomposition (NFD), `character` itself when it has none:
    /// "e" for "é", "A" for "Å" (U+212B ANGSTROM SIGN). From the standard library's normalisation tables, the ones
    /// `String` comparison uses (Foundation's `decomposedStringWithCanonicalMapping` would link ICU on Linux; Apple
    /// platforms, which have no separate FoundationEssentials, keep it).
    static func firstOfCanonicalDecomposition(_ character: Unicode.Scalar) -> Unicode.Scalar {
        #if canImport(FoundationEssentials)
        var decomposition = String(character)._nfd.makeIterator()
        return decomposition.next() ?? character
        #else
        return String(character).decomposedStringWithCanonicalMapping.unicodeScalars.first ?? character
        #endif
    }

    /// How often `character` occurs in the corpus.
    func count(of character: Unicode.Scalar) -> Int { counts[character.value] ?? 0 }

    /// `'ä' (U+00E4) from 'a' (U+0061), 'ß' (U+00DF)`: the added characters as users should see them (at most 10).
    public var addedDescription: String {
        let shown = added.prefix(10).map { a in
            Vocabulary.describe(a.character) + (a.base.map { " from " + Vocabulary.describe($0) } ?? "")
        }
        return shown.joined(separator: ", ") + (added.count > 10 ? " and \(added.count - 10) more" : "")
    }
}

extension RecurrentNetwork {
    /// This model with its vocabulary grown as `growth` says: the same weights, every known character's rows
    /// moved to its new index, and new rows for the added characters. Dropout is `dropout`. O(parameters).
    ///
    /// Only two tensors have a row or column per character: the first layer's input weights W_ih [G·H, V]
    /// (one-hot input, so character j reads column j and nothing else) and the decoder (weight [V, H], bias [V]).
    /// Every other tensor is copied as it is. A new character c starts
    /// - in W_ih with its base character's column when it has one, so the network first reads `ä` as it reads
    ///   `a` and its state stays in the region it was trained in; else with a zero column (it adds only the
    ///   biases), the neutral choice: small random values would only push the state somewhere untrained, and a
    ///   zero column still gets its gradient, from the steps where c is the input, at the first update;
    /// - in the decoder, with its base's weight row and bias b_base + ln(n_c / n_base) (counts in the corpus), so
    ///   it is predicted where its base is, scaled by how much rarer it is; else with a zero row and the bias
    ///   logsumexp(b_known) + ln(n_c / n): at a zero hidden state it gets its share n_c / n of the corpus, and in
    ///   a confident context, where known logits stand far above their biases, much less.
    ///
    /// Either way no known character's computation reads a new row, so before training every known logit is the
    /// same number as in this model (the tests check it bit for bit): the new model predicts what this one did,
    /// with a little probability moved to the new characters.
    func growingVocabulary(_ growth: VocabularyGrowth, dropout: Float) -> RecurrentNetwork {
        precondition(growth.old.count == config.vocabularySize, "the growth starts from another vocabulary")
        var grownConfig = config
        grownConfig.vocabularySize = growth.new.count
        grownConfig.dropout = dropout
        let grown = RecurrentNetwork(config: grownConfig, sharing: FloatBuffer(count: ParameterLayout(grownConfig).totalCount),
                              threads: threads)
        let source = parameters.pointer, target = grown.parameters.pointer
        let oldV = config.vocabularySize, newV = grownConfig.vocabularySize, H = config.hidden
        let inputWeights = layout.layer(0).weightIH, newInputWeights = grown.layout.layer(0).weightIH
        let rows = config.cell.gateCount * H
        // Tensors without a per-character axis: the same shape in both layouts, copied as they are.
        for entry in layout.entries where entry.offset != inputWeights && entry.offset != layout.decoder.weight
            && entry.offset != layout.decoder.bias {
            let twin = grown.layout.entry(named: entry.name)!
            (target + twin.offset).update(from: source + entry.offset, count: entry.count)
        }
        // Known characters: their W_ih column, decoder row and bias move to the new index.
        for (old, new) in growth.indexMap.enumerated() {
            for r in 0..<rows { target[newInputWeights + r * newV + new] = source[inputWeights + r * oldV + old] }
            (target + grown.layout.decoder.weight + new * H).update(from: source + layout.decoder.weight + old * H, count: H)
            target[grown.layout.decoder.bias + new] = source[layout.decoder.bias + old]
        }
        // New characters: from their base character, or from nothing (the buffer is zeroed).
        let biases = UnsafeBufferPointer(start: source + layout.decoder.bias, count: oldV)
        let biasPeak = biases.max() ?? 0
        let logSumExpBias = biasPeak + Float(log(biases.reduce(0.0) { $0 + Double(exp($1 - biasPeak)) }))
        let total = Float(max(1, growth.counts.values.reduce(0, +)))
        for added in growth.added {
            let new = Int(growth.new.index(of: added.character)!)
            let count = Float(max(1, added.count))
            guard let base = added.base, let baseIndex = growth.old.index(of: base).map(Int.init) else {
                target[grown.layout.decoder.bias + new] = logSumExpBias + log(count / total)
                continue
            }
            for r in 0..<rows { target[newInputWeights + r * newV + new] = source[inputWeights + r * oldV + baseIndex] }
            (target + grown.layout.decoder.weight + new * H).update(from: source + layout.decoder.weight + baseIndex * H, count: H)
            let baseCount = Float(max(1, growth.count(of: base)))
            target[grown.layout.decoder.bias + new] = source[layout.decoder.bias + baseIndex] + log(count / baseCount)
        }
        return grown
    }
}
