import CharLSTMKernels
import Foundation  // the reference: the product's helpers must print what Foundation printed before
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The product's Foundation-free text helpers against the Foundation calls they replace, byte for byte.
struct TextFormattingTests {
    /// Values every call site can see: signs, zeros, rounding ties at each precision, the very large and tiny,
    /// and the non-finite (a diverged loss, a rate over zero seconds).
    static let special: [Double] = [
        0, -0.0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 0.125, 0.375, -0.125, 0.0625, 1.005, 2.675, 0.045, 1.0005, 9.995,
        99.95, 999.5, 0.05, 0.15, 0.25, 0.35, 1e-5, 1e-4, 1.5e-4, 0.001, 123456.789, 1e6, 1234567, 1.5e7, 1e15,
        1e16, 1e22, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude, .nan, -.nan, .infinity, -.infinity,
        Double(Float.ulpOfOne), Double(Float(0.1)), 100 * Double(Float(0.4537)), 3.14159265358979,
    ]

    /// The special values plus a spread of random ones at every scale.
    static var values: [Double] {
        var random = RandomGenerator(seed: 13)
        var values = special
        for _ in 0..<2_000 {
            let magnitude = pow(10, 16 * random.nextUnitDouble() - 8)
            values.append((random.nextUnitDouble() < 0.5 ? -1 : 1) * magnitude * random.nextUnitDouble())
        }
        for _ in 0..<500 { values.append(Double(Int(random.next() % 20_001)) / 1000 - 10) }  // ties in decimal
        return values
    }

    @Test func fixedDigitsMatchFoundationsFormat() {
        for value in Self.values {
            for digits in 0...6 {
                #expect(String(value, fractionDigits: digits) == String(format: "%.\(digits)f", value),
                        "\(value) at \(digits) digits")
            }
            #expect(String(value, fractionDigits: 2, alwaysSigned: true) == String(format: "%+.2f", value), "\(value)")
        }
    }

    @Test func significantDigitsMatchFoundationsFormat() {
        for value in Self.values {
            #expect(String(value, significantDigits: 6) == String(format: "%.6g", value), "\(value)")
            #expect(String(value, significantDigits: 6) == String(format: "%g", value), "\(value)")
        }
        #expect(String(1234567.0, significantDigits: 6) == "1.23457e+06")
        #expect(String(0.5, significantDigits: 6) == "0.5")
    }

    @Test func fixedDigitsKnownTexts() {
        #expect(String(0.125, fractionDigits: 2) == "0.12")  // the binary value is exact: a tie, to even
        #expect(String(-0.004, fractionDigits: 2) == "-0.00")
        #expect(String(0.62, fractionDigits: 2, alwaysSigned: true) == "+0.62")
        #expect(String(Double.nan, fractionDigits: 3) == "nan")
        #expect(String(-Double.infinity, fractionDigits: 0) == "-inf")
        #expect(String(1e300, fractionDigits: 2).count == 304)  // longer than the first buffer
        #expect(String(1e300, fractionDigits: 2) == String(format: "%.2f", 1e300))
    }

    /// Every Unicode scalar of the first planes and at the ends of short texts: the same trimming as
    /// `trimmingCharacters(in: .whitespaces)`.
    @Test func trimmingMatchesFoundationsWhitespaces() {
        let scalars = (0...0x3_0000).compactMap(Unicode.Scalar.init)
        var differing = [UInt32]()
        for scalar in scalars where scalar.isSpaceOrTab != CharacterSet.whitespaces.contains(scalar) {
            differing.append(scalar.value)
        }
        #expect(differing.isEmpty, "differ on \(differing.map { String($0, radix: 16) })")
        let texts = ["", " ", "\t", "  a b  ", "\ta\t", " \n x \n ", "\u{A0}value\u{3000}", "\r\n", " é ", " \u{301}x ",
                     "x\u{2003}", "3.5 ", " NaN", "a", "\u{FEFF}b", "\u{200B}c\u{200B}", "\u{85}d", "🙂 "]
        for text in texts {
            #expect(text.trimmingSpacesAndTabs() == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
            let sub = text[...]
            #expect(sub.trimmingSpacesAndTabs() == sub.trimmingCharacters(in: .whitespaces))
        }
    }

    @Test func replacingMatchesFoundationsReplacingOccurrences() {
        let texts = ["", "a b  c ", "say \"hi\"", "\"\"", "</script><b>", "line\rnext\nlast", "no match", "ééé<é", "🙂<🙂 🙂",
                     "<<<", "a\"b\"c\""]
        for text in texts {
            for (target, replacement) in [(" ", "_"), ("\"", "\"\""), ("<", "\\u003c"), ("\r", "\\r"), ("\n", "\\n"),
                                          ("aa", "b"), ("é", "e")] {
                #expect(text.replacingAll(target, with: replacement)
                        == text.replacingOccurrences(of: target, with: replacement), "\(text) \(target)")
            }
        }
        #expect("aaa".replacingAll("aa", with: "b") == "ba")
        #expect("abc".replacingAll("", with: "x") == "abc")
    }

    /// Where the literal search differs from Foundation's, on purpose: a "\r\n" line break still loses its "\r"
    /// (the error line stays one line), and "<" is escaped even with a combining mark after it.
    @Test func replacingIsLiteralOverScalars() {
        #expect("a\r\nb".replacingAll("\r", with: "\\r").replacingAll("\n", with: "\\n") == "a\\r\\nb")
        #expect("<\u{338}/script>".replacingAll("<", with: "\\u003c") == "\\u003c\u{338}/script>")
    }

    /// The standard library's canonical decomposition agrees with Foundation's for every scalar of the first
    /// planes (the base character a new vocabulary entry starts from).
    @Test func canonicalDecompositionMatchesFoundation() {
        var differing = [UInt32]()
        for scalar in (0...0x3_0000).compactMap(Unicode.Scalar.init) {
            let foundation = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.first!
            let ours = VocabularyGrowth.firstOfCanonicalDecomposition(scalar)
            if ours != foundation { differing.append(scalar.value) }
            if ours != foundation, scalar.properties.age.map({ $0.major < 16 }) ?? true {
                Issue.record("U+\(String(scalar.value, radix: 16)) (Unicode \(String(describing: scalar.properties.age))): \(ours) against \(foundation)")
            }
        }
        // Only characters new in Unicode 16, whose decompositions the standard library knows and ICU's data here not.
        #expect(differing.count < 100)
        #expect(VocabularyGrowth.firstOfCanonicalDecomposition("é") == "e")
        #expect(VocabularyGrowth.firstOfCanonicalDecomposition("\u{212B}") == "A")
        #expect(VocabularyGrowth.firstOfCanonicalDecomposition("x") == "x")
    }
}
