import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct JSONValueTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d\n\u00e9\ud83d\ude00"}} "#)
        #expect(value == .object([
            "a": .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("d\né😀")]),
        ]))
    }

    @Test func writesSortedCompactTextThatParsesBack() throws {
        let value = JSONValue.object([
            "z": .int(-3), "a": .string("q\"\\\u{01}\t/é"), "é": .double(0.002), "m": .array([.double(2)]),
        ])
        #expect(value.encoded == #"{"a":"q\"\\\u0001\t/é","m":[2],"z":-3,"é":0.002}"#)
        #expect(try JSONValue.parse(value.encoded) == value)
    }

    @Test func readsNumbersExactly() throws {
        #expect(try JSONValue.parse("9223372036854775807").intValue == Int.max)
        #expect(try JSONValue.parse("9223372036854775808").intValue == nil)
        #expect(try JSONValue.parse("1e3").intValue == nil)
        #expect(try JSONValue.parse("1e3").doubleValue == 1000)
        #expect(try JSONValue.parse("-0").intValue == 0)
    }

    @Test(arguments: [
        "", " ", "tru", "nul", "[1,]", "{,}", "{\"a\" 1}", "{\"a\":1,}", "{1:2}", "01", "1.", ".5", "+1", "-", "1e",
        "NaN", "\"abc", "\"a\u{01}b\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"",
        "[1] 2", "{\"a\":1,\"a\":2}", String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(throws: CharLSTMError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(throws: CharLSTMError.invalidData("JSON is not valid UTF-8")) {
            try bytes.withUnsafeBytes { try JSONValue.parse($0) }
        }
    }

    @Test func acceptsNestingUpToTheLimit() throws {
        let depth = JSONValue.maximumDepth
        _ = try JSONValue.parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
    }
}
