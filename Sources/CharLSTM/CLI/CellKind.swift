/// The recurrent cell of a model, as named on the command line and in checkpoints (`"cell"`).
public enum CellKind: String, CaseIterable, Equatable, Hashable, Sendable {
    case lstm
    case gru
    case rnn
}
