import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Thousands of random argument lists: `parse` returns or throws a usage error, and never traps.
@Suite struct ParsingFuzzTests {
    static let words: [String] = {
        var words = ["train", "generate", "eval", "info", "bench", "help", "--", "-", "-h", "--help", "--version", "", "=", "--="]
        for command in [TrainOptions.command, GenerateOptions.command, EvalOptions.command, InfoOptions.command, BenchOptions.command] {
            words += command.options.map(\.flagText)
        }
        return words
    }()
    static let values = [
        "0", "1", "-1", "2", "256", "0.5", "1e-3", "1e400", "-0", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "99999999999999999999", "nan", "inf", "+3", "0x1F", "lstm", "gru", "M", "all",
        "ñ", "👋🏽", "\u{0}", "\n", " ", "ab c", "é", "\u{301}", "١٢٣", "--hidden=", "--prime=-x", "=5", "5=",
    ]

    @Test func randomArgumentListsNeverTrap() {
        var rng = RandomGenerator(seed: 2026)
        var parsed = 0, rejected = 0
        for _ in 0..<5000 {
            var arguments: [String] = []
            for _ in 0..<Int(rng.next() % 9) {
                switch rng.next() % 6 {
                case 0, 1: arguments.append(Self.words[Int(rng.next() % UInt64(Self.words.count))])
                case 2, 3: arguments.append(Self.values[Int(rng.next() % UInt64(Self.values.count))])
                case 4:
                    let word = Self.words[Int(rng.next() % UInt64(Self.words.count))]
                    arguments.append(word + "=" + Self.values[Int(rng.next() % UInt64(Self.values.count))])
                default: arguments.append(Self.garbage(&rng))
                }
            }
            // Often start with a command so that option parsing, not only command lookup, is exercised.
            if rng.next() % 4 != 0 { arguments.insert(["train", "generate", "eval", "info", "bench"][Int(rng.next() % 5)], at: 0) }
            do {
                _ = try Invocation.parse(arguments)
                parsed += 1
            } catch {
                #expect(error.kind == .usage)
                #expect(!error.message.isEmpty && !error.message.contains("\n") || arguments.contains { $0.contains("\n") })
                rejected += 1
            }
        }
        // Both outcomes must be common, or the generator is not exercising the parser.
        #expect(parsed > 200 && rejected > 200, "parsed \(parsed), rejected \(rejected)")
    }

    /// A short string of random Unicode scalars from ASCII, Latin, combining marks, CJK and emoji.
    static func garbage(_ rng: inout RandomGenerator) -> String {
        let ranges: [ClosedRange<UInt32>] = [0x0...0x7F, 0xA0...0x24F, 0x300...0x36F, 0x4E00...0x4E80, 0x1F600...0x1F64F]
        var text = ""
        for _ in 0..<Int(rng.next() % 6) {
            let range = ranges[Int(rng.next() % UInt64(ranges.count))]
            let value = range.lowerBound + UInt32(rng.next() % UInt64(range.count))
            text.unicodeScalars.append(Unicode.Scalar(value)!)
        }
        return text
    }
}
