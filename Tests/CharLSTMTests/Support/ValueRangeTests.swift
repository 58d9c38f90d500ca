import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMTestSupport

/// The validation layer for numbers fed the extremes (0, −1, 2^53, 2^63 − 1, 1e19, 1e300, −1e300, NaN, ±∞, a
/// string, a missing value) in every place a number comes in: a file's field, every numeric option of every
/// command, a series CSV value, a `metrics.csv` row; and the arithmetic at the ends of the declared ranges.
@Suite struct ValueRangeTests {
    /// The extremes, as text; nil stands for a missing value.
    static var extremes: [String?] { ExtremeValues.texts }

    /// Checks a field reader's outcome: a value that `isInRange`, or one `.invalidData` line naming the field.
    private func expectValueOrRefusal<T>(_ result: Result<T, CharLSTMError>, _ isInRange: (T) -> Bool, field: String,
                                         sourceLocation: SourceLocation = #_sourceLocation) {
        switch result {
        case .success(let value):
            #expect(isInRange(value), "\(value)", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(error.kind == .invalidData, sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(field + " ") && !error.message.contains("\n"), "\(error.message)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func fileFieldsTakeOnlyNumbersInTheirRange() {
        let ranges = [ValueRange.counts, ValueRange.positiveCounts, ModelConfig.layerRange, Checkpoint.Metadata.inputRange]
        let intervals = [ValueRange.loss, ValueRange.trainingSeconds, TrainingConfig.validationFractionInterval,
                         TrainingConfig.decayAfterInterval, TrainingConfig.learningRateInterval]
        var accepted = 0
        for text in Self.extremes {
            for range in ranges {
                let result = Result { () throws(CharLSTMError) in try ValueRange.integer(text, field: "f", in: range) }
                expectValueOrRefusal(result, range.contains, field: "f")
                let json = text.map { JSONValue.number($0) }
                expectValueOrRefusal(Result { () throws(CharLSTMError) in try ValueRange.integer(json, field: "f", in: range) },
                                     range.contains, field: "f")
                if case .success = result { accepted += 1 }
            }
            for interval in intervals {
                let result = Result { () throws(CharLSTMError) in try ValueRange.real(text, field: "f", in: interval) }
                expectValueOrRefusal(result, interval.contains, field: "f")
                if case .success = result { accepted += 1 }
            }
        }
        // Other JSON types never stand for a number.
        for value: JSONValue in [.string("5"), .null, .bool(true), .array([.number("1")]), .object([:])] {
            #expect(throws: CharLSTMError.self) { try ValueRange.integer(value, field: "f", in: ValueRange.counts) }
            #expect(throws: CharLSTMError.self) { try ValueRange.real(value, field: "f", in: ValueRange.loss) }
        }
        #expect(accepted > 5, "0 lies in several of the ranges")
        let refusal = #expect(throws: CharLSTMError.self) {
            try ValueRange.integer("9223372036854775807", field: "training.adam_step", in: ValueRange.counts)
        }
        #expect(refusal?.message == "training.adam_step must be a whole number from 0 to 10^15, got \"9223372036854775807\"")
        #expect(ValueRange.quoted("a\nb\"c") == "\"a\\u{a}b\\\"c\"")
    }

    @Test func arithmeticAtTheEndsOfTheRangesIsExact() throws {
        let n = ValueRange.countLimit
        // Budgets: the largest epoch budget on the largest corpus ends at a step that is a count.
        let budget = TrainingBudget(steps: n, epochs: ValueRange.epochLimit, seconds: ValueRange.epochLimit * 60)
        #expect(budget.totalSteps(batchesPerEpoch: n) == n)
        #expect(budget.totalSteps(batchesPerEpoch: 1) == Int(ValueRange.epochLimit))
        #expect(budget.isSpent(step: n, epoch: 0, elapsed: 0) && !budget.isSpent(step: n - 1, epoch: 1e9 - 1, elapsed: 1))
        #expect(budget.secondsRemaining(elapsed: 1e12, stepsTaken: 1, stepsLeft: n)?.isFinite == true)
        // The learning rate at the end of every range.
        var config = TrainingConfig()
        config.decayAfter = ValueRange.epochLimit
        config.schedule = LearningRateSchedule(shape: .cosine, warmupSteps: LearningRateSchedule.warmupRange.upperBound)
        try config.validate()
        for epochs in [0, 1, n] {
            #expect(config.learningRate(stepsDone: n, completedEpochs: epochs, progress: 1).isFinite)
        }
        config.decayAfter = 0
        config.learningRateDecay = Float(TrainingConfig.learningRateDecayInterval.upper!)
        #expect(config.learningRate(completedEpochs: n) == config.learningRate)
        // Adam at the last count of steps, with the largest learning rate, weight decay and clip.
        let adam = Adam(learningRate: 10, weightDecay: 1000, clipNorm: 1e6)
        var moments = AdamMoments(step: n, m: FloatBuffer(count: 3), v: FloatBuffer(count: 3))
        let parameters = FloatBuffer(count: 3), gradients = FloatBuffer(count: 3)
        for i in 0..<3 { gradients.pointer[i] = Float(i) - 1 }
        adam.update(parameters: parameters, gradients: gradients, moments: &moments)
        #expect((0..<3).allSatisfy { parameters.pointer[$0].isFinite } && moments.step == n + 1)
        // A setting outside its range is refused before anything is built on it.
        for change: (inout TrainingConfig) -> Void in [{ $0.decayAfter = 1e19 }, { $0.validationFraction = 2 }, { $0.clip = .infinity },
                                                       { $0.weightDecay = 1e30 }, { $0.learningRate = 0 }, { $0.validationCharacters = -1 }] {
            var bad = TrainingConfig()
            change(&bad)
            #expect(throws: CharLSTMError.self) { try bad.validate() }
        }
        #expect(throws: CharLSTMError.self) { _ = try CorpusSplit([1, 2, 3, 4, 5], validationFraction: 2) }
    }

    @Test func seriesValuesAtTheLimitGiveFiniteStatisticsAndALoadableScaling() throws {
        for text in Self.extremes {
            let csv = "t,v\n1,1\n2,\(text ?? "")\n3,2\n"
            let result = Result { () throws(CharLSTMError) in try SeriesTable.parse(Array(csv.utf8), columns: ["v"], gaps: .refuse) }
            switch result {
            case .success(let table): #expect(table.values.allSatisfy { abs($0) <= SeriesTable.valueLimit })
            case .failure(let error): #expect(error.message.hasPrefix("line 3, column 'v'"), "\(error.message)")
            }
        }
        let limit = SeriesTable.valueLimit
        let values = (0..<200).map { i in (i % 2 == 0 ? 1.0 : -1.0) * limit * (i % 3 == 0 ? 1 : 0.5) }
        let table = try SeriesTable(columns: ["v"], values: values)
        for lag in [0, 1, 7] {
            let scaling = SeriesScaling(fitting: table, rows: 150, lag: lag)
            #expect(scaling.mean.allSatisfy { $0.isFinite } && scaling.deviation.allSatisfy { $0.isFinite && $0 > 0 })
            let loaded = try SeriesScaling(metadata: scaling.metadata, width: 1)
            #expect(loaded == scaling)
            #expect(scaling.standardize(table).allSatisfy { $0.isFinite })
            #expect(scaling.unstandardize(.greatestFiniteMagnitude, base: limit).isFinite)
        }
        // A constant training part and far-off values afterwards: standardised values stay finite.
        let far = SeriesScaling(fitting: try SeriesTable(columns: ["v"], values: [5, 5, 5, -limit, limit]), rows: 3)
        #expect(far.standardize(try SeriesTable(columns: ["v"], values: [5, 5, 5, -limit, limit])).allSatisfy { $0.isFinite })
        // Statistics beyond the limit, or not finite, are refused in a checkpoint's metadata.
        for (mean, std) in [("1e300", "1"), ("0", "0"), ("0", "-1"), ("null", "1"), ("0", "1e300"), ("\"1\"", "1")] {
            let text = "{\"columns\":[\"v\"],\"mean\":[\(mean)],\"std\":[\(std)],\"lag\":0}"
            let error = #expect(throws: CharLSTMError.self) { try SeriesScaling(metadata: text, width: 1) }
            #expect(error?.message.hasPrefix("series.") == true, "\(error?.message ?? "")")
        }
    }

    @Test func metricsRowsAtTheExtremesNeverTrapThePlot() throws {
        let good = "12,0.5,2.25,2.5,0.002,1.5,40000,12.5"
        var rows: [MetricsRow] = []
        for field in 0..<8 {
            for text in Self.extremes {
                var fields = good.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                fields[field] = text ?? ""
                guard let row = MetricsRow(csvLine: Substring(fields.joined(separator: ","))) else { continue }
                #expect(ValueRange.counts.contains(row.step))
                rows.append(row)
            }
        }
        rows += [MetricsRow(step: 20, epoch: 1, trainLoss: 1e30, validationLoss: 1e30, learningRate: 1, gradientNorm: 1, itemsPerSecond: 1,
                            elapsedSeconds: 1),
                 MetricsRow(step: 30, epoch: 1, trainLoss: 1e25, validationLoss: -1e300, learningRate: 1, gradientNorm: 1, itemsPerSecond: 1,
                            elapsedSeconds: 1)]
        for subset in [rows, Array(rows.suffix(2)), Array(rows.suffix(1)), rows.filter { $0.trainLoss > 1e20 }] {
            for unit in [LossPlot.Unit.bitsPerCharacter, .rootMeanSquaredError] {
                #expect(LossPlotTests.parse(LossPlot.svg(rows: subset, title: "extremes", unit: unit)) != nil)
            }
        }
        // Forecast plots of values at and beyond the limits, and ticks over any finite range.
        let big = LossPlot.valueLimit
        for history in [[1e25, -1e25, 3e25], [big, -big], [1e300, -1e300, .nan, .infinity], [1e-300, 2e-300], [7, 7, 7]] {
            let svg = ForecastPlot.svg(history: history, forecast: history.reversed(), actual: [history[0]], title: "t", column: "v")
            #expect(LossPlotTests.parse(svg) != nil, "\(history)")
        }
        for (lo, hi) in [(-1e308, 1e308), (0, Double.leastNonzeroMagnitude), (1e300, 1e300), (-Double.greatestFiniteMagnitude, 0), (1e22, 1e22 + 6e9)] {
            let ticks = LossPlot.Ticks(lo: lo, hi: hi)
            #expect(ticks.values.allSatisfy { $0.isFinite } && ticks.values.count <= 101, "\(lo)…\(hi)")
            #expect(ticks.values.allSatisfy { !ticks.label($0).isEmpty })
        }
        #expect(LossPlot.SVGWriter.number(1e30) == "1000000" && LossPlot.SVGWriter.number(.nan) == "0")
    }
}
