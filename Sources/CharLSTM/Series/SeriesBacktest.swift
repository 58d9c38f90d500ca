/// A multi-step forecast scored on held-out values, beside the two forecasts any series model must beat: the naive
/// one (the last value of the history repeated) and, with a season, the seasonal-naive one (the history's last
/// season repeated). What `charlstm forecast --holdout N --season S` reports; errors in the series' units.
public struct SeriesBacktest: Equatable, Sendable {
    /// Held-out values scored: those the forecast reaches.
    public var count: Int
    /// Root mean squared and mean absolute error of the forecast.
    public var rmse: Double, mae: Double
    /// RMSE of the naive forecast.
    public var naiveRMSE: Double
    /// The season the seasonal-naive forecast repeats, if one was given.
    public var season: Int?
    /// RMSE of the seasonal-naive forecast; nil without a season, or when the history is shorter than one.
    public var seasonalNaiveRMSE: Double?

    /// Scores `forecast` against `actual` (the held-out values after `history`, the series' values before them),
    /// over the first min(forecast, actual) values. Throws `.usage` for an empty history or a season below 1. O(n).
    public init(forecast: [Double], actual: [Double], history: [Double], season: Int? = nil) throws(CharLSTMError) {
        guard let last = history.last else { throw .usage("a backtest needs at least one value of history") }
        if let season, season < 1 { throw .usage("the season must be at least 1, got \(season)") }
        let n = min(forecast.count, actual.count)
        var model = ErrorSums(), naive = ErrorSums(), seasonal = ErrorSums()
        for k in 0..<n {
            model.add(forecast[k] - actual[k])
            naive.add(last - actual[k])
            if let s = season, history.count >= s { seasonal.add(history[history.count - s + k % s] - actual[k]) }
        }
        count = n
        rmse = model.rmse
        mae = model.mae
        naiveRMSE = naive.rmse
        self.season = season
        seasonalNaiveRMSE = seasonal.count > 0 ? seasonal.rmse : nil
    }
}

extension SeriesForecaster {
    /// Holds out the last `holdout` rows of `table`, forecasts `steps` values (default: `holdout`) from the rows
    /// before them (the last `warmup` of them, when given) and scores the forecast (``SeriesBacktest``). Returns the
    /// forecast, the held-out values and the score. Throws `.usage` when the table is too short for the holdout and
    /// the model's lag, or for counts out of range. O((n + steps)·L·G·H²).
    public func backtest(_ table: SeriesTable, holdout: Int, steps: Int? = nil, warmup: Int? = nil,
                         season: Int? = nil) throws(CharLSTMError) -> (forecast: [Double], actual: [Double], score: SeriesBacktest) {
        guard holdout >= 1, table.count > holdout + scaling.lag else {
            throw .usage("a backtest holding out \(holdout) of \(table.count) values needs more than \(holdout + scaling.lag) of them")
        }
        let end = table.count - holdout, first = max(0, end - (warmup ?? end))
        let history = table.rows(first..<end), actual = table.rows(end..<table.count).column(0)
        let forecast = try self.forecast(history, steps: steps ?? holdout)
        return (forecast, actual, try SeriesBacktest(forecast: forecast, actual: actual, history: history.column(0), season: season))
    }
}
