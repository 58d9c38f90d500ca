extension CommandLineTool {
    /// Carries out a parsed command and returns its exit code. (The lead replaces this file with the commands.)
    public static func run(_ invocation: Invocation, console: Console) throws -> Int32 {
        let name = switch invocation {
        case .help, .version: "help"
        case .train: "train"
        case .generate: "generate"
        case .eval: "eval"
        case .info: "info"
        case .bench: "bench"
        }
        throw CharLSTMError(.unavailable, "'\(name)' is not implemented yet")
    }
}
