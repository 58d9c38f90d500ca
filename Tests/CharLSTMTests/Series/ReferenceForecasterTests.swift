import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The double-precision twin of ``SeriesForecaster``, straight from its definition: difference each column over the
/// lag, standardise it with the training statistics, run the recurrent layers (``ReferenceModel/runLayers``) and the
/// linear head from the zero state, and add each predicted change back to the value `lag` steps earlier; a multi-step
/// forecast feeds each predicted row back as the next input.
struct ReferenceForecaster {
    let model: ReferenceModel
    let scaling: SeriesScaling

    private var F: Int { scaling.columns.count }

    /// The model's standardised inputs for the rows of `values` (row-major, F columns): [rows − lag][F].
    private func inputs(_ values: [Double]) -> [[Double]] {
        let n = values.count / F, lag = scaling.lag
        return (lag..<n).map { t in
            (0..<F).map { j in (values[t * F + j] - (lag > 0 ? values[(t - lag) * F + j] : 0) - scaling.mean[j]) / scaling.deviation[j] }
        }
    }

    /// The head's output for a top-layer state: W_dec · h + b_dec.
    private func head(_ h: [Double]) -> [Double] {
        let W = model.params["decoder.weight"]!, b = model.params["decoder.bias"]!, H = model.config.hidden
        return (0..<F).map { j in b[j] + (0..<H).reduce(0) { $0 + W[j * H + $1] * h[$1] } }
    }

    /// The standardised predictions after each of `rows`, from the zero state, and the final states.
    private func run(_ rows: [[Double]], h0: [[[Double]]]? = nil, c0: [[[Double]]]? = nil)
        -> (predictions: [[Double]], h: [[[Double]]], c: [[[Double]]]) {
        let L = model.config.layers, H = model.config.hidden
        let zero = [[[Double]]](repeating: [[Double](repeating: 0, count: H)], count: L)
        let out = model.runLayers(rows.map { [$0] }, T: rows.count, B: 1, h0: h0 ?? zero, c0: c0 ?? zero)
        return (out.outputs.map { head($0[0]) }, out.h, out.c)
    }

    /// The next `steps` values of the series column after `table`'s rows.
    func forecast(_ table: SeriesTable, steps: Int) -> [Double] {
        var values = table.values, (predictions, h, c) = run(inputs(table.values))
        var row = predictions.last!, forecasts: [Double] = []
        for k in 0..<steps {
            let n = values.count / F
            for j in 0..<F {
                values.append(row[j] * scaling.deviation[j] + scaling.mean[j] + (scaling.lag > 0 ? values[(n - scaling.lag) * F + j] : 0))
            }
            forecasts.append(values[n * F])
            guard k < steps - 1 else { break }
            let next = run([row], h0: h, c0: c)
            (row, h, c) = (next.predictions[0], next.h, next.c)
        }
        return forecasts
    }

    /// The one-step-ahead predictions of the series column for table rows `warmup..<count`.
    func oneStepAhead(_ table: SeriesTable, warmup: Int) -> [Double] {
        let predictions = run(inputs(table.values)).predictions, lag = scaling.lag
        return (warmup..<table.count).map { r in
            predictions[r - lag - 1][0] * scaling.deviation[0] + scaling.mean[0] + (lag > 0 ? table.values[(r - lag) * F] : 0)
        }
    }
}

@Suite struct ReferenceForecasterTests {
    /// A seasonal series with a trend, `y`, and an input `u` that leads it.
    static func csv(rows: Int = 240) -> String {
        "t,y,u\n" + (0..<rows).map { t in
            let u = cos(Double(t) / 3)
            return "\(t),\(0.05 * Double(t) + sin(2 * Double.pi * Double(t) / 12) + 0.3 * u),\(u)"
        }.joined(separator: "\n") + "\n"
    }

    /// A forecaster trained a few steps (2 layers of 8, so that the weights are not those of initialisation).
    static func forecaster(difference: Int?, inputs: [String]?, in folder: TemporaryFolder) throws -> (SeriesForecaster, SeriesTable) {
        let path = folder.file("s.csv", Array(csv().utf8))
        var configuration = TrainingRun.Configuration(corpus: path, folder: folder.path + "/run")
        configuration.hidden = 8
        configuration.layers = 2
        configuration.threads = 1
        configuration.learningRate = 0.01
        let run = try TrainingRun(configuration, series: SeriesSource(column: "y", difference: difference, inputs: inputs))
        let outcome = try run.train(budget: .steps(20))
        let forecaster = try SeriesForecaster(model: Checkpoint.load(path: outcome.latest).seriesModel())
        return (forecaster, try SeriesTable.load(path: path, columns: forecaster.scaling.columns))
    }

    /// Lags 0, 1 and a season (12), with and without an extra input column: the fast forecaster's multi-step forecasts
    /// and one-step-ahead errors are the reference's, to float precision.
    @Test(arguments: [(0, false), (1, false), (12, false), (0, true), (12, true)])
    func theForecasterMatchesItsDoublePrecisionTwin(lag: Int, withInput: Bool) throws {
        let folder = TemporaryFolder()
        let (forecaster, table) = try Self.forecaster(difference: lag > 0 ? lag : nil, inputs: withInput ? ["u"] : nil, in: folder)
        #expect(forecaster.scaling.lag == lag && forecaster.scaling.columns.count == (withInput ? 2 : 1))
        let reference = ReferenceForecaster(model: ReferenceModel(forecaster.model.makeNetwork()), scaling: forecaster.scaling)
        let history = table.rows(0..<200)
        let fast = try forecaster.forecast(history, steps: 24), slow = reference.forecast(history, steps: 24)
        for (k, (a, b)) in zip(fast, slow).enumerated() {
            #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "step \(k + 1): \(a) against \(b)")
        }
        // The backtest holds out the last 40 values and forecasts them from the 200 before.
        let backtest = try forecaster.backtest(table, holdout: 40, season: 12)
        let slowBacktest = reference.forecast(history, steps: 40), held = table.rows(200..<240).column(0)
        #expect(backtest.actual == held && backtest.score.count == 40)
        let backtestRMSE = (zip(slowBacktest, held).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 40).squareRoot()
        #expect(abs(backtest.score.rmse - backtestRMSE) <= 1e-4 * max(1, backtestRMSE), "\(backtest.score.rmse) against \(backtestRMSE)")
        let warmup = 30
        let evaluation = try forecaster.evaluate(table, warmup: warmup, season: 12)
        let predictions = reference.oneStepAhead(table, warmup: warmup)
        let errors = predictions.indices.map { predictions[$0] - table.values[(warmup + $0) * table.columns.count] }
        let rmse = (errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)).squareRoot()
        #expect(evaluation.count == errors.count)
        #expect(abs(evaluation.rmse - rmse) <= 1e-4 * max(1, rmse), "\(evaluation.rmse) against \(rmse)")
        // The baselines: the previous value, and the value one season earlier.
        let naive = (warmup..<table.count).map { table.values[($0 - 1) * table.columns.count] - table.values[$0 * table.columns.count] }
        let naiveRMSE = (naive.map { $0 * $0 }.reduce(0, +) / Double(naive.count)).squareRoot()
        #expect(abs(evaluation.naiveRMSE - naiveRMSE) <= 1e-12 * max(1, naiveRMSE))
        let seasonal = (warmup..<table.count).map { table.values[($0 - 12) * table.columns.count] - table.values[$0 * table.columns.count] }
        let seasonalRMSE = (seasonal.map { $0 * $0 }.reduce(0, +) / Double(seasonal.count)).squareRoot()
        #expect(abs((evaluation.seasonalNaiveRMSE ?? .nan) - seasonalRMSE) <= 1e-12 * max(1, seasonalRMSE))
    }
}
