import CharLSTM
/// The options of `charlstm inspect <file> --checkpoint <path>`.
struct InspectOptions: Equatable, Sendable {
    /// The text to run the model over.
    var file: String
    /// The checkpoint file or training folder of the model.
    var checkpoint: String
    /// Where the HTML page goes; nil means `<file name>.inspect.html` in the current folder (unless `json`).
    var out: String?
    /// Replace the page's file when it exists (never a file the command reads).
    var force = false
    /// Print the data as one JSON object instead of writing the page (the page too when `out` is given).
    var json = false
    /// The cell drawn first: its layer and index, from 0; nil means the best-correlated one.
    var layer: Int?
    var cell: Int?
    /// The most characters of the text inspected.
    var maxCharacters = Inspection.defaultLimit
    /// Worker threads; nil means all cores.
    var threads: Int?

    /// Text models: what to do with the characters the model lacks (`--skip-unknown`, `--replace-unknown C`).
    var unknown = UnknownCharacters.refuse
    var skipUnknown = false
    var replaceUnknown: String?

    init(file: String, checkpoint: String) {
        self.file = file
        self.checkpoint = checkpoint
    }

    /// Every option, bound to the field it sets.
    static var options: [BoundOption<InspectOptions>] {
        [
            .init(CommonOptions.checkpoint("The checkpoint file or training folder of the model.", required: true), \.checkpoint),
            .init(CommonOptions.skipUnknown, flag: \.skipUnknown),
            .init(CommonOptions.replaceUnknown, \.replaceUnknown),
            .init(OptionSpec("out", .text(allowEmpty: false), value: "path", "Where to write the HTML page",
                             default: "notes.inspect.html for notes.txt, in the current folder"), \.out),
            .init(OptionSpec("force", .flag, "Replace the page's file if it exists."), flag: \.force),
            .init(OptionSpec("json", .flag, "Print the data as one JSON object instead of writing the page (also the page when --out is given)."),
                  flag: \.json),
            .init(OptionSpec("layer", .integer(0...(ModelConfig.layerRange.upperBound - 1)), value: "l",
                             "The layer of the cell drawn first, from 0", default: "that of the best-correlated cell"), \.layer),
            .init(OptionSpec("cell", .integer(0...(ModelConfig.hiddenRange.upperBound - 1)), value: "k",
                             "The cell drawn first, from 0", default: "the best-correlated one"), \.cell),
            .init(OptionSpec("max-chars", .integer(Inspection.limitRange), value: "n",
                             "Inspect at most the first n characters of the text", default: "\(Inspection.defaultLimit)"),
                  \.maxCharacters),
            .init(CommonOptions.threads, \.threads),
        ]
    }

    static let command = CommandSpec(
        name: "inspect",
        abstract: "Draw a model's surprise and cells over a text as HTML.",
        arguments: [ArgumentSpec(name: "file", help: "The text to run the model over, a UTF-8 file.", isRequired: true, defaultText: nil)],
        options: options.map(\.spec),
        example: "charlstm inspect held-out.txt --checkpoint Checkpoints/shakespeare"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        // The scanner has checked that the file and the (required) checkpoint are present.
        self.init(file: args.positional(0)!, checkpoint: "")
        try args.apply(Self.options, to: &self)
        unknown = try CommonOptions.unknownCharacters(skip: skipUnknown, replace: replaceUnknown)
    }
}
