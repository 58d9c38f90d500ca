import CharLSTM
/// The options of `charlstm forecast <series> --checkpoint <path>`.
struct ForecastOptions: Equatable, Sendable {
    /// The CSV file whose column (the model's) is the history to forecast from.
    var file: String
    /// The checkpoint file or training folder of a series model.
    var checkpoint: String
    /// Values to forecast; default: the held-out count when ``holdout`` is given, else ``defaultSteps``.
    var steps: Int?
    /// Hold out the last values of the file: the forecast starts before them and is compared with them.
    var holdout: Int?
    /// Read only the last values of the history before forecasting (default: all of it).
    var warmup: Int?
    /// With ``holdout``, also compare with the seasonal-naive forecast of this period.
    var season: Int?
    /// Draw the history's tail, the forecast and any held-out values into this SVG file.
    var plot: String?
    /// Replace the plot's file when it exists (never a file the command reads).
    var force = false
    /// The unit of the series' values, for the plot's value axis.
    var unit: String?
    var interpolate = false
    var threads: Int?

    /// Values forecast when neither --steps nor --holdout is given.
    static let defaultSteps = 10

    init(file: String, checkpoint: String) {
        self.file = file
        self.checkpoint = checkpoint
    }

    /// Values to forecast.
    var stepCount: Int { steps ?? holdout ?? Self.defaultSteps }

    static var options: [BoundOption<ForecastOptions>] {
        [
            .init(CommonOptions.checkpoint("The checkpoint file or training folder of a series model.", required: true), \.checkpoint),
            .init(OptionSpec("steps", .integer(1...10_000_000), value: "k", "Values to forecast",
                             default: "the --holdout count, else \(defaultSteps)"), \.steps),
            .init(OptionSpec("holdout", .integer(ValueRange.positiveCounts), value: "n",
                             "Hold out the file's last n values: forecast from before them and report the errors"), \.holdout),
            .init(OptionSpec("season", .integer(ValueRange.positiveCounts), value: "n",
                             "With --holdout, also compare with the seasonal-naive forecast of this period"), \.season),
            .init(OptionSpec("warmup", .integer(ValueRange.positiveCounts), value: "n",
                             "Read only the history's last n values before forecasting", default: "all"), \.warmup),
            .init(OptionSpec("plot", .text(allowEmpty: false), value: "file.svg",
                             "Draw the history's tail, the forecast and the held-out values"), \.plot),
            .init(OptionSpec("force", .flag, "Replace the --plot file if it exists."), flag: \.force),
            .init(OptionSpec("unit", .text(allowEmpty: false), value: "text",
                             "The unit of the series' values, shown on the plot's value axis (e.g. ppm)"), \.unit),
            .init(CommonOptions.interpolate, flag: \.interpolate),
            .init(CommonOptions.threads, \.threads),
        ]
    }

    static let command = CommandSpec(
        name: "forecast",
        abstract: "Forecast the next values of a numeric series with a series model.",
        arguments: [ArgumentSpec(name: "series", help: "A CSV file with a header row holding the model's column.",
                                 isRequired: true, defaultText: nil)],
        options: options.map(\.spec),
        example: "charlstm forecast co2.csv --checkpoint Checkpoints/co2 --steps 52 --plot f.svg"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        self.init(file: args.positional(0)!, checkpoint: "")
        try args.apply(Self.options, to: &self)
    }
}
