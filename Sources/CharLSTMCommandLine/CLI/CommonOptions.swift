import CharLSTM
/// Options that several commands share, described once.
enum CommonOptions {
    static let threads = OptionSpec("threads", .integer(TrainingRun.Configuration.threadRange), value: "n",
                                    "Worker threads", default: "all cores")
    static let json = OptionSpec("json", .flag, "Print the result as one JSON object per line.")

    static let column = OptionSpec("column", .text(allowEmpty: false), value: "name",
                                   "Train a series model on this column of a CSV corpus (see README, Numeric series)")
    static let interpolate = OptionSpec("interpolate", .flag,
                                        "Series: fill missing values (empty, NA, NaN, null) linearly instead of refusing them.")

    static func cell(default cell: CellKind) -> OptionSpec {
        OptionSpec("cell", .choice(CellKind.allCases.map(\.rawValue)), value: "cell",
                   "Recurrent cell", default: cell.rawValue)
    }

    static func dropout(default dropout: Double) -> OptionSpec {
        OptionSpec("dropout", .real(ModelConfig.dropoutInterval), value: "p",
                   "Dropout probability after every recurrent layer (between layers and before the decoder)",
                   default: formatNumber(dropout))
    }

    /// `--weights auto|f32|bf16` of the commands that generate.
    static func weights(default choice: GenerateOptions.Weights) -> OptionSpec {
        OptionSpec("weights", .choice(GenerateOptions.Weights.allCases.map(\.rawValue)), value: "format",
                   "How the weights are stored while generating: f32 (exact), bf16 (half the memory to read, "
                       + "faster on large models), or auto (bf16 above 4 MiB of weights)", default: choice.rawValue)
    }

    static func checkpoint(_ help: String, required: Bool) -> OptionSpec {
        OptionSpec("checkpoint", .text(allowEmpty: false), value: "path", help, required: required)
    }
}
