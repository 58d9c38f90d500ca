/// The version of CharLSTM, printed by `charlstm --version`.
public enum CharLSTMVersion {
    public static let current = "0.1.0"
}
