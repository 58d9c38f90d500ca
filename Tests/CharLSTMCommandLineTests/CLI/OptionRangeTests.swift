import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// The command line's numeric options take only values in the ranges the library's arithmetic is exact in.
@Suite struct OptionRangeTests {
    /// Every command's numeric options, as ``Invocation/parse(_:)`` reads them.
    static let commands = [TrainOptions.command, GenerateOptions.command, EvalOptions.command, InfoOptions.command,
                           BenchOptions.command, ExportOptions.command, InspectOptions.command, ForecastOptions.command,
                           ServeOptions.command]

    @Test func noOptionAdmitsANumberWhoseArithmeticCouldOverflow() {
        for command in Self.commands {
            for option in command.options {
                switch option.kind {
                case .integer(let range):
                    #expect(range.upperBound <= ValueRange.countLimit && range.lowerBound >= 0, "--\(option.name): \(range)")
                case .real(let interval):
                    #expect((interval.upper ?? .infinity) <= 1e9 && interval.lower >= 0, "--\(option.name): \(interval.phrase)")
                default: break
                }
            }
        }
    }

    /// A number inside an option's range but too small for the engine's 32-bit floats (which would become 0: a
    /// top-p refused as "got 0.0", a temperature turned into argmax) is refused, naming the option.
    @Test func numbersTooSmallForAFloatAreRefusedByName() throws {
        var checked = 0
        for command in Self.commands {
            let required = command.arguments.filter(\.isRequired).map { _ in "x" }
                + command.options.filter(\.isRequired).flatMap { [$0.flagText, "x"] }
            for option in command.options {
                guard case .real(let interval) = option.kind, interval.contains(1e-300) else { continue }
                let arguments = [command.name] + required + [option.flagText, "1e-300"]
                #expect {
                    try Invocation.parse(arguments)
                } throws: { error in
                    let error = error as? CharLSTMError
                    return error?.kind == .usage && error?.message.contains("'\(option.flagText)' is too small") == true
                }
                checked += 1
            }
        }
        #expect(checked >= 8)
        _ = try Invocation.parse(["generate", "--top-p", "1.2e-38"]) // the smallest normal float is taken
    }

    @Test func everyNumericOptionOfEveryCommandTakesOnlyValuesInItsRange() {
        var checked = 0
        for command in Self.commands {
            // The command's required arguments and options, with placeholder values.
            let required = command.arguments.filter(\.isRequired).map { _ in "x" }
                + command.options.filter(\.isRequired).flatMap { [$0.flagText, "x"] }
            for option in command.options {
                var ends: [String] = []
                switch option.kind {
                case .integer(let range): ends = ["\(range.lowerBound)", "\(range.upperBound)", "\(range.upperBound + 1)"]
                case .real(let interval): ends = [String(interval.lower)] + (interval.upper.map { [String($0)] } ?? [])
                case .unsigned: ends = ["18446744073709551615", "18446744073709551616"]
                default: continue
                }
                for text in ExtremeValues.texts + ends.map(Optional.some) {
                    let arguments = [command.name] + required + [option.flagText] + (text.map { [$0] } ?? [])
                    let result = Result { () throws(CharLSTMError) in try Invocation.parse(arguments) }
                    checked += 1
                    switch result {
                    case .success:
                        let text = text ?? ""
                        switch option.kind {
                        case .integer(let range):
                            guard case .value(let n) = StrictNumber.integer(text) else { Issue.record("\(arguments)"); continue }
                            #expect(range.contains(n), "\(arguments)")
                        case .real(let interval):
                            #expect(StrictNumber.real(text).map(interval.contains) == true, "\(arguments)")
                        default:
                            #expect(StrictNumber.unsigned(text) != nil, "\(arguments)")
                        }
                    case .failure(let error):
                        #expect(error.kind == .usage && error.message.contains(option.flagText) && !error.message.contains("\n"),
                                "\(arguments): \(error.message)")
                    }
                }
            }
        }
        #expect(checked > 400)
    }
}
