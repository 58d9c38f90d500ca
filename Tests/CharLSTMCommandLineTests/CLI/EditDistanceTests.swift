import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

@Suite struct EditDistanceTests {
    @Test(arguments: [
        ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("hidden", "hidden", 0), ("hiden", "hidden", 1),
        ("trian", "train", 1), ("kitten", "sitting", 3), ("ab", "ba", 1), ("abc", "ca", 3), ("ñu", "nu", 1),
    ])
    func distance(a: String, b: String, expected: Int) {
        #expect(EditDistance.distance(a, b) == expected)
        #expect(EditDistance.distance(b, a) == expected)
    }

    @Test func suggestsOnlyCloseCandidates() {
        let names = ["hidden", "layers", "learning-rate", "learning-rate-decay", "json"]
        #expect(EditDistance.suggestion(for: "hiden", among: names) == "hidden")
        #expect(EditDistance.suggestion(for: "learning-rate-deca", among: names) == "learning-rate-decay")
        #expect(EditDistance.suggestion(for: "learningrate", among: names) == "learning-rate")
        #expect(EditDistance.suggestion(for: "jsno", among: names) == "json")
        #expect(EditDistance.suggestion(for: "lr", among: names) == nil)
        #expect(EditDistance.suggestion(for: "xxxxxx", among: names) == nil)
        #expect(EditDistance.suggestion(for: "", among: names) == nil)
    }
}
