/// The options of `charlstm eval <file> --checkpoint <path>`.
public struct EvalOptions: Equatable, Sendable {
    /// The text to measure bits per character on.
    public var file: String
    /// The checkpoint file or training folder of the model.
    public var checkpoint: String
    public var json = false
    /// Worker threads; nil means all cores.
    public var threads: Int?

    public init(file: String, checkpoint: String) {
        self.file = file
        self.checkpoint = checkpoint
    }

    /// Every option, bound to the field it sets.
    static var options: [BoundOption<EvalOptions>] {
        [
            .init(CommonOptions.checkpoint("The checkpoint file or training folder of the model.", required: true), \.checkpoint),
            .init(CommonOptions.json, flag: \.json),
            .init(CommonOptions.threads, \.threads),
        ]
    }

    static let command = CommandSpec(
        name: "eval",
        abstract: "Measure a model's bits per character on a text file.",
        arguments: [ArgumentSpec(name: "file", help: "The text to evaluate on, a UTF-8 file.", isRequired: true, defaultText: nil)],
        options: options.map(\.spec),
        example: "charlstm eval held-out.txt --checkpoint Checkpoints/shakespeare --json"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        // The scanner has checked that the file and the (required) checkpoint are present.
        self.init(file: args.positional(0)!, checkpoint: "")
        try args.apply(Self.options, to: &self)
    }
}
