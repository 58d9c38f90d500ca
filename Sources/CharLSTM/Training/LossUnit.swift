/// What a run's losses are measured in, and what its steps train on: bits per character of text, or the RMSE of a
/// series in its own units. A training objective has one; metrics, plots and progress take it from there.
public struct LossUnit: Equatable, Sendable {
    /// The plot's y-axis label.
    public let axis: String
    /// The short unit after a number: `bpc`, `RMSE`.
    public let short: String
    /// What a step trains on, plural: `chars`, `values`.
    public let items: String
    /// The first line of the run's `metrics.csv` (a text run's is the one older runs wrote, so they resume).
    let metricsHeader: String
    /// Whether a window of steps is summarised by the root of the mean of the squared losses (RMSE) rather than
    /// by their mean (bits per character).
    let isRootMeanSquare: Bool

    /// A text run: bits per character, characters per second.
    public static let bitsPerCharacter = LossUnit(
        axis: "bits per character", short: "bpc", items: "chars",
        metricsHeader: "step,epoch,train_bpc,val_bpc,learning_rate,grad_norm,chars_per_sec,elapsed_seconds",
        isRootMeanSquare: false)
    /// A series run: root mean squared error in the series' units, values per second.
    public static let rootMeanSquaredError = LossUnit(
        axis: "RMSE (series units)", short: "RMSE", items: "values",
        metricsHeader: "step,epoch,train_rmse,val_rmse,learning_rate,grad_norm,values_per_sec,elapsed_seconds",
        isRootMeanSquare: true)
}
