import CharLSTMKernels
import CharLSTM
/// The options of `charlstm generate`.
struct GenerateOptions: Equatable, Sendable {
    /// The checkpoint file or training folder to sample from; nil lets the command choose.
    var checkpoint: String?
    /// Text fed to the model before sampling, and printed first.
    var prime: String?
    /// Characters to generate.
    var length = 1000
    /// Softmax temperature; 0 samples greedily (argmax).
    var temperature = 1.0
    /// Keep only the k most likely characters.
    var topK: Int?
    /// Keep the smallest set of most likely characters whose probability reaches p.
    var topP: Double?
    /// Sampling seed; nil means a fresh random seed.
    var seed: UInt64?
    /// Stop after generating this text.
    var stop: String?
    /// Worker threads; nil means all cores.
    var threads: Int?
    /// How the weights are stored while generating.
    var weights: Weights = .auto

    /// The weight formats `--weights` offers.
    enum Weights: String, CaseIterable, Equatable, Sendable {
        /// int8 for models whose fp32 weights outgrow L2 (``StepRunner/automaticWeights(for:)``), else f32.
        case auto
        case f32
        case bf16
        case int8

        /// The precision for generating with a model of `config`.
        func precision(for config: ModelConfig) -> WeightPrecision {
            switch self {
            case .f32: .f32
            case .bf16: .bf16
            case .int8: .int8
            case .auto: StepRunner.automaticWeights(for: config)
            }
        }
    }

    /// Samples to generate, all advanced together in one batched step; sample i uses seed + i.
    var samples = 1

    init() {}

    /// Every option, bound to the field it sets.
    static var options: [BoundOption<GenerateOptions>] {
        let d = GenerateOptions()
        return [
            .init(CommonOptions.checkpoint("The checkpoint file or training folder (its best model) to sample from.", required: false,
                                           default: "the newest run under Checkpoints/, else Checkpoints/pretrained"), \.checkpoint),
            .init(OptionSpec("prime", .text(allowEmpty: true), value: "text",
                             "Text to start from; it is printed before the generated text."), \.prime),
            .init(OptionSpec("length", .integer(0...1_000_000_000), value: "n", "Characters to generate", default: "\(d.length)"),
                  \.length),
            .init(OptionSpec("temperature", .real(.closed(0, 100)), value: "t",
                             "Softmax temperature; 0 always picks the most likely character", default: formatNumber(d.temperature)),
                  \.temperature),
            .init(OptionSpec("top-k", .integer(ValueRange.positiveCounts), value: "k", "Sample only among the k most likely characters"), \.topK),
            .init(OptionSpec("top-p", .real(.openClosed(0, 1)), value: "p",
                             "Sample only among the most likely characters whose probabilities add up to p"), \.topP),
            .init(OptionSpec("seed", .unsigned, value: "seed", "Random seed", default: "a fresh random seed"), \.seed),
            .init(OptionSpec("stop", .text(allowEmpty: false), value: "text", "Stop once this text has been generated."), \.stop),
            .init(OptionSpec("samples", .integer(1...256), value: "n",
                             "Samples to generate together in one batched step, with seeds seed, seed + 1, …",
                             default: "\(d.samples)"), \.samples),
            .init(CommonOptions.threads, \.threads),
            .init(CommonOptions.weights(default: d.weights), \.weights),
        ]
    }

    static let command = CommandSpec(
        name: "generate",
        abstract: "Generate text from a trained model.",
        arguments: [],
        options: options.map(\.spec),
        example: "charlstm generate --prime 'ROMEO:' --length 500 --temperature 0.8"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        try args.apply(Self.options, to: &self)
    }
}
