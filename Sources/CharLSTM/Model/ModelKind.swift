/// What a model reads and predicts: text (characters in, a distribution over the next one out) or a numeric
/// series (values in, the next values out).
public enum ModelKind: String, Equatable, Sendable, CaseIterable {
    case text, series

    /// `a text model`, `a series model`.
    public var described: String { "a \(rawValue) model" }
}
