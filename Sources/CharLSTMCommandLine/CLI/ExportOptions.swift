import CharLSTM
/// The options of `charlstm export <checkpoint> <output>`.
struct ExportOptions: Equatable, Sendable {
    /// A checkpoint file or a training folder.
    var checkpoint: String
    /// The file to write.
    var output: String

    init(checkpoint: String, output: String) {
        self.checkpoint = checkpoint
        self.output = output
    }

    static let command = CommandSpec(
        name: "export",
        abstract: "Write a model-only copy of a checkpoint, without training state: about a third of the size.",
        arguments: [
            ArgumentSpec(name: "checkpoint", help: "A checkpoint file or a training folder (its best model).", isRequired: true, defaultText: nil),
            ArgumentSpec(name: "output", help: "The .safetensors file to write.", isRequired: true, defaultText: nil),
        ],
        options: [],
        example: "charlstm export Checkpoints/shakespeare shakespeare-model.safetensors"
    )

    init(_ args: ParsedArguments) {
        self.init(checkpoint: args.positional(0)!, output: args.positional(1)!)
    }
}
