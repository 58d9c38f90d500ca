import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

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
        // Nothing given: every model and training setting is left to the library (its default, or the checkpoint's).
        #expect(o.run == TrainingRun.Configuration())
        let r = o.run
        #expect(r.corpus == nil && r.folder == nil && r.resume == nil && !r.overwrite && r.threads == nil)
        #expect(r.cell == nil && r.layers == nil && r.hidden == nil && r.dropout == nil && r.sequenceLength == nil)
        #expect(r.batchSize == nil && r.learningRate == nil && r.learningRateDecay == nil && r.decayAfter == nil)
        #expect(r.weightDecay == nil && r.clip == nil && r.validationFraction == nil && r.seed == nil)
        #expect(r.evaluateEvery == nil && r.checkpointEvery == nil && r.logEvery == nil)
        #expect(o.steps == nil && o.epochs == nil && o.minutes == nil)
        #expect(o.budget(for: .text) == TrainingBudget(epochs: 50))
        // The library's defaults for a new run.
        typealias Run = TrainingRun.Configuration
        #expect(Run.defaultCell == .lstm && Run.defaultLayers == 2 && Run.defaultHidden == 256 && Run.defaultDropout == 0)
        let t = TrainingConfig()
        #expect(t.evaluateEvery == 500 && t.checkpointEvery == 500 && t.logEvery == 10)
        #expect(t.sequenceLength == 100 && t.batchSize == 64 && t.learningRate == 0.004 && t.learningRateDecay == 0.97)
        #expect(t.decayAfter == 10 && t.weightDecay == 0 && t.clip == 5 && t.validationFraction == 0.05 && t.seed == 1234)
        #expect(t.schedule == LearningRateSchedule.standard && r.learningRateSchedule == nil && r.warmupSteps == nil)
    }

    @Test func everyTrainOption() throws {
        let arguments = [
            "corpus.txt", "--cell", "gru", "--layers", "3", "--hidden", "512", "--seq-length", "50",
            "--batch-size=32", "--dropout", "0.25", "--learning-rate", "1e-3", "--lr-schedule", "linear", "--warmup", "0",
            "--learning-rate-decay", "0.5",
            "--decay-after", "0", "--weight-decay", "0.01", "--clip", "0", "--val-fraction", "0.5",
            "--steps", "100", "--epochs", ".5", "--minutes", "2.5", "--eval-every", "7", "--checkpoint-every", "8",
            "--log-every", "1", "--out", "runs/x", "--seed", "18446744073709551615", "--threads", "256",
            "--resume", "runs/x/latest.safetensors", "--force",
        ]
        var expected = TrainOptions()
        expected.run.corpus = "corpus.txt"
        expected.run.cell = .gru
        expected.run.layers = 3
        expected.run.hidden = 512
        expected.run.sequenceLength = 50
        expected.run.batchSize = 32
        expected.run.dropout = 0.25
        expected.run.learningRate = 0.001
        expected.run.learningRateSchedule = .linear
        expected.run.warmupSteps = 0
        expected.run.learningRateDecay = 0.5
        expected.run.decayAfter = 0
        expected.run.weightDecay = 0.01
        expected.run.clip = 0
        expected.run.validationFraction = 0.5
        expected.steps = 100
        expected.epochs = 0.5
        expected.minutes = 2.5
        expected.run.evaluateEvery = 7
        expected.run.checkpointEvery = 8
        expected.run.logEvery = 1
        expected.run.folder = "runs/x"
        expected.run.seed = .max
        expected.run.threads = 256
        expected.run.resume = "runs/x/latest.safetensors"
        expected.run.overwrite = true
        #expect(try Invocation.parse(["train"] + arguments) == .train(expected))
        #expect(expected.budget(for: .text) == TrainingBudget(steps: 100, epochs: 0.5, seconds: 150))
        // Each option is bound to its own field: the table names every option once.
        let names = TrainOptions.options.map(\.spec.name)
        #expect(Set(names).count == names.count && names.count == TrainOptions.command.options.count)
    }

    @Test func optionsNotGivenStayUnset() throws {
        guard case .train(let o) = try Invocation.parse(["train", "--hidden=256", "--steps", "5", "c.txt"]) else {
            Issue.record("not train")
            return
        }
        var expected = TrainingRun.Configuration(corpus: "c.txt")
        expected.hidden = 256
        #expect(o.run == expected)
        #expect(o.budget(for: .text) == TrainingBudget(steps: 5))
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
        #expect(try Invocation.parse(["generate"] + arguments) == .generate(expected))
    }

    @Test func evalInfoBench() throws {
        var eval = EvalOptions(file: "-", checkpoint: "c")
        eval.json = true
        eval.threads = 2
        #expect(try Invocation.parse(["eval", "--json", "-", "--threads=2", "--checkpoint", "c"]) == .eval(eval))

        var info = InfoOptions(path: "--json")
        #expect(try Invocation.parse(["info", "--", "--json"]) == .info(info))
        info = InfoOptions(path: "runs")
        info.json = true
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
        expected.run.corpus = "--hidden"
        #expect(try Invocation.parse(["train", "--", "--hidden"]) == .train(expected))
        expected.run.corpus = "-"
        #expect(try Invocation.parse(["train", "-"]) == .train(expected))
    }
}
