/// The options of `charlstm info <path>`.
public struct InfoOptions: Equatable, Sendable {
    /// A checkpoint file or a training folder.
    public var path: String
    public var json = false
    /// Long names (without dashes) of the options given on the command line.
    public var explicitlySet: Set<String> = []

    public init(path: String) {
        self.path = path
    }

    static let command = CommandSpec(
        name: "info",
        abstract: "Describe a checkpoint file or a training folder.",
        arguments: [ArgumentSpec(name: "path", help: "A checkpoint file or a training folder.", isRequired: true, defaultText: nil)],
        options: [CommonOptions.json],
        example: "charlstm info Checkpoints/shakespeare/latest.safetensors"
    )

    init(_ args: ParsedArguments) {
        self.init(path: args.positional(0)!)
        args.read("json", into: &json)
        explicitlySet = args.givenNames
    }
}
