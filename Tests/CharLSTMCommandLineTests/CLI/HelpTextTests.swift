import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// The exact help texts: any change to an option, default, range or layout shows up here.
@Suite struct HelpTextTests {
    static let overviewHelp = """
    OVERVIEW: Train, sample, evaluate and benchmark character-level LSTM models.

    USAGE: charlstm <command> [<options>]

    OPTIONS:
      --version               Show the version.
      -h, --help              Show help information.

    COMMANDS:
      train                   Train a character-level model on a text corpus, or a
                              series model on a CSV column.
      generate                Generate text from a trained model.
      eval                    Measure a model's bits per character on a text file,
                              or a series model's errors on a CSV file.
      info                    Describe a checkpoint file or a training folder.
      bench                   Measure training and generation speed.
      export                  Write a model-only copy of a checkpoint, without
                              training state: about a third of the size.
      inspect                 Draw a model's surprise and cells over a text as HTML.
      forecast                Forecast the next values of a numeric series with a
                              series model.
      serve                   Serve a model over HTTP: OpenAI-compatible completions
                              and a playground page.
      help                    Show help for a command.

      See 'charlstm help <command>' for detailed help.

    EXAMPLE:
      charlstm train --minutes 5

    """

    static let trainHelp = """
    OVERVIEW: Train a character-level model on a text corpus, or a series model on a
    CSV column.

    USAGE: charlstm train [<corpus>] [<options>]

    ARGUMENTS:
      <corpus>                The training text, a UTF-8 file.
                              (default: the bundled corpus)

    OPTIONS:
      --cell <cell>           Recurrent cell. (values: lstm, gru, rnn;
                              default: lstm)
      --layers <n>            Recurrent layers. (from 1 to 16;
                              default: 2; series: 1)
      --hidden <n>            Hidden units per layer. (from 1 to 8192;
                              default: 256; series: 64)
      --seq-length <n>        Characters per training sequence (steps of
                              backpropagation through time). (from 1 to 100000;
                              default: 100; series: 32)
      --batch-size <n>        Sequences per batch. (from 1 to 100000; default: 64;
                              series: at most 32, 4 batches an epoch or more)
      --dropout <p>           Dropout probability after every recurrent layer
                              (between layers and before the decoder). (in [0, 1);
                              default: 0)
      --learning-rate <rate>  Adam learning rate. (in (0, 10];
                              default: 0.004; series: 0.002)
      --lr-schedule <shape>   How the learning rate decays to zero at the end of the
                              budget (--steps, --epochs or --minutes). (values:
                              constant, cosine, linear, stable-decay; default:
                              stable-decay; series: constant)
      --warmup <n>            Steps of linear learning-rate warm-up at the start.
                              (from 0 to 10^9; default: 20)
      --learning-rate-decay <factor>
                              Learning-rate factor applied once per epoch after
                              --decay-after. (in (0, 1]; default: 0.97; series: 1)
      --decay-after <epochs>  Epochs before the learning rate starts to decay.
                              (in [0, 10^9]; default: 10)
      --weight-decay <lambda>
                              L2 weight decay, as in torch.optim.Adam.
                              (in [0, 1000]; default: 0)
      --clip <norm>           Largest gradient norm; 0 disables clipping.
                              (in [0, 10^6]; default: 5)
      --val-fraction <fraction>
                              Share of the corpus held out for validation.
                              (in (0, 0.5]; default: 0.05; series: 0.1)
      --val-chars <n>         Most validation characters a periodic validation
                              reads; 0 reads them all. (from 0 to 10^15;
                              default: 300000)
      --steps <n>             Stop after this many steps. (from 1 to 10^15)
      --epochs <x>            Stop after this many epochs. (in (0, 10^9]; default:
                              50 when no budget option is given; series: --steps
                              2000 instead, usually stopped earlier by --patience)
      --minutes <m>           Stop after this many minutes. (in (0, 10^9])
      --eval-every <n>        Steps between validation runs. (from 1 to 10^15;
                              default: 500; series: 50)
      --checkpoint-every <n>  Steps between checkpoints. (from 1 to 10^15;
                              default: 500)
      --log-every <n>         Steps between progress lines. (from 1 to 10^15;
                              default: 10)
      --out <dir>             Folder for checkpoints and logs.
      --seed <seed>           Random seed. (default: 1234)
      --threads <n>           Worker threads. (from 1 to 256; default: all cores)
      --resume <path>         Continue training from this checkpoint, or a run
                              folder's latest (text or series: the data file and
                              columns come from it).
      --init-from <path>      Start a new run from this model's weights (a
                              checkpoint, or a folder's best); the corpus's new
                              characters are added to its vocabulary.
      --patience <n>          Stop early after this many validations in a row
                              without a new best. (from 1 to 10^15;
                              default: none; series: 10)
      --force                 Start over in an output folder that holds a run's
                              files (checkpoints, metrics.csv, loss.svg); they are
                              replaced when this run first saves a checkpoint.
      --allow-changed-corpus  With --resume: continue on a corpus that differs from
                              the checkpoint's (e.g. appended to).
      --column <name>         Train a series model on this column of a CSV corpus
                              (see docs/series.md).
      --interpolate           Series: fill missing values (empty, NA, NaN, null)
                              linearly instead of refusing them.
      --inputs <names>        Series: further columns read as inputs beside
                              --column, comma-separated.
      --difference <lag>      Series: model the change over lag steps (1 for a
                              trend, the season's length for seasonal change);
                              forecasts add it back. (from 1 to 100000;
                              default: none)
      -h, --help              Show help information.

    EXAMPLE:
      charlstm train my-corpus.txt --hidden 512 --dropout 0.2 --minutes 60

    """

    static let serveHelp = """
    OVERVIEW: Serve a model over HTTP: OpenAI-compatible completions and a
    playground page.

    USAGE: charlstm serve [<options>]

    OPTIONS:
      --checkpoint <path>     The checkpoint file or training folder to serve.
      --host <address>        Address to listen on; anything but loopback lets other
                              machines in. (default: 127.0.0.1)
      --port <port>           Port to listen on; 0 picks a free one.
                              (from 0 to 65535; default: 8080)
      --max-streams <n>       Streams generated at once in one batched step; more
                              get 503. (from 1 to 256; default: 64)
      --max-connections <n>   Connections open at once; more get 503.
                              (from 1 to 4096; default: 256)
      --api-key <key>         Require 'Authorization: Bearer <key>' on every /v1
                              request. (default: none)
      --threads <n>           Worker threads. (from 1 to 256; default: all cores)
      --weights <format>      How the weights are stored while generating: f32
                              (exact), bf16 (half the memory to read, faster on
                              large models), int8 (a quarter: a byte a weight and a
                              scale a row, faster still), or auto (int8 above 4 MiB
                              of weights). (values: auto, f32, bf16, int8;
                              default: auto)
      -h, --help              Show help information.

    EXAMPLE:
      charlstm serve --checkpoint Checkpoints/pretrained --port 8080

    """

    static let generateHelp = """
    OVERVIEW: Generate text from a trained model.

    USAGE: charlstm generate [<options>]

    OPTIONS:
      --checkpoint <path>     The checkpoint file or training folder (its best
                              model) to sample from. (default: the newest run under
                              Checkpoints/, else Checkpoints/pretrained)
      --prime <text>          Text to start from; it is printed before the generated
                              text.
      --length <n>            Characters to generate. (from 0 to 10^9;
                              default: 1000)
      --temperature <t>       Softmax temperature; 0 always picks the most likely
                              character. (in [0, 100]; default: 1)
      --top-k <k>             Sample only among the k most likely characters.
                              (from 1 to 10^15)
      --top-p <p>             Sample only among the most likely characters whose
                              probabilities add up to p. (in (0, 1])
      --seed <seed>           Random seed. (default: a fresh random seed)
      --stop <text>           Stop once this text has been generated.
      --samples <n>           Samples to generate together in one batched step, with
                              seeds seed, seed + 1, …. (from 1 to 256; default: 1)
      --threads <n>           Worker threads. (from 1 to 256; default: all cores)
      --weights <format>      How the weights are stored while generating: f32
                              (exact), bf16 (half the memory to read, faster on
                              large models), int8 (a quarter: a byte a weight and a
                              scale a row, faster still), or auto (int8 above 4 MiB
                              of weights). (values: auto, f32, bf16, int8;
                              default: auto)
      -h, --help              Show help information.

    EXAMPLE:
      charlstm generate --prime 'ROMEO:' --length 500 --temperature 0.8

    """

    static let evalHelp = """
    OVERVIEW: Measure a model's bits per character on a text file, or a series
    model's errors on a CSV file.

    USAGE: charlstm eval <file> --checkpoint <path> [<options>]

    ARGUMENTS:
      <file>                  The text to evaluate on, a UTF-8 file (a CSV file for
                              a series model).

    OPTIONS:
      --checkpoint <path>     The checkpoint file or training folder of the model.
      --skip-unknown          Leave out the characters the model lacks (counted and
                              named) instead of refusing the text.
      --replace-unknown <char>
                              Read each character the model lacks as this one, which
                              it knows.
      --json                  Print the result as one JSON object per line.
      --threads <n>           Worker threads. (from 1 to 256; default: all cores)
      --warmup <n>            Series: values read before the first prediction.
                              (from 1 to 10^15; default: the training sequence
                              length)
      --season <n>            Series: also report the seasonal-naive forecast of
                              this period. (from 1 to 10^15)
      --interpolate           Series: fill missing values (empty, NA, NaN, null)
                              linearly instead of refusing them.
      --weights <format>      Measure what generation computes, one character at a
                              time, with its weights stored as f32, bf16 or int8
                              (the quality cost of `generate --weights bf16` or
                              `int8`). (values: f32, bf16, int8)
      -h, --help              Show help information.

    EXAMPLE:
      charlstm eval held-out.txt --checkpoint Checkpoints/shakespeare --json

    """

    static let infoHelp = """
    OVERVIEW: Describe a checkpoint file or a training folder.

    USAGE: charlstm info <path> [<options>]

    ARGUMENTS:
      <path>                  A checkpoint file or a training folder.

    OPTIONS:
      --json                  Print the result as one JSON object per line.
      -h, --help              Show help information.

    EXAMPLE:
      charlstm info Checkpoints/shakespeare/latest.safetensors

    """

    static let benchHelp = """
    OVERVIEW: Measure training and generation speed.

    USAGE: charlstm bench [<corpus>] [<options>]

    ARGUMENTS:
      <corpus>                The text to train on, a UTF-8 file.
                              (default: the bundled corpus)

    OPTIONS:
      --config <config>       Model size: S (2×128), M (2×512), L (3×512) or all.
                              (values: S, M, L, all; default: all)
      --cell <cell>           Recurrent cell. (values: lstm, gru, rnn;
                              default: lstm)
      --seconds <s>           Seconds of measurement per configuration.
                              (in (0, 3600]; default: 10)
      --threads <n>           Worker threads. (from 1 to 256; default: all cores)
      --dropout <p>           Dropout probability after every recurrent layer
                              (between layers and before the decoder). (in [0, 1);
                              default: 0)
      --weights <format>      How the weights are stored while generating: f32
                              (exact), bf16 (half the memory to read, faster on
                              large models), int8 (a quarter: a byte a weight and a
                              scale a row, faster still), or auto (int8 above 4 MiB
                              of weights). (values: auto, f32, bf16, int8;
                              default: auto)
      --json                  Print the result as one JSON object per line.
      --replan                Time the candidate kernels anew instead of using the
                              cached plan.
      -h, --help              Show help information.

    EXAMPLE:
      charlstm bench --config M --seconds 20 --json

    """
    static let forecastHelp = """
    OVERVIEW: Forecast the next values of a numeric series with a series model.

    USAGE: charlstm forecast <series> --checkpoint <path> [<options>]

    ARGUMENTS:
      <series>                A CSV file with a header row holding the model's
                              column.

    OPTIONS:
      --checkpoint <path>     The checkpoint file or training folder of a series
                              model.
      --steps <k>             Values to forecast. (from 1 to 10^7; default: the
                              --holdout count, else 10)
      --holdout <n>           Hold out the file's last n values: forecast from
                              before them and report the errors. (from 1 to 10^15)
      --season <n>            With --holdout, also compare with the seasonal-naive
                              forecast of this period. (from 1 to 10^15)
      --warmup <n>            Read only the history's last n values before
                              forecasting. (from 1 to 10^15; default: all)
      --plot <file.svg>       Draw the history's tail, the forecast and the held-out
                              values.
      --force                 Replace the --plot file if it exists.
      --unit <text>           The unit of the series' values, shown on the plot's
                              value axis (e.g. ppm).
      --interpolate           Series: fill missing values (empty, NA, NaN, null)
                              linearly instead of refusing them.
      --threads <n>           Worker threads. (from 1 to 256; default: all cores)
      -h, --help              Show help information.

    EXAMPLE:
      charlstm forecast co2.csv --checkpoint Checkpoints/co2 --steps 52 --plot f.svg

    """

    static let exportHelp = """
    OVERVIEW: Write a model-only copy of a checkpoint, without training state: about
    a third of the size.

    USAGE: charlstm export <checkpoint> <output> [<options>]

    ARGUMENTS:
      <checkpoint>            A checkpoint file or a training folder (its best
                              model).
      <output>                The .safetensors file to write.

    OPTIONS:
      -h, --help              Show help information.

    EXAMPLE:
      charlstm export Checkpoints/shakespeare shakespeare-model.safetensors

    """

    static let inspectHelp = """
    OVERVIEW: Draw a model's surprise and cells over a text as HTML.

    USAGE: charlstm inspect <file> --checkpoint <path> [<options>]

    ARGUMENTS:
      <file>                  The text to run the model over, a UTF-8 file.

    OPTIONS:
      --checkpoint <path>     The checkpoint file or training folder of the model.
      --skip-unknown          Leave out the characters the model lacks (counted and
                              named) instead of refusing the text.
      --replace-unknown <char>
                              Read each character the model lacks as this one, which
                              it knows.
      --out <path>            Where to write the HTML page. (default:
                              notes.inspect.html for notes.txt, in the current
                              folder)
      --force                 Replace the page's file if it exists.
      --json                  Print the data as one JSON object instead of writing
                              the page (also the page when --out is given).
      --layer <l>             The layer of the cell drawn first, from 0.
                              (from 0 to 15; default: that of the best-correlated
                              cell)
      --cell <k>              The cell drawn first, from 0. (from 0 to 8191;
                              default: the best-correlated one)
      --max-chars <n>         Inspect at most the first n characters of the text.
                              (from 2 to 200000; default: 5000)
      --threads <n>           Worker threads. (from 1 to 256; default: all cores)
      -h, --help              Show help information.

    EXAMPLE:
      charlstm inspect held-out.txt --checkpoint Checkpoints/shakespeare

    """

    @Test(arguments: [
        ([], overviewHelp), (["--help"], overviewHelp), (["-h"], overviewHelp), (["help"], overviewHelp),
        (["help", "help"], overviewHelp), (["help", "--help"], overviewHelp), (["help", "-h"], overviewHelp),
        (["help", "train"], trainHelp), (["train", "--help"], trainHelp), (["train", "-h"], trainHelp),
        (["train", "--hidden", "9", "-h"], trainHelp), (["train", "--bogus", "--help"], trainHelp),
        (["-h", "generate"], generateHelp), (["generate", "--help"], generateHelp),
        (["help", "serve"], serveHelp), (["serve", "-h"], serveHelp),
        (["help", "eval"], evalHelp), (["eval", "-h"], evalHelp),
        (["help", "forecast"], forecastHelp), (["forecast", "--help"], forecastHelp),
        (["help", "info"], infoHelp), (["info", "--help"], infoHelp),
        (["help", "bench"], benchHelp), (["bench", "-h"], benchHelp),
        (["help", "export"], exportHelp), (["export", "--help"], exportHelp),
        (["help", "inspect"], inspectHelp), (["inspect", "-h"], inspectHelp),
    ])
    func helpText(arguments: [String], expected: String) throws {
        #expect(try Invocation.parse(arguments) == .help(expected))
    }

    @Test func helpAfterDoubleDashOrAsAValueIsNotHelp() throws {
        #expect(try Invocation.parse(["generate", "--prime", "--help"]) != .help(Self.generateHelp))
        #expect(throws: CharLSTMError(.usage, "unexpected argument '--help'")) {
            try Invocation.parse(["generate", "--", "--help"])
        }
    }

    @Test func everyLineFitsIn80Columns() {
        for text in [Self.overviewHelp, Self.trainHelp, Self.generateHelp, Self.serveHelp, Self.evalHelp, Self.infoHelp, Self.benchHelp, Self.exportHelp, Self.inspectHelp, Self.forecastHelp] {
            for line in text.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
        }
    }

    @Test func wrapKeepsGluedNotesTogether() {
        let lines = HelpText.wrap("a (in\u{1}[0,\u{1}1);\u{1}default:\u{1}0) " + String(repeating: "x ", count: 40), indent: 70)
        #expect(lines.first == "a")
        #expect(lines[1] == "(in [0, 1); default: 0)")
        #expect(lines.dropFirst(2).allSatisfy { $0.count <= 10 })
    }
}
