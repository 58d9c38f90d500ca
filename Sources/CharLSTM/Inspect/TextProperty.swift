/// A simple property of a text that a model's cells may learn to follow (Karpathy, Johnson and Fei-Fei,
/// "Visualizing and Understanding Recurrent Networks", 2015): its value at each character is what holds once
/// that character has been read, the moment the cell's activation for it is made.
public enum TextProperty: String, CaseIterable, Sendable {
    /// 1 inside a quotation (from its opening quote on, up to its closing quote), else 0. Straight double
    /// quotes toggle; “ ”, « », 「 」 and 『 』 open and close. Single quotes are left out: they are also apostrophes.
    case insideQuotes = "inside_quotes"
    /// 1 inside brackets or parentheses of any kind ( ( [ { （ 【 〔 and their closings, nested), else 0.
    case insideBrackets = "inside_brackets"
    /// Characters read since the last line break: 0 right after one, 1 after the first character of a line, ….
    case positionInLine = "position_in_line"
    /// 1 on the first letter or digit of a word (one that follows no letter or digit), else 0.
    case startOfWord = "start_of_word"
    /// 1 on an upper-case letter, else 0.
    case upperCase = "upper_case"

    /// A short name for people: "inside quotes".
    public var label: String {
        switch self {
        case .insideQuotes: "inside quotes"
        case .insideBrackets: "inside brackets"
        case .positionInLine: "position in line"
        case .startOfWord: "start of word"
        case .upperCase: "upper case"
        }
    }

    /// What the property's value is, one sentence.
    public var meaning: String {
        switch self {
        case .insideQuotes: "1 between an opening and a closing double quote (\" “ ” « » 「 」 『 』), else 0."
        case .insideBrackets: "1 inside parentheses or brackets of any kind, nested, else 0."
        case .positionInLine: "How many characters of the line have been read: 0 right after a line break."
        case .startOfWord: "1 on the first letter or digit of a word, else 0."
        case .upperCase: "1 on an upper-case letter, else 0."
        }
    }

    /// The property's value after each character of `text`. O(n).
    func values(in text: [Unicode.Scalar]) -> [Float] {
        var out = [Float](repeating: 0, count: text.count)
        switch self {
        case .insideQuotes:
            var inside = false
            for (t, c) in text.enumerated() {
                if c == "\"" { inside.toggle() }
                else if Self.openingQuotes.contains(c) { inside = true }
                else if Self.closingQuotes.contains(c) { inside = false }
                out[t] = inside ? 1 : 0
            }
        case .insideBrackets:
            var depth = 0
            for (t, c) in text.enumerated() {
                if Self.openingBrackets.contains(c) { depth += 1 }
                else if Self.closingBrackets.contains(c) { depth = max(0, depth - 1) }
                out[t] = depth > 0 ? 1 : 0
            }
        case .positionInLine:
            var position = 0
            for (t, c) in text.enumerated() {
                position = Self.isLineBreak(c) ? 0 : position + 1
                out[t] = Float(position)
            }
        case .startOfWord:
            var previousInWord = false
            for (t, c) in text.enumerated() {
                let inWord = Self.isWordCharacter(c)
                out[t] = inWord && !previousInWord ? 1 : 0
                previousInWord = inWord
            }
        case .upperCase:
            for (t, c) in text.enumerated() { out[t] = c.properties.isUppercase ? 1 : 0 }
        }
        return out
    }

    static let openingQuotes: Set<Unicode.Scalar> = ["“", "«", "「", "『"]
    static let closingQuotes: Set<Unicode.Scalar> = ["”", "»", "」", "』"]
    static let openingBrackets: Set<Unicode.Scalar> = ["(", "[", "{", "（", "【", "〔", "［", "｛"]
    static let closingBrackets: Set<Unicode.Scalar> = [")", "]", "}", "）", "】", "〕", "］", "｝"]

    static func isLineBreak(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\r" || c == "\u{2028}" || c == "\u{2029}" }

    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c.properties.numericType != nil }
}
