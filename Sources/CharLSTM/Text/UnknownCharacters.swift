/// What a pass over a text (``TextModel/evaluate(_:unknown:threads:progress:)``, ``TextModel/inspect(_:named:limit:unknown:threads:)``)
/// does with the characters the model's vocabulary lacks: a held-out file with two stray `<` `>` need not be
/// refused whole.
public enum UnknownCharacters: Equatable, Sendable {
    /// Refuse the text, naming the characters (the default: a model is measured on what it can read).
    case refuse
    /// Leave them out: the model reads the text as if they were not there.
    case skip
    /// Read each of them as this character, which the vocabulary must hold.
    case replace(Unicode.Scalar)
}

/// How often a character the vocabulary lacks occurred in a text that a pass skipped or replaced it in.
public struct UnknownCharacterCount: Equatable, Sendable {
    /// A character the vocabulary lacks.
    public let character: Unicode.Scalar
    /// How often the text holds it.
    public let count: Int

    init(character: Unicode.Scalar, count: Int) {
        self.character = character
        self.count = count
    }

    /// `'<' ×3, '>' ×2`: the ten most frequent, then how many more.
    package static func describe(_ counts: [UnknownCharacterCount]) -> String {
        let shown = counts.prefix(10).map { "\(Vocabulary.describe($0.character)) ×\($0.count)" }.joined(separator: ", ")
        return shown + (counts.count > 10 ? " and \(counts.count - 10) more" : "")
    }
}

extension Vocabulary {
    /// The index each of `missing` (characters this vocabulary lacks) is read as under `policy`: `nil` for one left
    /// out. Throws `.invalidData` under ``UnknownCharacters/refuse`` (naming the characters, with `name` for the
    /// text, and the setting that would read them) and `.usage` when the replacement is itself unknown.
    func readings(of missing: [Unicode.Scalar], under policy: UnknownCharacters, in name: String) throws(CharLSTMError) -> [Int32?] {
        switch policy {
        case .refuse:
            throw .invalidData("\(Vocabulary.lacking(missing, in: name)): leave them out or read them as a character the model "
                + "knows (\(setting: .unknownCharacters))")
        case .skip:
            return missing.map { _ in nil }
        case .replace(let replacement):
            guard let index = index(of: replacement) else {
                throw .usage("the replacement for unknown characters, \(Vocabulary.describe(replacement)), is not in the model's "
                    + "vocabulary either (\(setting: .unknownCharacters))")
            }
            return missing.map { _ in index }
        }
    }

    /// `text` with the characters this vocabulary lacks left out or replaced as `policy` says, and how often each
    /// of them occurred (most frequent first). Throws as ``readings(of:under:in:)``. O(n).
    func adapting(_ text: [Unicode.Scalar], unknown policy: UnknownCharacters, named name: String)
        throws(CharLSTMError) -> (text: [Unicode.Scalar], unknown: [UnknownCharacterCount]) {
        let missing = missingCharacters(in: text)
        guard !missing.isEmpty else { return (text, []) }
        let readings = try readings(of: missing, under: policy, in: name)
        var slot: [UInt32: Int] = [:]
        for (k, s) in missing.enumerated() { slot[s.value] = k }
        var counts = [Int](repeating: 0, count: missing.count), out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for s in text {
            guard let k = slot[s.value] else { out.append(s); continue }
            counts[k] += 1
            if let index = readings[k] { out.append(scalars[Int(index)]) }
        }
        return (out, UnknownCharacterCount.tally(missing, counts))
    }
}

extension UnknownCharacterCount {
    /// `characters[k]` counted `counts[k]` times, most frequent first (ties in code point order).
    static func tally(_ characters: [Unicode.Scalar], _ counts: [Int]) -> [UnknownCharacterCount] {
        zip(characters, counts).map { UnknownCharacterCount(character: $0, count: $1) }
            .sorted { ($0.count, $1.character.value) > ($1.count, $0.character.value) }
    }
}
