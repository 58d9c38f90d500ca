import CharLSTMKernels
import CharLSTM
/// The options of `charlstm eval <file> --checkpoint <path>`.
struct EvalOptions: Equatable, Sendable {
    /// The text to measure bits per character on.
    var file: String
    /// The checkpoint file or training folder of the model.
    var checkpoint: String
    var json = false
    /// Worker threads; nil means all cores.
    var threads: Int?
    /// Series checkpoints: values read before the first prediction (default: the training sequence length).
    var warmup: Int?
    /// Series checkpoints: also report the seasonal-naive forecast of this period.
    var season: Int?
    /// Series checkpoints: fill missing values linearly.
    var interpolate = false
    /// Text models: measure through generation's one-character step with its weights stored this way (nil: the
    /// batched evaluation, fp32).
    var weights: WeightPrecision?

    /// Text models: what to do with the characters the model lacks (`--skip-unknown`, `--replace-unknown C`).
    var unknown = UnknownCharacters.refuse
    var skipUnknown = false
    var replaceUnknown: String?

    init(file: String, checkpoint: String) {
        self.file = file
        self.checkpoint = checkpoint
    }

    /// Every option, bound to the field it sets.
    static var options: [BoundOption<EvalOptions>] {
        [
            .init(CommonOptions.checkpoint("The checkpoint file or training folder of the model.", required: true), \.checkpoint),
            .init(CommonOptions.skipUnknown, flag: \.skipUnknown),
            .init(CommonOptions.replaceUnknown, \.replaceUnknown),
            .init(CommonOptions.json, flag: \.json),
            .init(CommonOptions.threads, \.threads),
            .init(OptionSpec("warmup", .integer(ValueRange.positiveCounts), value: "n",
                             "Series: values read before the first prediction", default: "the training sequence length"), \.warmup),
            .init(OptionSpec("season", .integer(ValueRange.positiveCounts), value: "n",
                             "Series: also report the seasonal-naive forecast of this period"), \.season),
            .init(CommonOptions.interpolate, flag: \.interpolate),
            .init(OptionSpec("weights", .choice(WeightPrecision.allCases.map(\.rawValue)), value: "format",
                             "Measure what generation computes, one character at a time, with its weights stored as f32, "
                                 + "bf16 or int8 (the quality cost of `generate --weights bf16` or `int8`)"), \.weights),
        ]
    }

    static let command = CommandSpec(
        name: "eval",
        abstract: "Measure a model's bits per character on a text file, or a series model's errors on a CSV file.",
        arguments: [ArgumentSpec(name: "file", help: "The text to evaluate on, a UTF-8 file (a CSV file for a series model).",
                                 isRequired: true, defaultText: nil)],
        options: options.map(\.spec),
        example: "charlstm eval held-out.txt --checkpoint Checkpoints/shakespeare --json"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        // The scanner has checked that the file and the (required) checkpoint are present.
        self.init(file: args.positional(0)!, checkpoint: "")
        try args.apply(Self.options, to: &self)
        unknown = try CommonOptions.unknownCharacters(skip: skipUnknown, replace: replaceUnknown)
    }
}
