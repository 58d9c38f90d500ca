/// What makes a model a series model: the CSV columns it reads (the series first, then any extra inputs), an
/// optional differencing, and the standardisation of each column, with statistics taken from the training part
/// of the series. A series checkpoint keeps it (metadata `series`), so that forecasts and evaluations read the
/// same columns and map predictions back into the series' units.
///
/// The model reads and predicts rows of z = (d − mean) / deviation, where d is the value itself (``lag`` 0) or
/// its change over ``lag`` steps, d_t = x_t − x_{t−lag} (1: first differences, the season's length: seasonal
/// differences). A prediction d̂_t of a differenced series becomes x̂_t = d̂_t + x_{t−lag}.
public struct SeriesScaling: Equatable, Sendable {
    /// Column names; the first is the series forecast.
    public private(set) var columns: [String]
    /// Per column: the mean of the training values (of their differences when ``lag`` > 0).
    public private(set) var mean: [Double]
    /// Per column: their standard deviation (1 for a constant column).
    public private(set) var deviation: [Double]
    /// Steps over which the model sees changes; 0: it sees the values themselves.
    public private(set) var lag: Int

    /// Longest differencing lag accepted.
    package static let lagRange = 0...100_000

    /// The scaling of `columns` (at least one; distinct, non-empty names) with these statistics, one a column: each
    /// mean within ±``statisticLimit``, each deviation in (0, ``statisticLimit``], the lag in ``lagRange``, as a
    /// checkpoint's are checked. Throws `.usage` otherwise.
    init(columns: [String], mean: [Double], deviation: [Double], lag: Int = 0) throws(CharLSTMError) {
        guard !columns.isEmpty, mean.count == columns.count, deviation.count == columns.count,
              !columns.contains(""), Set(columns).count == columns.count else {
            throw .usage("a series scaling takes distinct, non-empty column names and one mean and one deviation a "
                + "column: \(columns.count) columns, \(mean.count) means, \(deviation.count) deviations")
        }
        let limit = Self.statisticLimit
        guard mean.allSatisfy({ abs($0) <= limit }), deviation.allSatisfy({ $0 > 0 && $0 <= limit }),
              Self.lagRange.contains(lag) else {
            throw .usage("a series scaling needs means within ±\(limit), deviations in (0, \(limit)] and a lag in "
                + "\(Self.lagRange.lowerBound)...\(Self.lagRange.upperBound)")
        }
        self.init(fitted: columns, mean: mean, deviation: deviation, lag: lag)
    }

    /// A scaling whose statistics its caller guarantees (fitted, or read from a checked checkpoint).
    init(fitted columns: [String], mean: [Double], deviation: [Double], lag: Int) {
        precondition(columns.count == mean.count && columns.count == deviation.count && lag >= 0)
        self.columns = columns
        self.mean = mean
        self.deviation = deviation
        self.lag = lag
    }

    /// The statistics of the first `rows` rows of `table` (their differences over `lag` steps when `lag` > 0).
    /// O(rows · columns).
    init(fitting table: SeriesTable, rows: Int, lag: Int = 0) {
        let F = table.columns.count, d = Self.differences(table.values, width: F, lag: lag)
        let n = max(1, min(rows, table.count) - lag)
        var mean = [Double](repeating: 0, count: F), deviation = mean
        for j in 0..<F {
            var sum = 0.0
            for r in 0..<n { sum += d[r * F + j] }
            let m = sum / Double(n)
            var squares = 0.0
            for r in 0..<n { squares += (d[r * F + j] - m) * (d[r * F + j] - m) }
            let sd = (squares / Double(n)).squareRoot()
            mean[j] = m
            deviation[j] = sd > 1e-12 * max(1, abs(m)) ? sd : 1
        }
        self.init(fitted: table.columns, mean: mean, deviation: deviation, lag: lag)
    }

    /// x_t − x_{t−lag} for t ≥ lag (the values themselves for lag 0), row-major. O(values).
    static func differences(_ values: [Double], width F: Int, lag: Int) -> [Double] {
        guard lag > 0 else { return values }
        return values.count > lag * F ? (lag * F..<values.count).map { values[$0] - values[$0 - lag * F] } : []
    }

    /// The series' name: its first column.
    public var target: String { columns[0] }

    /// The rows the model reads for `table`: its values, differenced over ``lag`` steps and standardised,
    /// row-major [count − lag, columns]. Row i stands for row i + lag of the table. A value further than
    /// ``standardizedLimit`` deviations from the mean (one far outside what the model was trained on) is read as
    /// that far: every cell saturates long before, and the model's arithmetic stays finite. O(values).
    func standardize(_ table: SeriesTable) -> [Float] {
        let F = columns.count, d = Self.differences(table.values, width: F, lag: lag), limit = Self.standardizedLimit
        return d.indices.map { Float(min(limit, max(-limit, (d[$0] - mean[$0 % F]) / deviation[$0 % F]))) }
    }

    /// The most standard deviations from the mean a standardised value is: 10^18. Its square, and the model's
    /// squared errors, stay finite in `Float` arithmetic.
    static let standardizedLimit = 1e18

    /// A model output for column `j` back in the series' units: the value itself, or, when the model sees
    /// differences, the change added to `base`, the value ``lag`` steps before.
    func unstandardize(_ z: Float, column j: Int = 0, base: Double = 0) -> Double {
        Double(z) * deviation[j] + mean[j] + (lag > 0 ? base : 0)
    }

    /// The JSON object kept in a checkpoint's `series` metadata.
    var metadata: String {
        JSONValue.object([
            "columns": .array(columns.map { .string($0) }),
            "mean": .array(mean.map { .double($0) }),
            "std": .array(deviation.map { .double($0) }), "lag": .int(lag),
        ]).encoded
    }
}
