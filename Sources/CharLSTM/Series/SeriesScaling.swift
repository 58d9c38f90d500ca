/// What makes a model a series model: the CSV columns it reads (the series first, then any extra inputs) and
/// the standardisation of each, z = (x − mean) / deviation, with statistics taken from the training part of the
/// series. A series checkpoint keeps it (metadata `series`), so that forecasts and evaluations read the same
/// columns and map predictions back into the series' units.
public struct SeriesScaling: Equatable, Sendable {
    /// Column names; the first is the series forecast.
    public var columns: [String]
    /// Per column: the mean of the training values.
    public var mean: [Double]
    /// Per column: the standard deviation of the training values (1 for a constant column).
    public var deviation: [Double]

    public init(columns: [String], mean: [Double], deviation: [Double]) {
        precondition(columns.count == mean.count && columns.count == deviation.count)
        self.columns = columns
        self.mean = mean
        self.deviation = deviation
    }

    /// The statistics of the first `rows` rows of `table`. O(rows · columns).
    public init(fitting table: SeriesTable, rows: Int) {
        let F = table.columns.count, n = max(1, min(rows, table.count))
        var mean = [Double](repeating: 0, count: F), deviation = mean
        for j in 0..<F {
            var sum = 0.0
            for r in 0..<n { sum += table.values[r * F + j] }
            let m = sum / Double(n)
            var squares = 0.0
            for r in 0..<n { squares += (table.values[r * F + j] - m) * (table.values[r * F + j] - m) }
            let sd = (squares / Double(n)).squareRoot()
            mean[j] = m
            deviation[j] = sd > 1e-12 * max(1, abs(m)) ? sd : 1
        }
        self.init(columns: table.columns, mean: mean, deviation: deviation)
    }

    /// The series' name: its first column.
    public var target: String { columns[0] }

    /// Every value of `table` standardised, row-major [count, columns], as the model reads them. O(values).
    public func standardize(_ table: SeriesTable) -> [Float] {
        let F = columns.count
        return table.values.indices.map { Float((table.values[$0] - mean[$0 % F]) / deviation[$0 % F]) }
    }

    /// A standardised value of column `j` back in the series' units.
    public func unstandardize(_ z: Float, column j: Int = 0) -> Double { Double(z) * deviation[j] + mean[j] }

    /// The JSON object kept in a checkpoint's `series` metadata.
    var metadata: String {
        JSONValue.object([
            "columns": .array(columns.map { .string($0) }),
            "mean": .array(mean.map { .double($0) }),
            "std": .array(deviation.map { .double($0) }),
        ]).encoded
    }

    /// Reads ``metadata``; throws `.invalidData` unless it lists `width` columns with finite statistics.
    init(metadata text: String, width: Int) throws(CharLSTMError) {
        guard case .object(let o)? = try? JSONValue.parse(text), case .array(let names)? = o["columns"],
              case .array(let means)? = o["mean"], case .array(let deviations)? = o["std"] else {
            throw .invalidData("malformed series metadata (a JSON object with columns, mean and std)")
        }
        let columns = names.compactMap(\.stringValue), mean = means.compactMap(\.doubleValue)
        let deviation = deviations.compactMap(\.doubleValue)
        guard columns.count == width, mean.count == width, deviation.count == width,
              mean.allSatisfy(\.isFinite), deviation.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .invalidData("the series metadata must give a name, a finite mean and a positive std for each of the "
                + "\(width) inputs of the model")
        }
        self.init(columns: columns, mean: mean, deviation: deviation)
    }
}

extension Checkpoint {
    /// Whether this checkpoint holds a series model (``series`` is set) rather than a character model.
    public var isSeriesModel: Bool { series != nil }

    /// Throws `.conflict` when this is a series model, which a text command (`what`, e.g. "generate") cannot use.
    public func requireTextModel(for what: String) throws(CharLSTMError) {
        guard let series else { return }
        throw .conflict("this checkpoint holds a series model (column '\(series.target)'), not a text model: "
            + "\(what) needs a model trained on text; use 'charlstm forecast' or 'charlstm eval SERIES.csv' with it")
    }

    /// The series facts of a series model; throws `.conflict` for a text model, which a series command (`what`)
    /// cannot use.
    public func requireSeriesModel(for what: String) throws(CharLSTMError) -> SeriesScaling {
        guard let series else {
            throw .conflict("this checkpoint holds a text model, not a series model: \(what) needs a model trained with "
                + "'charlstm train SERIES.csv --column NAME'")
        }
        return series
    }
}
