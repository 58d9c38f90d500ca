import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Argument lists in, the exact usage error out.
@Suite struct ParsingErrorTests {
    static let cases: [([String], String)] = [
        (["trian"], "unknown command 'trian' (did you mean 'train'?)"),
        (["generat"], "unknown command 'generat' (did you mean 'generate'?)"),
        (["xyz"], "unknown command 'xyz'"),
        (["help", "bnech"], "unknown command 'bnech' (did you mean 'bench'?)"),
        (["help", "train", "x"], "unexpected argument 'x'"),
        (["--version", "x"], "unexpected argument 'x'"),
        (["--verison"], "unknown option '--verison' (did you mean '--version'?)"),
        (["--hidden", "3"], "unknown option '--hidden'"),
        (["--version=1"], "'--version' is a flag and takes no value"),
        (["train", "--help=x"], "'--help' is a flag and takes no value"),
        (["-help"], "unknown option '-help' (did you mean '--help'?)"),
        (["train", "--hiden", "3"], "unknown option '--hiden' (did you mean '--hidden'?)"),
        (["train", "--hiden=3"], "unknown option '--hiden' (did you mean '--hidden'?)"),
        (["train", "-hidden", "3"], "unknown option '-hidden' (did you mean '--hidden'?)"),
        (["train", "--learning-rat", "1"], "unknown option '--learning-rat' (did you mean '--learning-rate'?)"),
        (["train", "--lr", "1"], "unknown option '--lr'"),
        (["train", "--HIDDEN", "1"], "unknown option '--HIDDEN' (did you mean '--hidden'?)"),
        (["bench", "--config", "xl"], "invalid value 'xl' for '--config': expected one of S, M, L, all"),
        (["train", "-x"], "unknown option '-x'"),
        (["train", "--hidden"], "missing value for '--hidden'"),
        (["train", "a", "b"], "unexpected argument 'b'"),
        (["train", ""], "invalid value '' for <corpus>: expected a non-empty path"),
        (["train", "--force=yes"], "'--force' is a flag and takes no value"),
        (["train", "--force", "--force"], "'--force' was given more than once"),
        (["train", "--hidden", "2", "--hidden=3"], "'--hidden' was given more than once"),
        (["train", "--out", ""], "invalid value '' for '--out': expected a non-empty value"),
        (["train", "--cell", "lstn"], "invalid value 'lstn' for '--cell': expected one of lstm, gru, rnn (did you mean 'lstm'?)"),
        (["train", "--cell", "LSTM"], "invalid value 'LSTM' for '--cell': expected one of lstm, gru, rnn (did you mean 'lstm'?)"),
        (["train", "--lr-schedule", "cosin"],
         "invalid value 'cosin' for '--lr-schedule': expected one of constant, cosine, linear, stable-decay (did you mean 'cosine'?)"),
        (["bench", "--config", "m"], "invalid value 'm' for '--config': expected one of S, M, L, all (did you mean 'M'?)"),
        (["eval"], "missing expected argument '<file>'"),
        (["eval", "--checkpoint", "c"], "missing expected argument '<file>'"),
        (["eval", "f"], "missing expected option '--checkpoint <path>'"),
        (["info"], "missing expected argument '<path>'"),
        (["info", "a", "b"], "unexpected argument 'b'"),
        (["generate", "x"], "unexpected argument 'x'"),
        (["generate", "--stop", ""], "invalid value '' for '--stop': expected a non-empty value"),
        (["generate", "--seed", "-1"], "'--seed' must be from 0 to 18446744073709551615, got -1"),
        (["generate", "--seed", "18446744073709551616"], "'--seed' must be from 0 to 18446744073709551615, got 18446744073709551616"),
        (["generate", "--seed", "0x10"], "invalid value '0x10' for '--seed': expected a whole number from 0 to 18446744073709551615"),
        (["train", "--seed", "1.0"], "invalid value '1.0' for '--seed': expected a whole number from 0 to 18446744073709551615"),
    ]

    @Test(arguments: cases)
    func usageError(arguments: [String], message: String) {
        #expect(throws: CharLSTMError(.usage, .init(message))) { try Invocation.parse(arguments) }
    }

    /// Every numeric option: values at its bounds are accepted; values outside, non-numbers and numbers in
    /// forms we do not accept are rejected with a message stating the range.
    static let ranges: [(command: String, option: String, accepted: [String], outside: [String], expected: String)] = [
        ("train", "layers", ["1", "16", "007"], ["0", "17", "-1"], "from 1 to 16"),
        ("train", "hidden", ["1", "8192"], ["0", "8193", "99999999999999999999"], "from 1 to 8192"),
        ("train", "seq-length", ["1", "100000"], ["0", "100001"], "from 1 to 100000"),
        ("train", "batch-size", ["1", "100000"], ["0", "100001"], "from 1 to 100000"),
        ("train", "steps", ["1", "1000000000000000"], ["0", "-5", "1000000000000001", "9223372036854775808"], "from 1 to 10^15"),
        ("train", "eval-every", ["1", "1000000000000000"], ["0", "9223372036854775807"], "from 1 to 10^15"),
        ("train", "patience", ["1", "1000000000000000"], ["0", "-3", "9223372036854775807"], "from 1 to 10^15"),
        ("train", "checkpoint-every", ["1"], ["0"], "from 1 to 10^15"),
        ("train", "log-every", ["1"], ["0"], "from 1 to 10^15"),
        ("train", "val-chars", ["0", "2", "1000000000000000"], ["-1", "9223372036854775807"], "from 0 to 10^15"),
        ("train", "warmup", ["0", "1000000000"], ["-1", "1000000001"], "from 0 to 10^9"),
        ("train", "threads", ["1", "256"], ["0", "257"], "from 1 to 256"),
        ("generate", "length", ["0", "1000000000"], ["-1", "1000000001"], "from 0 to 10^9"),
        ("generate", "top-k", ["1", "65"], ["0", "9223372036854775807"], "from 1 to 10^15"),
        ("generate", "threads", ["1"], ["0"], "from 1 to 256"),
        ("generate", "samples", ["1", "256"], ["0", "257"], "from 1 to 256"),
        ("serve", "port", ["0", "65535"], ["-1", "65536"], "from 0 to 65535"),
        ("serve", "max-streams", ["1", "256"], ["0", "257"], "from 1 to 256"),
        ("serve", "max-connections", ["1", "4096"], ["0", "4097"], "from 1 to 4096"),
        ("serve", "threads", ["2"], ["0"], "from 1 to 256"),
        ("eval", "threads", ["2"], ["300"], "from 1 to 256"),
        ("eval", "warmup", ["1"], ["0", "9223372036854775807"], "from 1 to 10^15"),
        ("eval", "season", ["52"], ["0"], "from 1 to 10^15"),
        ("train", "difference", ["1", "100000"], ["0", "100001"], "from 1 to 100000"),
        ("forecast", "steps", ["1", "10000000"], ["0", "10000001"], "from 1 to 10^7"),
        ("forecast", "holdout", ["1"], ["0", "9223372036854775807"], "from 1 to 10^15"),
        ("forecast", "season", ["12"], ["0"], "from 1 to 10^15"),
        ("forecast", "warmup", ["1"], ["0"], "from 1 to 10^15"),
        ("forecast", "threads", ["1"], ["0"], "from 1 to 256"),
        ("bench", "threads", ["2"], ["0"], "from 1 to 256"),
    ]
    static let realRanges: [(command: String, option: String, accepted: [String], outside: [String], expected: String)] = [
        ("train", "dropout", ["0", "0.999", "-0"], ["1", "1.5", "-0.1", "1e400"], "in [0, 1)"),
        ("train", "learning-rate", ["1e-8", "10", "2E-3"], ["0", "10.001", "-1"], "in (0, 10]"),
        ("train", "learning-rate-decay", ["1", "0.01"], ["0", "1.01"], "in (0, 1]"),
        ("train", "decay-after", ["0", "1e6", "1e9"], ["-1e-9", "1e19", "1000000001"], "in [0, 10^9]"),
        ("train", "weight-decay", ["0", "0.1", "1000"], ["-0.1", "1000.5"], "in [0, 1000]"),
        ("train", "clip", ["0", "5.", "1e6"], ["-1", "1000001"], "in [0, 10^6]"),
        ("train", "val-fraction", ["0.5", "0.001"], ["0", "0.51"], "in (0, 0.5]"),
        ("train", "epochs", ["0.01", "1e9"], ["0", "-1", "1e19", "1e309"], "in (0, 10^9]"),
        ("train", "minutes", [".5", "1e9"], ["0", "1e300"], "in (0, 10^9]"),
        ("generate", "temperature", ["0", "100", "0.7"], ["100.01", "-0.5"], "in [0, 100]"),
        ("generate", "top-p", ["1", "0.9"], ["0", "1.1"], "in (0, 1]"),
        ("bench", "seconds", ["3600", "0.1"], ["0", "3601"], "in (0, 3600]"),
        ("bench", "dropout", ["0"], ["1"], "in [0, 1)"),
    ]
    static let malformed = ["", "abc", "+5", "0x10", "1_000", " 5", "5 ", "5x", "nan", "inf", "-inf", "١", "5e", ".", "-", "1e+"]

    @Test(arguments: [(false, "a whole number"), (true, "a number")])
    func numericRanges(real: Bool, noun: String) throws {
        for (command, option, accepted, outside, expected) in real ? Self.realRanges : Self.ranges {
            let required = ["eval", "forecast"].contains(command) ? ["file", "--checkpoint", "c"] : []
            for value in accepted {
                #expect(throws: Never.self) { try Invocation.parse([command, "--\(option)", value] + required) }
            }
            for value in outside {
                #expect(throws: CharLSTMError(.usage, "'--\(option)' must be \(expected), got \(value)")) {
                    try Invocation.parse([command, "--\(option)=\(value)"] + required)
                }
            }
            for value in Self.malformed + (real ? [] : ["1.0", "1e3"]) {
                #expect(throws: CharLSTMError(.usage, "invalid value '\(value)' for '--\(option)': expected \(noun) \(expected)")) {
                    try Invocation.parse([command, "--\(option)", value] + required)
                }
            }
        }
    }

    @Test func everyNumericOptionIsInATable() {
        let tested = Set((Self.ranges + Self.realRanges).map { "\($0.command) \($0.option)" })
        for command in [TrainOptions.command, GenerateOptions.command, EvalOptions.command, BenchOptions.command,
                        ForecastOptions.command, ServeOptions.command] {
            for option in command.options {
                switch option.kind {
                case .integer, .real: #expect(tested.contains("\(command.name) \(option.name)"), "\(command.name) --\(option.name)")
                default: break
                }
            }
        }
    }
}
