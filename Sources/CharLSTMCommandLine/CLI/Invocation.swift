import CharLSTM
/// What the command line asks for: the result of parsing the arguments after the program name.
enum Invocation: Equatable, Sendable {
    /// Print this text on standard output and exit 0.
    case help(String)
    /// Print ``CharLSTMVersion/current`` and exit 0.
    case version
    case train(TrainOptions)
    case generate(GenerateOptions)
    case eval(EvalOptions)
    case info(InfoOptions)
    case bench(BenchOptions)
    case export(ExportOptions)
    case inspect(InspectOptions)
    case forecast(ForecastOptions)
    case serve(ServeOptions)

    /// Whether the command computes with a model (and is then slow in a debug build): all but help, version,
    /// info and export.
    var computes: Bool {
        switch self {
        case .help, .version, .info, .export: false
        case .train, .generate, .eval, .bench, .inspect, .forecast, .serve: true
        }
    }

    /// The command words, in the order help lists them.
    static var commandNames: [String] { commands.map(\.spec.name) }

    private static let commands: [(spec: CommandSpec, make: @Sendable (ParsedArguments) throws(CharLSTMError) -> Invocation)] = [
        (TrainOptions.command, { args throws(CharLSTMError) in .train(try TrainOptions(args)) }),
        (GenerateOptions.command, { args throws(CharLSTMError) in .generate(try GenerateOptions(args)) }),
        (EvalOptions.command, { args throws(CharLSTMError) in .eval(try EvalOptions(args)) }),
        (InfoOptions.command, { args throws(CharLSTMError) in .info(try InfoOptions(args)) }),
        (BenchOptions.command, { args throws(CharLSTMError) in .bench(try BenchOptions(args)) }),
        (ExportOptions.command, { args in .export(ExportOptions(args)) }),
        (InspectOptions.command, { args throws(CharLSTMError) in .inspect(try InspectOptions(args)) }),
        (ForecastOptions.command, { args throws(CharLSTMError) in .forecast(try ForecastOptions(args)) }),
        (ServeOptions.command, { args throws(CharLSTMError) in .serve(try ServeOptions(args)) }),
    ]

    /// Parses the arguments after the program name.
    ///
    /// No arguments, `--help`, `-h` and `help` give the overview; `help <command>`, `<command> --help` and
    /// `<command> -h` give the command's help; `help --markdown` (not listed) gives all of them as docs/commands.md. Every mistake throws `CharLSTMError(.usage, ...)` with a
    /// message naming the option and what it accepts.
    static func parse(_ arguments: [String]) throws(CharLSTMError) -> Invocation {
        guard let first = arguments.first else { return .help(HelpText.overview(commands.map(\.spec))) }
        let rest = Array(arguments.dropFirst())
        switch first {
        case "help", "-h", "--help":
            if rest.count > 1 { throw .usage("unexpected argument '\(rest[1])'") }
            // Hidden: docs/commands.md, every command's help as Markdown (HelpText.markdown).
            if rest == ["--markdown"] { return .help(HelpText.markdown(commands.map(\.spec))) }
            guard let name = rest.first, !["help", "-h", "--help"].contains(name) else {
                return .help(HelpText.overview(commands.map(\.spec)))
            }
            return .help(HelpText.command(try command(named: name).spec))
        case "--version":
            if let extra = rest.first { throw .usage("unexpected argument '\(extra)'") }
            return .version
        default:
            if first.hasPrefix("-") { throw ArgumentScanner.unknownOption(first, among: ["--help", "--version"]) }
            let (spec, make) = try command(named: first)
            if ArgumentScanner.asksForHelp(rest, for: spec) { return .help(HelpText.command(spec)) }
            return try make(ArgumentScanner.scan(rest, for: spec))
        }
    }

    private static func command(named name: String) throws(CharLSTMError) -> (spec: CommandSpec, make: @Sendable (ParsedArguments) throws(CharLSTMError) -> Invocation) {
        if let command = commands.first(where: { $0.spec.name == name }) { return command }
        let suggestion = EditDistance.suggestion(for: name, among: commandNames + ["help"])
        throw .usage("unknown command '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? ""))
    }
}
