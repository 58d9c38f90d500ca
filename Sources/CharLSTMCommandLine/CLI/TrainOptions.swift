import CharLSTM
/// The options of `charlstm train [<corpus>]`: the library's ``TrainingRun/Configuration`` and a budget.
///
/// A model or training option that is not given stays `nil` in ``run``: the default for a new run, the
/// checkpoint's value when resuming.
struct TrainOptions: Equatable, Sendable {
    /// Corpus, output folder, model and training settings, intervals, threads, `--resume` and `--force`.
    var run = TrainingRun.Configuration()
    /// Budget: stop at this step (counted from the start of training). Training stops at the first budget reached.
    var steps: Int?
    /// Budget: stop after this many epochs (counted from the start of training).
    var epochs: Double?
    /// Budget: stop after this many minutes of wall time.
    var minutes: Double?
    /// With a column, the corpus is a CSV file and the run trains a series model on that column (``TrainingRun/init(_:series:)``).
    var column: String?
    /// Series runs: fill missing values linearly instead of refusing them.
    var interpolate = false
    /// Series runs: the model sees changes over this many steps (``SeriesSource/difference``).
    var difference: Int?
    /// Series runs: further columns read as inputs, comma-separated (``SeriesSource/inputs``).
    var inputs: String?

    /// The epoch budget when no budget option is given (as char-rnn).
    static let defaultEpochs = 50.0

    init() {}

    /// The budget in effect for a run of `kind`: the options given; when none is, the budget a resumed checkpoint
    /// recorded (`resumed`: the same end, the time that was left), else ``defaultEpochs`` epochs of text or
    /// ``SeriesDefaults/steps`` steps of a series.
    func budget(for kind: ModelKind, resumed: TrainingBudget? = nil) -> TrainingBudget {
        guard !hasBudget else { return TrainingBudget(steps: steps, epochs: epochs, seconds: minutes.map { $0 * 60 }) }
        if let resumed { return resumed }
        return kind == .text ? TrainingBudget(epochs: Self.defaultEpochs) : TrainingBudget(steps: SeriesDefaults.steps)
    }

    /// Whether `--steps`, `--epochs` or `--minutes` was given.
    var hasBudget: Bool { steps != nil || epochs != nil || minutes != nil }

    /// A default, and a series run's where it differs: `256; series: 64`.
    private static func series(_ text: String, _ series: String) -> String { "\(text); series: \(series)" }

    /// Every option, bound to the field it sets.
    static var options: [BoundOption<TrainOptions>] {
        typealias Run = TrainingRun.Configuration
        let d = TrainingConfig(), every = TrainingConfig.intervalRange
        return [
            .init(CommonOptions.cell(default: Run.defaultCell), \.run.cell),
            .init(OptionSpec("layers", .integer(ModelConfig.layerRange), value: "n", "Recurrent layers",
                             default: series("\(Run.defaultLayers)", "\(SeriesDefaults.layers)")), \.run.layers),
            .init(OptionSpec("hidden", .integer(ModelConfig.hiddenRange), value: "n", "Hidden units per layer",
                             default: series("\(Run.defaultHidden)", "\(SeriesDefaults.hidden)")), \.run.hidden),
            .init(OptionSpec("seq-length", .integer(TrainingConfig.sequenceLengthRange), value: "n",
                             "Characters per training sequence (steps of backpropagation through time)",
                             default: series("\(d.sequenceLength)", "\(SeriesDefaults.sequenceLength)")), \.run.sequenceLength),
            .init(OptionSpec("batch-size", .integer(TrainingConfig.batchSizeRange), value: "n", "Sequences per batch",
                             default: series("\(d.batchSize)", "at most \(SeriesDefaults.maxBatchSize), 4 batches an epoch or more")),
                  \.run.batchSize),
            .init(CommonOptions.dropout(default: Run.defaultDropout), \.run.dropout),
            .init(OptionSpec("learning-rate", .real(TrainingConfig.learningRateInterval), value: "rate", "Adam learning rate",
                             default: series(formatNumber(Double("\(d.learningRate)")!),
                                             formatNumber(Double("\(SeriesDefaults.learningRate)")!))), \.run.learningRate),
            .init(OptionSpec("lr-schedule", .choice(LearningRateSchedule.Shape.allCases.map(\.rawValue)), value: "shape",
                             "How the learning rate decays to zero at the end of the budget (--steps, --epochs or --minutes)",
                             default: series(d.schedule.shape.rawValue, LearningRateSchedule.Shape.constant.rawValue)),
                  \.run.learningRateSchedule),
            .init(OptionSpec("warmup", .integer(LearningRateSchedule.warmupRange), value: "n",
                             "Steps of linear learning-rate warm-up at the start", default: "\(d.schedule.warmupSteps)"),
                  \.run.warmupSteps),
            .init(OptionSpec("learning-rate-decay", .real(TrainingConfig.learningRateDecayInterval), value: "factor",
                             "Learning-rate factor applied once per epoch after --decay-after",
                             default: series(formatNumber(Double("\(d.learningRateDecay)")!), "1")), \.run.learningRateDecay),
            .init(OptionSpec("decay-after", .real(TrainingConfig.decayAfterInterval), value: "epochs",
                             "Epochs before the learning rate starts to decay", default: formatNumber(d.decayAfter)), \.run.decayAfter),
            .init(OptionSpec("weight-decay", .real(TrainingConfig.weightDecayInterval), value: "lambda",
                             "L2 weight decay, as in torch.optim.Adam", default: formatNumber(Double(d.weightDecay))), \.run.weightDecay),
            .init(OptionSpec("clip", .real(TrainingConfig.clipInterval), value: "norm",
                             "Largest gradient norm; 0 disables clipping", default: formatNumber(Double(d.clip))), \.run.clip),
            .init(OptionSpec("val-fraction", .real(TrainingConfig.validationFractionInterval), value: "fraction",
                             "Share of the corpus held out for validation",
                             default: series(formatNumber(d.validationFraction), formatNumber(SeriesDefaults.validationFraction))),
                  \.run.validationFraction),
            .init(OptionSpec("val-chars", .integer(TrainingConfig.validationCharactersRange), value: "n",
                             "Most validation characters a periodic validation reads; 0 reads them all",
                             default: "\(TrainingConfig.defaultValidationCharacters)"), \.run.validationCharacters),
            .init(OptionSpec("steps", .integer(ValueRange.positiveCounts), value: "n", "Stop after this many steps"), \.steps),
            .init(OptionSpec("epochs", .real(ValueRange.realBudget), value: "x", "Stop after this many epochs",
                             default: "\(formatNumber(defaultEpochs)) when no budget option is given; series: --steps \(SeriesDefaults.steps) instead, "
                                 + "usually stopped earlier by --patience"),
                  \.epochs),
            .init(OptionSpec("minutes", .real(ValueRange.realBudget), value: "m", "Stop after this many minutes"), \.minutes),
            .init(OptionSpec("eval-every", .integer(every), value: "n", "Steps between validation runs",
                             default: series("\(d.evaluateEvery)", "\(SeriesDefaults.evaluateEvery)")), \.run.evaluateEvery),
            .init(OptionSpec("checkpoint-every", .integer(every), value: "n", "Steps between checkpoints",
                             default: "\(d.checkpointEvery)"), \.run.checkpointEvery),
            .init(OptionSpec("log-every", .integer(every), value: "n", "Steps between progress lines",
                             default: "\(d.logEvery)"), \.run.logEvery),
            .init(OptionSpec("out", .text(allowEmpty: false), value: "dir", "Folder for checkpoints and logs"), \.run.folder),
            .init(OptionSpec("seed", .unsigned, value: "seed", "Random seed", default: "\(d.seed)"), \.run.seed),
            .init(CommonOptions.threads, \.run.threads),
            .init(OptionSpec("resume", .text(allowEmpty: false), value: "path",
                             "Continue training from this checkpoint, or a run folder's latest (text or series: the data "
                             + "file and columns come from it)"),
                  \.run.resume),
            .init(OptionSpec("init-from", .text(allowEmpty: false), value: "path",
                             "Start a new run from this model's weights (a checkpoint, or a folder's best); the corpus's "
                             + "new characters are added to its vocabulary"), \.run.initFrom),
            .init(OptionSpec("patience", .integer(Run.patienceRange), value: "n",
                             "Stop early after this many validations in a row without a new best",
                             default: series("none", "\(SeriesDefaults.patience)")), \.run.patience),
            .init(OptionSpec("force", .flag, "Start over in an output folder that holds a run's files (checkpoints, "
                             + "metrics.csv, loss.svg); they are replaced when this run first saves a checkpoint."),
                  flag: \.run.overwrite),
            .init(OptionSpec("allow-changed-corpus", .flag,
                             "With --resume: continue on a corpus that differs from the checkpoint's (e.g. appended to)."),
                  flag: \.run.allowChangedCorpus),
            .init(CommonOptions.column, \.column),
            .init(CommonOptions.interpolate, flag: \.interpolate),
            .init(OptionSpec("inputs", .text(allowEmpty: false), value: "names",
                             "Series: further columns read as inputs beside --column, comma-separated"), \.inputs),
            .init(OptionSpec("difference", .integer(1...SeriesScaling.lagRange.upperBound), value: "lag",
                             "Series: model the change over lag steps (1 for a trend, the season's length for seasonal change); "
                             + "forecasts add it back", default: "none"), \.difference),
        ]
    }

    static let command = CommandSpec(
        name: "train",
        abstract: "Train a character-level model on a text corpus, or a series model on a CSV column.",
        arguments: [ArgumentSpec(name: "corpus", help: "The training text, a UTF-8 file.",
                                 isRequired: false, defaultText: "the bundled corpus")],
        options: options.map(\.spec),
        example: "charlstm train my-corpus.txt --hidden 512 --dropout 0.2 --minutes 60"
    )

    init(_ args: ParsedArguments) throws(CharLSTMError) {
        run.corpus = args.positional(0)
        try args.apply(Self.options, to: &self)
    }
}
