import CharLSTM
/// The options of `charlstm info <path>`.
struct InfoOptions: Equatable, Sendable {
    /// A checkpoint file or a training folder.
    var path: String
    var json = false

    init(path: String) {
        self.path = path
    }

    /// Every option, bound to the field it sets.
    static var options: [BoundOption<InfoOptions>] { [.init(CommonOptions.json, flag: \.json)] }

    static let command = CommandSpec(
        name: "info",
        abstract: "Describe a checkpoint file or a training folder.",
        arguments: [ArgumentSpec(name: "path", help: "A checkpoint file or a training folder.", isRequired: true, defaultText: nil)],
        options: options.map(\.spec),
        example: "charlstm info Checkpoints/shakespeare/latest.safetensors"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        self.init(path: args.positional(0)!)
        try args.apply(Self.options, to: &self)
    }
}
