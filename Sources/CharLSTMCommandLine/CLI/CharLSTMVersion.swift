import CharLSTM
/// The version of CharLSTM, printed by `charlstm --version`.
enum CharLSTMVersion {
    static let current = "0.1.0"
}
