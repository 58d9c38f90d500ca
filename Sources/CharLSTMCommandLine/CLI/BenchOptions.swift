import CharLSTM
/// The options of `charlstm bench [<corpus>]`.
struct BenchOptions: Equatable, Sendable {
    /// The model sizes to measure.
    enum Config: String, CaseIterable, Equatable, Sendable {
        /// 2 layers × 128, sequence 50, batch 50.
        case s = "S"
        /// 2 layers × 512, sequence 100, batch 64.
        case m = "M"
        /// 3 layers × 512, sequence 100, batch 64.
        case l = "L"
        /// S, M and L in turn.
        case all
    }

    /// The text to train on; nil means the bundled corpus.
    var corpus: String?
    var config: Config = .all
    var cell: CellKind = .lstm
    /// Seconds of measurement per configuration.
    var seconds = 10.0
    /// Worker threads; nil means all cores.
    var threads: Int?
    var dropout = 0.0
    /// How generation's measurement stores the weights.
    var weights: GenerateOptions.Weights = .auto
    var json = false
    /// Measure the plan anew instead of reading it from the cache (and remember the new one).
    var replan = false
    /// Long names (without dashes) of the options given on the command line.
    var explicitlySet: Set<String> = []

    init() {}

    static let command: CommandSpec = {
        let d = BenchOptions()
        return CommandSpec(
            name: "bench",
            abstract: "Measure training and generation speed.",
            arguments: [ArgumentSpec(name: "corpus", help: "The text to train on, a UTF-8 file.",
                                     isRequired: false, defaultText: "the bundled corpus")],
            options: [
                OptionSpec("config", .choice(Config.allCases.map(\.rawValue)), value: "config",
                           "Model size: S (2×128), M (2×512), L (3×512) or all", default: d.config.rawValue),
                CommonOptions.cell(default: d.cell),
                OptionSpec("seconds", .real(.openClosed(0, 3600)), value: "s",
                           "Seconds of measurement per configuration", default: formatNumber(d.seconds)),
                CommonOptions.threads,
                CommonOptions.dropout(default: d.dropout),
                CommonOptions.weights(default: d.weights),
                CommonOptions.json,
                OptionSpec("replan", .flag, "Time the candidate kernels anew instead of using the cached plan"),
            ],
            example: "charlstm bench --config M --seconds 20 --json"
        )
    }()

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        corpus = args.positional(0)
        try args.read("config", into: &config)
        try args.read("cell", into: &cell)
        try args.read("seconds", into: &seconds)
        try args.read("threads", into: &threads)
        try args.read("dropout", into: &dropout)
        try args.read("weights", into: &weights)
        args.read("json", into: &json)
        args.read("replan", into: &replan)
        explicitlySet = args.givenNames
    }
}
