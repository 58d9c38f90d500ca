/// The one error type of the CharLSTM library.
///
/// Every failure the library can meet (a bad option, an unreadable corpus, a damaged checkpoint, a full disk)
/// is thrown as a `CharLSTMError`. The library never prints and never exits: the entry point prints
/// `error: <message>` on stderr and exits with ``exitCode`` (the BSD `sysexits.h` codes, all below 128).
public struct CharLSTMError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What kind of failure this is; it decides the exit code.
    public enum Kind: Equatable, Sendable {
        /// Bad command line: unknown option, missing or malformed value, value out of range. Exit 64.
        case usage
        /// Input data that cannot be used: invalid UTF-8, a too-short corpus, a damaged checkpoint. Exit 65.
        case invalidData
        /// A file that should exist does not, or cannot be opened for reading. Exit 66.
        case noInput
        /// The request cannot be carried out with these resources (e.g. a model too large for memory). Exit 69.
        case unavailable
        /// An output file or folder cannot be created. Exit 73.
        case cannotCreate
        /// A read or write failed part way (disk full, I/O error). Exit 74.
        case io
        /// The request conflicts with existing state (e.g. a model option that differs from the checkpoint). Exit 78.
        case conflict
        /// Another process holds what the request needs, for now (a run folder being trained). Exit 75.
        case busy
        /// Training produced a non-finite loss. Exit 70.
        case diverged
    }

    public let kind: Kind
    /// One line, without the `error: ` prefix.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The process exit code for this error (sysexits.h), always in 64...78.
    public var exitCode: Int32 {
        switch kind {
        case .usage: 64
        case .invalidData: 65
        case .noInput: 66
        case .unavailable: 69
        case .diverged: 70
        case .cannotCreate: 73
        case .io: 74
        case .busy: 75
        case .conflict: 78
        }
    }

    public static func usage(_ message: String) -> CharLSTMError { .init(.usage, message) }
    public static func invalidData(_ message: String) -> CharLSTMError { .init(.invalidData, message) }
    public static func noInput(_ message: String) -> CharLSTMError { .init(.noInput, message) }
    public static func cannotCreate(_ message: String) -> CharLSTMError { .init(.cannotCreate, message) }
    public static func io(_ message: String) -> CharLSTMError { .init(.io, message) }
    public static func conflict(_ message: String) -> CharLSTMError { .init(.conflict, message) }
    public static func unavailable(_ message: String) -> CharLSTMError { .init(.unavailable, message) }
    public static func busy(_ message: String) -> CharLSTMError { .init(.busy, message) }
}
