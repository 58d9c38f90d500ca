import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Real-valued series written into test folders.
enum TestSeries {
    /// `count` rows of `t,y` with y = sin(2πt / period).
    static func sine(count: Int = 400, period: Double = 25) -> String {
        "t,y\n" + (0..<count).map { "\($0),\(sin(2 * Double.pi * Double($0) / period))" }.joined(separator: "\n") + "\n"
    }

    @discardableResult
    static func write(_ text: String, _ name: String = "series.csv", in folder: TemporaryFolder) -> String {
        folder.file(name, Array(text.utf8))
    }

    /// A small, fast series model: one layer of 16, one thread.
    static let tinyModel = ["--hidden", "16", "--threads", "1", "--learning-rate", "0.01"]
}

@Suite struct SeriesTrainingTests {
    /// A sine wave is learnt to a small fraction of its amplitude, far below the naive forecast's error, and the
    /// multi-step forecast of a held-out period follows it.
    @Test func overfitsASineWave() throws {
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(), in: folder)
        let run = Tool.run(["train", csv, "--column", "y", "--out", folder.path + "/run", "--steps", "300", "--eval-every", "100"]
            + TestSeries.tinyModel)
        #expect(run.code == 0, "\(run)")
        let checkpoint = try Checkpoint.load(path: folder.path + "/run/latest.safetensors")
        let forecaster = try SeriesForecaster(model: checkpoint.seriesModel())
        let table = try SeriesTable.load(path: csv, columns: ["y"])
        let result = try forecaster.evaluate(table, warmup: 32)
        #expect(result.rmse < 0.02, "one-step RMSE \(result.rmse) on a sine of amplitude 1")
        #expect(result.rmse < result.naiveRMSE / 20)
        #expect(result.count == 368)
        let future = try forecaster.forecast(table.rows(0..<375), steps: 25)
        let actual = table.rows(375..<400).column(0)
        let rmse = (zip(future, actual).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 25).squareRoot()
        #expect(rmse < 0.05, "25-step forecast RMSE \(rmse)")
        // metrics.csv in series units, and the loss plot drawn.
        let rows = try MetricsLog.read(path: folder.path + "/run/metrics.csv", header: MetricsLog.seriesHeader)
        #expect(rows.last?.step == 300 && rows.last?.validationLoss != nil)
        #expect(String(decoding: folder.contents("run/loss.svg") ?? [], as: UTF8.self).contains("RMSE (series units)"))
    }

    /// With no budget, validation interval or patience given, a series run validates every
    /// `SeriesDefaults.evaluateEvery` steps and stops after `SeriesDefaults.patience` validations without a new
    /// best, well before its step budget, when it has stopped learning: here on noise, which has nothing to learn.
    @Test func aSeriesRunStopsEarlyByDefault() throws {
        let folder = TemporaryFolder()
        var rng = RandomGenerator(seed: 7)
        let noise = "t,y\n" + (0..<400).map { "\($0),\(Double(rng.next() % 10_000) / 10_000)" }.joined(separator: "\n") + "\n"
        let csv = TestSeries.write(noise, in: folder)
        let run = Tool.run(["train", csv, "--column", "y", "--out", folder.path + "/run"] + TestSeries.tinyModel)
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("stopped early at step") && run.out.contains("(--patience \(SeriesDefaults.patience))"), "\(run.out)")
        let rows = try MetricsLog.read(path: folder.path + "/run/metrics.csv", header: MetricsLog.seriesHeader)
        let validated = rows.filter { $0.validationLoss != nil }.map(\.step)
        #expect(validated.allSatisfy { $0 % SeriesDefaults.evaluateEvery == 0 }, "\(validated)")
        let last = try #require(rows.last?.step)
        #expect(last < SeriesDefaults.steps && validated.count > SeriesDefaults.patience, "stopped at \(last)")
    }

    /// The same file, checkpoint and options give the same numbers, and forecasting is streamed as CSV.
    @Test func forecastsAreDeterministic() throws {
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        let train = Tool.run(["train", csv, "--column", "y", "--out", folder.path + "/run", "--steps", "20", "--difference", "1"]
            + TestSeries.tinyModel)
        #expect(train.code == 0, "\(train)")
        let arguments = ["forecast", csv, "--checkpoint", folder.path + "/run", "--steps", "30", "--holdout", "10", "--season", "25",
                         "--plot", folder.path + "/f.svg"]
        // The second replaces the first's plot, which takes --force.
        let a = Tool.run(arguments + ["--threads", "1"]), b = Tool.run(arguments + ["--threads", "2", "--force"])
        #expect(a.code == 0 && b.code == 0, "\(a)\n\(b)")
        #expect(a.out == b.out)
        let lines = a.out.split(separator: "\n")
        #expect(lines.first == "step,y,actual" && lines.count == 31)
        #expect(lines[10].hasPrefix("10,") && !lines[10].hasSuffix(",") && lines[11].hasSuffix(","))
        #expect(a.err.hasPrefix("forecast of 10 held-out values: RMSE ") && a.err.contains("seasonal naive (period 25) RMSE"))
        #expect(folder.contents("f.svg").map { String(decoding: $0, as: UTF8.self).contains("id=\"forecast\"") } == true)
    }

    /// Training in two halves with a resume gives the checkpoint of training straight through, bit for bit.
    @Test func resumingGivesBitIdenticalWeights() throws {
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(count: 300), in: folder)
        let options = ["--column", "y", "--dropout", "0.2", "--eval-every", "3", "--checkpoint-every", "5", "--cell", "gru",
                       "--batch-size", "3", "--seq-length", "10", "--difference", "1"] + TestSeries.tinyModel
        #expect(Tool.run(["train", csv, "--out", folder.path + "/straight", "--steps", "16"] + options).code == 0)
        #expect(Tool.run(["train", csv, "--out", folder.path + "/halves", "--steps", "8"] + options).code == 0)
        let rest = Tool.run(["train", csv, "--column", "y", "--resume", folder.path + "/halves", "--steps", "16", "--threads", "1"])
        #expect(rest.code == 0, "\(rest)")
        let a = try SafeTensors.load(path: folder.path + "/straight/latest.safetensors")
        let b = try SafeTensors.load(path: folder.path + "/halves/latest.safetensors")
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() { #expect(a.tensors[name] == b.tensors[name], "tensor \(name) differs") }
        for key in ["step", "epoch", "data_position", "rng_state", "training", "config", "series"] {
            #expect(a.metadata[key] == b.metadata[key], "metadata \(key) differs")
        }
        #expect(a.metadata["step"] == "16")
        // A changed file is refused on resume, as a changed text corpus is.
        let changed = TestSeries.write(TestSeries.sine(count: 301), "changed.csv", in: folder)
        Tool.expectFailure(["train", changed, "--column", "y", "--resume", folder.path + "/halves", "--steps", "20"], code: 78,
                           mentions: ["is not the corpus this run was trained on"])
        // PyTorch's names: nn.GRU(1, 16) + nn.Linear(16, 1).
        #expect(a.tensors["gru.weight_ih_l0"]?.shape == [48, 1] && a.tensors["decoder.weight"]?.shape == [1, 16])
    }

    /// Extra input columns are read beside the series and predicted with it, so that a multi-step forecast can
    /// feed them back; the checkpoint records them and a resume keeps them.
    @Test func extraInputColumns() throws {
        let folder = TemporaryFolder()
        let rows = (0..<300).map { t in "\(t),\(sin(2 * Double.pi * Double(t) / 25)),\(cos(2 * Double.pi * Double(t) / 25))" }
        let csv = TestSeries.write("t,y,c\n" + rows.joined(separator: "\n") + "\n", in: folder)
        let run = Tool.run(["train", csv, "--column", "y", "--inputs", "c", "--out", folder.path + "/run", "--steps", "200"]
            + TestSeries.tinyModel)
        #expect(run.code == 0 && run.out.contains("column 'y' with inputs 'c'"), "\(run)")
        let checkpoint = try Checkpoint.load(path: folder.path + "/run/latest.safetensors")
        #expect(checkpoint.series?.columns == ["y", "c"] && checkpoint.config.vocabularySize == 2)
        let forecaster = try SeriesForecaster(model: checkpoint.seriesModel())
        let table = try SeriesTable.load(path: csv, columns: ["y", "c"])
        let future = try forecaster.forecast(table.rows(0..<275), steps: 25), actual = table.rows(275..<300).column(0)
        let rmse = (zip(future, actual).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 25).squareRoot()
        #expect(rmse < 0.1, "25-step forecast RMSE \(rmse)")
        Tool.expectFailure(["train", csv, "--column", "y", "--inputs", "t", "--resume", folder.path + "/run", "--steps", "210"],
                           code: 78, mentions: ["--inputs t (checkpoint: --column y --inputs c)"])
        Tool.expectFailure(["train", csv, "--column", "y", "--inputs", "y", "--out", folder.path + "/other"], code: 64,
                           mentions: ["other than --column"])
    }

    /// A stop request saves the step reached, as for text.
    @Test func aStopSavesTheLatestStep() throws {
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        var configuration = TrainingRun.Configuration(corpus: csv, folder: folder.path + "/run")
        configuration.hidden = 8
        configuration.threads = 1
        let run = try TrainingRun(configuration, series: SeriesSource(column: "y"))
        let stop = StopToken()
        let outcome = try run.train(budget: .steps(1000), stopToken: stop) { p in if p.step == 7 { stop.requestStop() } }
        #expect(outcome.reason == .stopped && outcome.step == 7)
        #expect(try Checkpoint.load(path: outcome.latest).training?.step == 7)
    }
}

@Suite struct SeriesCommandTests {
    @Test func tooShortSeriesSaysHowManyValuesItNeeds() {
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(count: 60), in: folder)
        Tool.expectFailure(["train", csv, "--column", "y", "--out", folder.path + "/r", "--seq-length", "64", "--threads", "1"],
                           code: 65, mentions: ["has 54 values", "needs 65"])
        Tool.expectFailure(["train", csv, "--column", "nope", "--out", folder.path + "/r"], code: 65,
                           mentions: ["has no column 'nope'; its columns are 't', 'y'"])
        let gap = TestSeries.write("t,y\n1,2\n2,\n3,4\n", "gap.csv", in: folder)
        Tool.expectFailure(["train", gap, "--column", "y", "--out", folder.path + "/r"], code: 65,
                           mentions: ["line 3, column 'y' has no value", "--interpolate"])
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/r"), "nothing is created before the input is checked")
        Tool.expectFailure(["train", csv, "--interpolate", "--out", folder.path + "/r"], code: 64, mentions: ["give --column"])
    }

    /// Text and series checkpoints refuse each other's commands with a clear message; eval and info describe a
    /// series checkpoint in its units.
    @Test func textAndSeriesCheckpointsRefuseEachOthersCommands() throws {
        let folder = TemporaryFolder()
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        #expect(Tool.trainTiny(corpus, out: folder.path + "/text", steps: 2).code == 0)
        #expect(Tool.run(["train", csv, "--column", "y", "--out", folder.path + "/series", "--steps", "2"] + TestSeries.tinyModel).code == 0)
        let series = folder.path + "/series", text = folder.path + "/text"
        #expect(Paths.isSeriesCheckpoint(series + "/latest.safetensors") && !Paths.isSeriesCheckpoint(text + "/latest.safetensors"),
                "generate's default checkpoint passes series models over")
        Tool.expectFailure(["generate", "--checkpoint", series, "--length", "5"], code: 78, mentions: ["holds a series model (column 'y')"])
        Tool.expectFailure(["eval", corpus, "--checkpoint", series], code: 65)  // not a CSV with column y
        Tool.expectFailure(["forecast", csv, "--checkpoint", text], code: 78, mentions: ["holds a text model, not a series model"])
        Tool.expectFailure(["eval", corpus, "--checkpoint", text, "--season", "4"], code: 64, mentions: ["apply to series models"])
        // A series run resumes from its checkpoint: on another file it is refused as any run on a changed corpus.
        Tool.expectFailure(["train", corpus, "--resume", series], code: 78, mentions: ["is not the corpus this run was trained on"])
        Tool.expectFailure(["train", csv, "--column", "y", "--resume", text], code: 78, mentions: ["holds a text model"])

        let eval = Tool.run(["eval", csv, "--checkpoint", series, "--json", "--season", "25"])
        #expect(eval.code == 0, "\(eval)")
        guard case .object(let fields)? = try? JSONValue.parse(eval.out.trimmingCharacters(in: .newlines)) else {
            Issue.record("not JSON: \(eval.out)")
            return
        }
        for key in ["rmse", "mae", "naive_rmse", "seasonal_naive_rmse", "count", "column"] { #expect(fields[key] != nil, "\(key)") }
        #expect(fields["count"]?.intValue == 200 - 32)
        // Two steps of training lose to the previous value one step ahead: said, on standard error, with what to try.
        let human = Tool.run(["eval", csv, "--checkpoint", series])
        #expect(human.code == 0 && human.out.contains("naive RMSE") && human.err.contains(EvalCommand.naiveNote), "\(human)")
        let info = Tool.run(["info", series])
        #expect(info.code == 0 && info.out.contains("series model  column 'y'") && info.out.contains("RMSE"), "\(info)")
    }

    /// Values whose statistics would overflow are refused before anything is created; values of large magnitude
    /// within the limit train into checkpoints that load, forecast and plot.
    @Test func hugeValuesAreRefusedOrTrainIntoLoadableCheckpoints() throws {
        let folder = TemporaryFolder()
        func series(_ scale: Double) -> String {
            "t,y\n" + (0..<300).map { "\($0),\(scale * sin(Double($0) / 4) * (1 + Double($0) / 300))" }.joined(separator: "\n") + "\n"
        }
        let refused = TestSeries.write(series(1e200), "refused.csv", in: folder)
        Tool.expectFailure(["train", refused, "--column", "y", "--out", folder.path + "/refused", "--steps", "3"] + TestSeries.tinyModel,
                           code: 65, mentions: ["refused.csv", "line 3, column 'y'", "larger in magnitude than 1e100"])
        #expect(!Files.exists(folder.path + "/refused"))
        for (name, scale) in [("e25", 1e25), ("e100", 1e99)] {
            let csv = TestSeries.write(series(scale), name + ".csv", in: folder)
            let run = folder.path + "/" + name
            let trained = Tool.run(["train", csv, "--column", "y", "--out", run, "--steps", "4", "--eval-every", "2"] + TestSeries.tinyModel)
            #expect(trained.code == 0, "\(trained)")
            let checkpoint = try Checkpoint.load(path: run + "/latest.safetensors")
            #expect(checkpoint.series?.deviation.allSatisfy { $0.isFinite } == true)
            #expect(SVGDocument.parse(String(decoding: folder.contents(name + "/loss.svg") ?? [], as: UTF8.self)) != nil)
            let plot = folder.path + "/" + name + ".svg"
            let forecast = Tool.run(["forecast", csv, "--checkpoint", run, "--holdout", "20", "--steps", "30", "--plot", plot])
            #expect(forecast.code == 0, "\(forecast)")
            #expect(!forecast.out.contains("nan") && !forecast.out.contains("inf"), "\(forecast.out)")
            #expect(SVGDocument.parse(String(decoding: folder.contents(name + ".svg") ?? [], as: UTF8.self)) != nil)
            let eval = Tool.run(["eval", csv, "--checkpoint", run, "--json"])
            #expect(eval.code == 0 && !eval.out.contains("null"), "\(eval)")
            #expect(Tool.run(["info", run]).code == 0)
        }
    }
}
