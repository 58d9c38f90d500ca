import CharLSTM
/// The options of `charlstm serve`.
struct ServeOptions: Equatable, Sendable {
    /// The checkpoint file or training folder to serve; nil lets the command choose (as `generate`).
    var checkpoint: String?
    /// The address to listen on.
    var host = "127.0.0.1"
    /// The port; 0 lets the system choose.
    var port = 8080
    /// Streams generated at once in one batched step.
    var maxStreams = 64
    /// Connections open at once.
    var maxConnections = 256
    /// Key every API request must present as `Authorization: Bearer KEY`.
    var apiKey: String?
    /// Worker threads; nil means all cores.
    var threads: Int?
    /// How the weights are stored while generating (as `generate --weights`, so a seed gives the same text).
    var weights: GenerateOptions.Weights = .auto

    init() {}

    /// Every option, bound to the field it sets.
    static var options: [BoundOption<ServeOptions>] {
        let d = ServeOptions()
        return [
            .init(CommonOptions.checkpoint("The checkpoint file or training folder to serve.", required: false), \.checkpoint),
            .init(OptionSpec("host", .text(allowEmpty: false), value: "address",
                             "Address to listen on; anything but loopback lets other machines in", default: d.host), \.host),
            .init(OptionSpec("port", .integer(0...65_535), value: "port", "Port to listen on; 0 picks a free one",
                             default: "\(d.port)"), \.port),
            .init(OptionSpec("max-streams", .integer(1...256), value: "n",
                             "Streams generated at once in one batched step; more get 503", default: "\(d.maxStreams)"),
                  \.maxStreams),
            .init(OptionSpec("max-connections", .integer(1...4096), value: "n",
                             "Connections open at once; more get 503", default: "\(d.maxConnections)"), \.maxConnections),
            .init(OptionSpec("api-key", .text(allowEmpty: false), value: "key",
                             "Require 'Authorization: Bearer <key>' on every /v1 request", default: "none"), \.apiKey),
            .init(CommonOptions.threads, \.threads),
            .init(CommonOptions.weights(default: d.weights), \.weights),
        ]
    }

    static let command = CommandSpec(
        name: "serve",
        abstract: "Serve a model over HTTP: OpenAI-compatible completions and a playground page.",
        arguments: [],
        options: options.map(\.spec),
        example: "charlstm serve --checkpoint Checkpoints/pretrained --port 8080"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        try args.apply(Self.options, to: &self)
    }
}
