/// The options of `charlstm generate`.
public struct GenerateOptions: Equatable, Sendable {
    /// The checkpoint file or training folder to sample from; nil lets the command choose.
    public var checkpoint: String?
    /// Text fed to the model before sampling, and printed first.
    public var prime: String?
    /// Characters to generate.
    public var length = 1000
    /// Softmax temperature; 0 samples greedily (argmax).
    public var temperature = 1.0
    /// Keep only the k most likely characters.
    public var topK: Int?
    /// Keep the smallest set of most likely characters whose probability reaches p.
    public var topP: Double?
    /// Sampling seed; nil means a fresh random seed.
    public var seed: UInt64?
    /// Stop after generating this text.
    public var stop: String?
    /// Worker threads; nil means all cores.
    public var threads: Int?
    /// Long names (without dashes) of the options given on the command line.
    public var explicitlySet: Set<String> = []

    public init() {}

    static let command: CommandSpec = {
        let d = GenerateOptions()
        return CommandSpec(
            name: "generate",
            abstract: "Generate text from a trained model.",
            arguments: [],
            options: [
                CommonOptions.checkpoint("The checkpoint file or training folder to sample from.", required: false),
                OptionSpec("prime", .text(allowEmpty: true), value: "text",
                           "Text to start from; it is printed before the generated text."),
                OptionSpec("length", .integer(0...1_000_000_000), value: "n",
                           "Characters to generate", default: "\(d.length)"),
                OptionSpec("temperature", .real(.closed(0, 100)), value: "t",
                           "Softmax temperature; 0 always picks the most likely character", default: formatNumber(d.temperature)),
                OptionSpec("top-k", .integer(1...Int.max), value: "k", "Sample only among the k most likely characters"),
                OptionSpec("top-p", .real(.openClosed(0, 1)), value: "p",
                           "Sample only among the most likely characters whose probabilities add up to p"),
                OptionSpec("seed", .unsigned, value: "seed", "Random seed", default: "a fresh random seed"),
                OptionSpec("stop", .text(allowEmpty: false), value: "text", "Stop once this text has been generated."),
                CommonOptions.threads,
            ],
            example: "charlstm generate --prime 'ROMEO:' --length 500 --temperature 0.8"
        )
    }()

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        try args.read("checkpoint", into: &checkpoint)
        try args.read("prime", into: &prime)
        try args.read("length", into: &length)
        try args.read("temperature", into: &temperature)
        try args.read("top-k", into: &topK)
        try args.read("top-p", into: &topP)
        try args.read("seed", into: &seed)
        try args.read("stop", into: &stop)
        try args.read("threads", into: &threads)
        explicitlySet = args.givenNames
    }
}
