/// The options of `charlstm eval <file> --checkpoint <path>`.
public struct EvalOptions: Equatable, Sendable {
    /// The text to measure bits per character on.
    public var file: String
    /// The checkpoint file or training folder of the model.
    public var checkpoint: String
    public var json = false
    /// Worker threads; nil means all cores.
    public var threads: Int?
    /// Long names (without dashes) of the options given on the command line.
    public var explicitlySet: Set<String> = []

    public init(file: String, checkpoint: String) {
        self.file = file
        self.checkpoint = checkpoint
    }

    static let command = CommandSpec(
        name: "eval",
        abstract: "Measure a model's bits per character on a text file.",
        arguments: [ArgumentSpec(name: "file", help: "The text to evaluate on, a UTF-8 file.", isRequired: true, defaultText: nil)],
        options: [
            CommonOptions.checkpoint("The checkpoint file or training folder of the model.", required: true),
            CommonOptions.json,
            CommonOptions.threads,
        ],
        example: "charlstm eval held-out.txt --checkpoint Checkpoints/shakespeare --json"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        var checkpoint: String?
        try args.read("checkpoint", into: &checkpoint)
        // The scanner has checked that both are present.
        self.init(file: args.positional(0)!, checkpoint: checkpoint!)
        args.read("json", into: &json)
        try args.read("threads", into: &threads)
        explicitlySet = args.givenNames
    }
}
