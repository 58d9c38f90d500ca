import CharLSTM

/// One choice's text as the client sees it: the generated characters without the stop text that ended them
/// (OpenAI's rule), released as soon as they cannot be the start of a stop text. A character that could begin
/// a stop text is held back until the next ones show it does not; so streamed pieces never show a stop text.
/// O(longest stop) per character.
struct ChoiceText {
    let stops: [[Unicode.Scalar]]
    /// Generated characters not yet released (a suffix that may still become a stop text).
    private var held: [Unicode.Scalar] = []
    /// Characters generated in all (the stop text included), for the usage.
    private(set) var generated = 0
    /// Why the choice ended, once it has.
    private(set) var finish: FinishReason?
    private(set) var isEnded = false

    init(stops: [String]) { self.stops = stops.map { Array($0.unicodeScalars) } }

    /// Takes new characters (and the end, if it came); returns the text that may be shown now.
    mutating func append(_ characters: [Unicode.Scalar], ended: Bool, finish: FinishReason?) -> String {
        generated += characters.count
        held += characters
        var release: ArraySlice<Unicode.Scalar>
        if ended {
            isEnded = true
            self.finish = finish
            release = held[...]
            if finish == .stop, let stop = stops.first(where: { held.count >= $0.count && held.suffix($0.count).elementsEqual($0) }) {
                release = held.dropLast(stop.count)
            }
            held = []
        } else {
            let keep = longestStopPrefixSuffix()
            release = held.dropLast(keep)
            held = Array(held.suffix(keep))
        }
        return String(String.UnicodeScalarView(release))
    }

    /// The length of the longest suffix of `held` that is a proper prefix of some stop text.
    private func longestStopPrefixSuffix() -> Int {
        var best = 0
        for stop in stops {
            var k = min(stop.count - 1, held.count)
            while k > best {
                if held.suffix(k).elementsEqual(stop.prefix(k)) { best = k; break }
                k -= 1
            }
        }
        return best
    }
}
