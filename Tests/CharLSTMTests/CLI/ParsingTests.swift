import Testing
@testable import CharLSTM

/// Argument lists in, options out.
@Suite struct ParsingTests {
    @Test func versionAndDefaults() throws {
        #expect(try Invocation.parse(["--version"]) == .version)
        #expect(try Invocation.parse(["train"]) == .train(TrainOptions()))
        #expect(try Invocation.parse(["generate"]) == .generate(GenerateOptions()))
        #expect(try Invocation.parse(["bench"]) == .bench(BenchOptions()))
    }

    @Test func trainDefaultsAreTheDocumentedOnes() {
        let o = TrainOptions()
        #expect(o.corpus == nil && o.cell == .lstm && o.layers == 2 && o.hidden == 256)
        #expect(o.seqLength == 100 && o.batchSize == 64 && o.dropout == 0 && o.learningRate == 0.002)
        #expect(o.learningRateDecay == 0.97 && o.decayAfter == 10 && o.weightDecay == 0 && o.clip == 5)
        #expect(o.valFraction == 0.05 && o.steps == nil && o.epochs == nil && o.minutes == nil)
        #expect(o.evalEvery == 500 && o.checkpointEvery == 500 && o.logEvery == 10 && o.out == nil)
        #expect(o.seed == 1234 && o.threads == nil && o.resume == nil && !o.force && o.explicitlySet.isEmpty)
        #expect(o.effectiveEpochs == 50)
    }

    @Test func everyTrainOption() throws {
        let arguments = [
            "corpus.txt", "--cell", "gru", "--layers", "3", "--hidden", "512", "--seq-length", "50",
            "--batch-size=32", "--dropout", "0.25", "--learning-rate", "1e-3", "--learning-rate-decay", "0.5",
            "--decay-after", "0", "--weight-decay", "0.01", "--clip", "0", "--val-fraction", "0.5",
            "--steps", "100", "--epochs", ".5", "--minutes", "2.5", "--eval-every", "7", "--checkpoint-every", "8",
            "--log-every", "1", "--out", "runs/x", "--seed", "18446744073709551615", "--threads", "256",
            "--resume", "runs/x/latest.safetensors", "--force",
        ]
        var expected = TrainOptions()
        expected.corpus = "corpus.txt"
        expected.cell = .gru
        expected.layers = 3
        expected.hidden = 512
        expected.seqLength = 50
        expected.batchSize = 32
        expected.dropout = 0.25
        expected.learningRate = 0.001
        expected.learningRateDecay = 0.5
        expected.decayAfter = 0
        expected.weightDecay = 0.01
        expected.clip = 0
        expected.valFraction = 0.5
        expected.steps = 100
        expected.epochs = 0.5
        expected.minutes = 2.5
        expected.evalEvery = 7
        expected.checkpointEvery = 8
        expected.logEvery = 1
        expected.out = "runs/x"
        expected.seed = .max
        expected.threads = 256
        expected.resume = "runs/x/latest.safetensors"
        expected.force = true
        expected.explicitlySet = Set(TrainOptions.command.options.map(\.name))
        #expect(try Invocation.parse(["train"] + arguments) == .train(expected))
    }

    @Test func explicitlySetRecordsOnlyGivenOptions() throws {
        guard case .train(let o) = try Invocation.parse(["train", "--hidden=256", "--steps", "5", "c.txt"]) else {
            Issue.record("not train")
            return
        }
        #expect(o.explicitlySet == ["hidden", "steps"])
        #expect(o.hidden == 256 && o.steps == 5 && o.corpus == "c.txt")
        #expect(o.effectiveEpochs == nil)
        #expect(TrainOptions.modelOptionNames.isSubset(of: Set(TrainOptions.command.options.map(\.name))))
    }

    @Test func everyGenerateOption() throws {
        var expected = GenerateOptions()
        expected.checkpoint = "m.safetensors"
        expected.prime = "-x"
        expected.length = 0
        expected.temperature = 0
        expected.topK = 40
        expected.topP = 1
        expected.seed = 0
        expected.stop = "\n\n"
        expected.threads = 1
        expected.explicitlySet = Set(GenerateOptions.command.options.map(\.name))
        let arguments = ["generate", "--checkpoint", "m.safetensors", "--prime", "-x", "--length", "0",
                         "--temperature", "0", "--top-k", "40", "--top-p", "1", "--seed", "0", "--stop", "\n\n",
                         "--threads", "1"]
        #expect(try Invocation.parse(arguments) == .generate(expected))
    }

    @Test(arguments: [
        (["--prime=-x"], "-x"), (["--prime", "--length"], "--length"), (["--prime", ""], ""), (["--prime="], ""),
        (["--prime=a=b"], "a=b"), (["--prime", "ROMEO: 👋 ñ"], "ROMEO: 👋 ñ"), (["--prime", "--"], "--"),
    ])
    func primeTakesAnyText(arguments: [String], prime: String) throws {
        var expected = GenerateOptions()
        expected.prime = prime
        expected.explicitlySet = ["prime"]
        #expect(try Invocation.parse(["generate"] + arguments) == .generate(expected))
    }

    @Test func evalInfoBench() throws {
        var eval = EvalOptions(file: "-", checkpoint: "c")
        eval.json = true
        eval.threads = 2
        eval.explicitlySet = ["checkpoint", "json", "threads"]
        #expect(try Invocation.parse(["eval", "--json", "-", "--threads=2", "--checkpoint", "c"]) == .eval(eval))

        var info = InfoOptions(path: "--json")
        info.explicitlySet = []
        #expect(try Invocation.parse(["info", "--", "--json"]) == .info(info))
        info = InfoOptions(path: "runs")
        info.json = true
        info.explicitlySet = ["json"]
        #expect(try Invocation.parse(["info", "runs", "--json"]) == .info(info))

        var bench = BenchOptions()
        bench.corpus = "c.txt"
        bench.config = .m
        bench.cell = .rnn
        bench.seconds = 3600
        bench.threads = 3
        bench.dropout = 0.5
        bench.json = true
        bench.explicitlySet = ["config", "cell", "seconds", "threads", "dropout", "json"]
        let arguments = ["bench", "--config=M", "--cell", "rnn", "--seconds", "3600", "--threads", "3",
                         "--dropout", "0.5", "--json", "c.txt"]
        #expect(try Invocation.parse(arguments) == .bench(bench))
        #expect(BenchOptions.Config.allCases.map(\.rawValue) == ["S", "M", "L", "all"])
    }

    @Test func doubleDashEndsOptions() throws {
        var expected = TrainOptions()
        expected.corpus = "--hidden"
        #expect(try Invocation.parse(["train", "--", "--hidden"]) == .train(expected))
        expected.corpus = "-"
        #expect(try Invocation.parse(["train", "-"]) == .train(expected))
    }
}
