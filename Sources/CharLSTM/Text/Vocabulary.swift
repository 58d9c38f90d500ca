/// The characters a model knows: the distinct Unicode scalars of its corpus, in ascending scalar order,
/// so the same text always gives the same indices.
public struct Vocabulary: Equatable, Sendable {
    /// The scalars in index order.
    public let scalars: [Unicode.Scalar]
    private let indexOf: [UInt32: Int32]

    /// The vocabulary of `text`. O(n).
    public init<S: Sequence>(of text: S) where S.Element == Unicode.Scalar {
        var seen = Set<UInt32>()
        for s in text { seen.insert(s.value) }
        self.init(sortedUnique: seen.sorted().map { Unicode.Scalar($0)! })
    }

    /// A vocabulary of exactly these scalars; they are sorted and must be distinct.
    public init(scalars: [Unicode.Scalar]) throws(CharLSTMError) {
        let values = scalars.map(\.value)
        guard values == values.sorted(), Set(values).count == values.count else {
            throw .invalidData("the vocabulary must list distinct characters in ascending order")
        }
        self.init(sortedUnique: scalars)
    }

    private init(sortedUnique: [Unicode.Scalar]) {
        scalars = sortedUnique
        var map = [UInt32: Int32](minimumCapacity: sortedUnique.count)
        for (i, s) in sortedUnique.enumerated() { map[s.value] = Int32(i) }
        indexOf = map
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool { a.scalars == b.scalars }

    /// The number of characters: the model's inputs and outputs.
    public var count: Int { scalars.count }

    /// The most characters a vocabulary may have when it is learned from a corpus: 65,536 (a character model
    /// with more is not a character model, and a token then fits in 16 bits).
    static let maximumCount = 1 << 16

    /// A table from scalar value to index (-1 for scalars it lacks), as long as the largest scalar + 1: a
    /// lookup without hashing for decoding a corpus file. O(largest scalar).
    func denseIndexTable() -> [Int32] {
        var table = [Int32](repeating: -1, count: Int(scalars.last?.value ?? 0) + 1)
        for (i, s) in scalars.enumerated() { table[Int(s.value)] = Int32(i) }
        return table
    }

    /// The index of `scalar`, or nil when it is not in the vocabulary.
    @inline(__always)
    public func index(of scalar: Unicode.Scalar) -> Int32? { indexOf[scalar.value] }

    /// Indices of every scalar of `text`; throws naming the characters the vocabulary lacks. O(n).
    public func encode<S: Sequence>(_ text: S) throws(CharLSTMError) -> [Int32] where S.Element == Unicode.Scalar {
        var out: [Int32] = []
        out.reserveCapacity(text.underestimatedCount)
        var missing: [Unicode.Scalar] = []
        var missingSet = Set<UInt32>()
        for s in text {
            if let i = indexOf[s.value] {
                out.append(i)
            } else if missingSet.insert(s.value).inserted {
                missing.append(s)
            }
        }
        if !missing.isEmpty { throw .invalidData(.init(Vocabulary.lacking(missing, in: "the text"))) }
        return out
    }

    /// Scalars of `text` that the vocabulary lacks, each once, in order of first appearance.
    package func missingCharacters<S: Sequence>(in text: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var seen = Set<UInt32>(), out: [Unicode.Scalar] = []
        for s in text where indexOf[s.value] == nil && seen.insert(s.value).inserted { out.append(s) }
        return out
    }

    /// This vocabulary grown by the characters of `text` it lacks: still sorted ascending, so a known character
    /// may move to a new index (see ``indexMap(into:)``); characters it knows stay, used or not. O(n + V log V).
    func adding<S: Sequence>(charactersOf text: S) -> Vocabulary where S.Element == Unicode.Scalar {
        let missing = missingCharacters(in: text)
        return missing.isEmpty ? self : Vocabulary(sortedUnique: (scalars + missing).sorted { $0.value < $1.value })
    }

    /// For every index of this vocabulary, the index of the same character in `larger`, which must hold all of
    /// them (e.g. ``adding(charactersOf:)``); nil when it does not. O(V).
    func indexMap(into larger: Vocabulary) -> [Int]? {
        var map: [Int] = []
        map.reserveCapacity(count)
        for s in scalars {
            guard let i = larger.index(of: s) else { return nil }
            map.append(Int(i))
        }
        return map
    }

    /// The text of a sequence of indices.
    public func decode<S: Sequence>(_ indices: S) -> String where S.Element == Int32 {
        var out = String.UnicodeScalarView()
        for i in indices { out.append(scalars[Int(i)]) }
        return String(out)
    }

    /// `'🦓' (U+1F993)`: a character as users should see it in messages, control characters escaped.
    package static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let shown = scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
            ? scalar.escaped(asASCII: true) : String(scalar)
        return "'\(shown)' (\(code))"
    }

    /// The sentence for characters of a text that a vocabulary lacks, e.g. `'notes.txt' has 2 characters that are
    /// not in the model's vocabulary: 'ß' (U+00DF), 'é' (U+00E9)`; it lists at most 10.
    package static func lacking(_ missing: [Unicode.Scalar], in text: String, vocabularyOf owner: String = "the model") -> String {
        let shown = missing.prefix(10).map { describe($0) }.joined(separator: ", ")
        let more = missing.count > 10 ? " and \(missing.count - 10) more" : ""
        let count = missing.count == 1 ? "a character that is" : "\(missing.count) characters that are"
        return "\(text) has \(count) not in \(owner)'s vocabulary: \(shown)\(more)"
    }
}
