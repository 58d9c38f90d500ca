/// Runs a series model over a history and forecasts past its end: what `charlstm forecast` and `charlstm eval`
/// do with a series checkpoint.
///
/// The model reads the history from the zero state, one stream, dropout off (``RecurrentNetwork/predict(_:rows:state:workspace:into:)``);
/// each forecast step feeds the previous prediction back as the next input. Same model, same history → the
/// same numbers, bit for bit.
public struct SeriesForecaster: Sendable {
    /// The model that forecasts.
    public let model: SeriesModel
    private let network: RecurrentNetwork

    /// A forecaster for a series model (``Checkpoint/seriesModel(for:)``), its products on up to `threads` threads.
    public init(model: SeriesModel, threads: Int = 1) {
        self.model = model
        network = model.makeNetwork(threads: threads)
    }

    /// The model's columns and standardisation.
    public var scaling: SeriesScaling { model.scaling }

    /// Throws `.usage` unless `table` holds the model's columns, in its order, and more than `rows` rows.
    private func check(_ table: SeriesTable, moreThan rows: Int) throws(CharLSTMError) {
        guard table.columns == scaling.columns else {
            throw .usage("the table's columns (\(table.columns.joined(separator: ", "))) are not the model's "
                + "(\(scaling.columns.joined(separator: ", ")))")
        }
        guard table.count > rows else { throw .usage("the table has \(table.count) rows, more than \(rows) are needed") }
    }

    /// Reads the history `table` (the model's columns; more than ``SeriesScaling/lag`` rows) and calls
    /// `emit(k, value)` for forecast steps k = 1…`steps` with the predicted series value in its units, as each is
    /// made. Throws `.usage` for another table or a negative `steps`, `.invalidData` for a value that is not a finite
    /// number (weights that overflow), and what `emit` throws. O((n + steps)·L·G·H²).
    public func forecast(_ table: SeriesTable, steps: Int, emit: (Int, Double) throws -> Void) throws {
        let F = scaling.columns.count, lag = scaling.lag
        try check(table, moreThan: lag)
        guard steps >= 0 else { throw CharLSTMError.usage("steps must be at least 0, got \(steps)") }
        let history = scaling.standardize(table)
        let state = RecurrentState(config: network.config, batch: 1)
        let ws = InferenceWorkspace(config: network.config, batchSize: 1)
        let prepared = network.prepareEvaluation(ws)  // once, not once per forecast step
        var predictions = [Float](repeating: 0, count: history.count), next = [Float](repeating: 0, count: F)
        history.withUnsafeBufferPointer { x in
            predictions.withUnsafeMutableBufferPointer { p in
                network.predict(x.baseAddress!, rows: history.count / F, state: state, workspace: ws, prepared: prepared,
                                into: p.baseAddress!)
            }
        }
        guard steps > 0 else { return }
        // The values so far, history then forecasts: the bases that differenced predictions are added to.
        var values = table.values
        var row = Array(predictions[(history.count - F)...])
        for k in 1...steps {
            let n = values.count / F
            for j in 0..<F { values.append(scaling.unstandardize(row[j], column: j, base: lag > 0 ? values[(n - lag) * F + j] : 0)) }
            try requireFiniteResult(values[n * F], "forecast step \(k)")
            try emit(k, values[n * F])
            guard k < steps else { break }
            row.withUnsafeBufferPointer { x in
                next.withUnsafeMutableBufferPointer { p in
                    network.predict(x.baseAddress!, rows: 1, state: state, workspace: ws, prepared: prepared, into: p.baseAddress!)
                }
            }
            swap(&row, &next)
        }
    }

    /// The forecast as an array, in the series' units. Throws as ``forecast(_:steps:emit:)`` does.
    public func forecast(_ table: SeriesTable, steps: Int) throws(CharLSTMError) -> [Double] {
        var values: [Double] = []
        do {
            try forecast(table, steps: steps) { _, v in values.append(v) }
        } catch let error as CharLSTMError {
            throw error
        } catch {
            preconditionFailure("appending to an array throws nothing")
        }
        return values
    }

    /// One-step-ahead errors over `table` after reading its first `warmup` values (more than ``SeriesScaling/lag``):
    /// each value from row `warmup`
    /// on is predicted from the values before it, and compared with the naive forecast (the previous value) and,
    /// with a `season`, the seasonal-naive forecast (the value one season before). Throws `.usage` for another
    /// table, a `warmup` of at most the lag or not below the table's rows, or a `season` below 1, and `.invalidData`
    /// for an error that is not a finite number (weights that overflow). O(n·L·G·H²).
    public func evaluate(_ table: SeriesTable, warmup: Int, season: Int? = nil) throws(CharLSTMError) -> SeriesEvaluation {
        let F = scaling.columns.count, n = table.count, lag = scaling.lag
        try check(table, moreThan: warmup)
        guard warmup > lag else { throw .usage("the warm-up must be longer than the differencing lag \(lag), got \(warmup)") }
        if let season, season < 1 { throw .usage("the season must be at least 1, got \(season)") }
        // Prediction i forecasts model row i + 1, which stands for table row i + 1 + lag.
        let predictions = SeriesPass.oneStepAhead(model: network, rows: scaling.standardize(table))
        var errors = ErrorSums(), naive = ErrorSums(), seasonal = ErrorSums()
        for r in warmup..<n {
            let actual = table.values[r * F]
            errors.add(scaling.unstandardize(predictions[(r - lag - 1) * F], base: lag > 0 ? table.values[(r - lag) * F] : 0) - actual)
            naive.add(table.values[(r - 1) * F] - actual)
            if let season, r >= season { seasonal.add(table.values[(r - season) * F] - actual) }
        }
        try requireFiniteResult(errors.rmse, "one-step-ahead error")
        return SeriesEvaluation(rmse: errors.rmse, mae: errors.mae, naiveRMSE: naive.rmse,
                                seasonalNaiveRMSE: season == nil || seasonal.count == 0 ? nil : seasonal.rmse,
                                count: errors.count, warmup: warmup)
    }
}

/// How well a series model predicts a series one step ahead: what `charlstm eval` reports on a series checkpoint.
/// Errors are in the series' units.
public struct SeriesEvaluation: Equatable, Sendable {
    /// Root mean squared error of the model's predictions.
    public var rmse: Double
    /// Mean absolute error of the model's predictions.
    public var mae: Double
    /// RMSE of the naive forecast: the previous value.
    public var naiveRMSE: Double
    /// RMSE of the seasonal-naive forecast (the value one season before), over the predictions that have one,
    /// when a season was given.
    public var seasonalNaiveRMSE: Double?
    /// Values predicted.
    public var count: Int
    /// Values read before the first prediction.
    public var warmup: Int
}

/// Running sums of errors, for RMSE and MAE.
struct ErrorSums {
    private(set) var count = 0
    private var squares = 0.0, absolutes = 0.0

    mutating func add(_ error: Double) {
        count += 1
        squares += error * error
        absolutes += abs(error)
    }

    var rmse: Double { (squares / Double(max(count, 1))).squareRoot() }
    var mae: Double { absolutes / Double(max(count, 1)) }
}
