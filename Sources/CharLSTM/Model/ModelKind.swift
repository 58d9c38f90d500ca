/// What a model reads and predicts: text (characters in, a distribution over the next one out) or a numeric
/// series (values in, the next values out).
public enum ModelKind: String, Equatable, Sendable, CaseIterable {
    case text, series

    /// The kind of a model that has `series` facts (a series model) or none (text).
    init(series: SeriesScaling?) { self = series == nil ? .text : .series }

    /// `a text model`, `a series model`.
    var described: String { "a \(rawValue) model" }

    /// The unit of its losses in a checkpoint's metadata names (`val_bpc`, `val_rmse`): bits per character, or the
    /// root mean squared error in the series' units.
    package var lossKey: String {
        switch self {
        case .text: "bpc"
        case .series: "rmse"
        }
    }
}
