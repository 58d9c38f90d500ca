/// The options of `charlstm train [<corpus>]`.
public struct TrainOptions: Equatable, Sendable {
    /// The training text; nil means the bundled corpus.
    public var corpus: String?
    public var cell: CellKind = .lstm
    public var layers = 2
    public var hidden = 256
    public var seqLength = 100
    public var batchSize = 64
    public var dropout = 0.0
    public var learningRate = 2e-3
    /// Multiplies the learning rate once per epoch after ``decayAfter`` epochs.
    public var learningRateDecay = 0.97
    /// Epochs before learning-rate decay starts.
    public var decayAfter = 10.0
    public var weightDecay = 0.0
    /// Gradient-norm clipping threshold; 0 disables clipping.
    public var clip = 5.0
    /// The share of the corpus held out for validation (its end).
    public var valFraction = 0.05
    /// Budget: stop after this many steps. Training stops at the first budget reached.
    public var steps: Int?
    /// Budget: stop after this many epochs.
    public var epochs: Double?
    /// Budget: stop after this many minutes of wall time.
    public var minutes: Double?
    public var evalEvery = 500
    public var checkpointEvery = 500
    public var logEvery = 10
    /// The output folder; nil lets the command choose.
    public var out: String?
    public var seed: UInt64 = 1234
    /// Worker threads; nil means all cores.
    public var threads: Int?
    /// A checkpoint to continue from.
    public var resume: String?
    /// Overwrite an existing output folder.
    public var force = false
    /// Long names (without dashes) of the options given on the command line; resume refuses an explicitly
    /// given model option that differs from the checkpoint.
    public var explicitlySet: Set<String> = []

    /// The epoch budget when no budget option is given (as char-rnn).
    public static let defaultEpochs = 50.0

    public init() {}

    /// The epoch budget in effect: ``epochs`` if given, ``defaultEpochs`` when no budget at all is given, else nil.
    public var effectiveEpochs: Double? {
        epochs ?? (steps == nil && minutes == nil ? Self.defaultEpochs : nil)
    }

    /// The names of the options that define the model's shape, which a resumed run must not change.
    public static let modelOptionNames: Set<String> = ["cell", "layers", "hidden"]

    static let command: CommandSpec = {
        let d = TrainOptions()
        return CommandSpec(
            name: "train",
            abstract: "Train a character-level model on a text corpus.",
            arguments: [ArgumentSpec(name: "corpus", help: "The training text, a UTF-8 file.",
                                     isRequired: false, defaultText: "the bundled corpus")],
            options: [
                CommonOptions.cell(default: d.cell),
                OptionSpec("layers", .integer(1...16), value: "n", "Recurrent layers", default: "\(d.layers)"),
                OptionSpec("hidden", .integer(1...8192), value: "n", "Hidden units per layer", default: "\(d.hidden)"),
                OptionSpec("seq-length", .integer(1...100_000), value: "n",
                           "Characters per training sequence (steps of backpropagation through time)", default: "\(d.seqLength)"),
                OptionSpec("batch-size", .integer(1...100_000), value: "n", "Sequences per batch", default: "\(d.batchSize)"),
                CommonOptions.dropout(default: d.dropout),
                OptionSpec("learning-rate", .real(.openClosed(0, 10)), value: "rate",
                           "Adam learning rate", default: formatNumber(d.learningRate)),
                OptionSpec("learning-rate-decay", .real(.openClosed(0, 1)), value: "factor",
                           "Learning-rate factor applied once per epoch after --decay-after", default: formatNumber(d.learningRateDecay)),
                OptionSpec("decay-after", .real(.atLeast(0)), value: "epochs",
                           "Epochs before the learning rate starts to decay", default: formatNumber(d.decayAfter)),
                OptionSpec("weight-decay", .real(.atLeast(0)), value: "lambda",
                           "L2 weight decay, as in torch.optim.Adam", default: formatNumber(d.weightDecay)),
                OptionSpec("clip", .real(.atLeast(0)), value: "norm",
                           "Largest gradient norm; 0 disables clipping", default: formatNumber(d.clip)),
                OptionSpec("val-fraction", .real(.openClosed(0, 0.5)), value: "fraction",
                           "Share of the corpus held out for validation", default: formatNumber(d.valFraction)),
                OptionSpec("steps", .integer(1...Int.max), value: "n", "Stop after this many steps"),
                OptionSpec("epochs", .real(.greaterThan(0)), value: "x", "Stop after this many epochs",
                           default: "\(formatNumber(defaultEpochs)) when no budget option is given"),
                OptionSpec("minutes", .real(.greaterThan(0)), value: "m", "Stop after this many minutes"),
                OptionSpec("eval-every", .integer(1...Int.max), value: "n",
                           "Steps between validation runs", default: "\(d.evalEvery)"),
                OptionSpec("checkpoint-every", .integer(1...Int.max), value: "n",
                           "Steps between checkpoints", default: "\(d.checkpointEvery)"),
                OptionSpec("log-every", .integer(1...Int.max), value: "n",
                           "Steps between progress lines", default: "\(d.logEvery)"),
                OptionSpec("out", .text(allowEmpty: false), value: "dir", "Folder for checkpoints and logs"),
                OptionSpec("seed", .unsigned, value: "seed", "Random seed", default: "\(d.seed)"),
                CommonOptions.threads,
                OptionSpec("resume", .text(allowEmpty: false), value: "path",
                           "Continue training from this checkpoint"),
                OptionSpec("force", .flag, "Overwrite checkpoints already in the output folder."),
            ],
            example: "charlstm train my-corpus.txt --hidden 512 --dropout 0.2 --minutes 60"
        )
    }()

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        corpus = args.positional(0)
        try args.read("cell", into: &cell)
        try args.read("layers", into: &layers)
        try args.read("hidden", into: &hidden)
        try args.read("seq-length", into: &seqLength)
        try args.read("batch-size", into: &batchSize)
        try args.read("dropout", into: &dropout)
        try args.read("learning-rate", into: &learningRate)
        try args.read("learning-rate-decay", into: &learningRateDecay)
        try args.read("decay-after", into: &decayAfter)
        try args.read("weight-decay", into: &weightDecay)
        try args.read("clip", into: &clip)
        try args.read("val-fraction", into: &valFraction)
        try args.read("steps", into: &steps)
        try args.read("epochs", into: &epochs)
        try args.read("minutes", into: &minutes)
        try args.read("eval-every", into: &evalEvery)
        try args.read("checkpoint-every", into: &checkpointEvery)
        try args.read("log-every", into: &logEvery)
        try args.read("out", into: &out)
        try args.read("seed", into: &seed)
        try args.read("threads", into: &threads)
        try args.read("resume", into: &resume)
        args.read("force", into: &force)
        explicitlySet = args.givenNames
    }
}
