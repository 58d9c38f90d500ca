import CharLSTM
/// Options that several commands share, described once.
enum CommonOptions {
    static let threads = OptionSpec("threads", .integer(TrainingRun.Configuration.threadRange), value: "n",
                                    "Worker threads", default: "all cores")
    static let json = OptionSpec("json", .flag, "Print the result as one JSON object per line.")

    static let column = OptionSpec("column", .text(allowEmpty: false), value: "name",
                                   "Train a series model on this column of a CSV corpus (see docs/series.md)")
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

    /// `--weights auto|f32|bf16|int8` of the commands that generate.
    static func weights(default choice: GenerateOptions.Weights) -> OptionSpec {
        OptionSpec("weights", .choice(GenerateOptions.Weights.allCases.map(\.rawValue)), value: "format",
                   "How the weights are stored while generating: f32 (exact), bf16 (half the memory to read, "
                       + "faster on large models), int8 (a quarter: a byte a weight and a scale a row, faster still), "
                       + "or auto (int8 above 4 MiB of weights)", default: choice.rawValue)
    }

    static let skipUnknown = OptionSpec("skip-unknown", .flag,
                                        "Leave out the characters the model lacks (counted and named) instead of refusing the text.")
    static let replaceUnknown = OptionSpec("replace-unknown", .text(allowEmpty: false), value: "char",
                                           "Read each character the model lacks as this one, which it knows")

    /// `--skip-unknown` and `--replace-unknown C` as the library's policy; throws `.usage` for both at once or a
    /// replacement that is not one character.
    static func unknownCharacters(skip: Bool, replace: String?) throws(CharLSTMError) -> UnknownCharacters {
        switch (skip, replace) {
        case (false, nil): return .refuse
        case (true, nil): return .skip
        case (false, let text?):
            guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
                throw .usage("'--replace-unknown' takes one character, got \(text.unicodeScalars.count)")
            }
            return .replace(scalar)
        case (true, _?):
            throw .usage("'--skip-unknown' and '--replace-unknown' exclude each other: leave the characters out, or read them as another")
        }
    }

    static func checkpoint(_ help: String, required: Bool, default defaultText: String? = nil) -> OptionSpec {
        OptionSpec("checkpoint", .text(allowEmpty: false), value: "path", help, default: defaultText, required: required)
    }
}
