/// The one error type of the CharLSTM library.
///
/// Every failure the library can meet (a bad option, an unreadable corpus, a damaged checkpoint, a full disk)
/// is thrown as a `CharLSTMError`. The library never prints and never exits: the entry point prints
/// `error: <message>` on stderr and exits with ``exitCode`` (the BSD `sysexits.h` codes, all below 128).
///
/// A message states facts. Where it names a setting (one to lower, or one that conflicts with a checkpoint) it names
/// it as a ``Setting``: ``message`` spells it as the library's property (`batchSize`), and a front end spells it its
/// own way with ``message(naming:)`` (the command line: `--batch-size`). ``reason`` says, for the failures a front
/// end may want to answer with advice of its own, what was found.
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

    /// A failure a front end may answer with advice of its own (the command line names the command to use).
    public enum Reason: Equatable, Sendable {
        /// The checkpoint holds a model of another kind than the operation needs.
        case wrongModelKind(found: ModelKind, needed: ModelKind)
    }

    /// What kind of failure this is (and so the exit code).
    public let kind: Kind
    /// The message, its settings marked (see ``Message``).
    let text: Message
    /// What was found, for the failures that have a structured form; nil for the others.
    public let reason: Reason?

    package init(_ kind: Kind, _ message: Message, reason: Reason? = nil) {
        self.kind = kind
        text = message
        self.reason = reason
    }

    /// One line, without the `error: ` prefix, settings named as the library's properties (``Setting/name``).
    public var message: String { text.rendered { $0.name } }

    /// The message with every setting it names spelled by `name` (e.g. as a command-line flag).
    public func message(naming name: (Setting) -> String) -> String { text.rendered(name) }

    public var description: String { message }

    /// Errors are equal when they are of one kind, read the same (settings named by the library) and give one reason.
    public static func == (a: CharLSTMError, b: CharLSTMError) -> Bool {
        a.kind == b.kind && a.message == b.message && a.reason == b.reason
    }

    /// This error with `suffix` after its message (e.g. what was kept when a save failed).
    func adding(_ suffix: Message) -> CharLSTMError { CharLSTMError(kind, text + suffix, reason: reason) }

    /// This error with `prefix` before its message (e.g. the file it concerns).
    func prefixed(_ prefix: Message) -> CharLSTMError { CharLSTMError(kind, prefix + text, reason: reason) }

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

    package static func usage(_ message: Message) -> CharLSTMError { .init(.usage, message) }
    package static func invalidData(_ message: Message) -> CharLSTMError { .init(.invalidData, message) }
    package static func noInput(_ message: Message) -> CharLSTMError { .init(.noInput, message) }
    package static func cannotCreate(_ message: Message) -> CharLSTMError { .init(.cannotCreate, message) }
    package static func io(_ message: Message) -> CharLSTMError { .init(.io, message) }
    package static func conflict(_ message: Message) -> CharLSTMError { .init(.conflict, message) }
    package static func unavailable(_ message: Message) -> CharLSTMError { .init(.unavailable, message) }
    package static func busy(_ message: Message) -> CharLSTMError { .init(.busy, message) }
}

extension CharLSTMError {
    /// A message whose settings are marked, so that each front end can name them its own way: written as a string
    /// literal, with `\(setting: .batchSize)` where it names a setting and `\(error)` where it quotes another error.
    package struct Message: Equatable, Sendable, ExpressibleByStringInterpolation {
        /// Text, and settings between the marks `\u{1}` and `\u{2}` (characters no message holds otherwise).
        private var marked: String

        package init(stringLiteral value: String) { marked = Self.unmarked(value) }

        package init(stringInterpolation: Interpolation) { marked = stringInterpolation.marked }

        /// Plain text, as it is.
        package init(_ text: String) { marked = Self.unmarked(text) }

        package struct Interpolation: StringInterpolationProtocol {
            var marked = ""
            package init(literalCapacity: Int, interpolationCount: Int) { marked.reserveCapacity(literalCapacity) }
            package mutating func appendLiteral(_ literal: String) { marked += unmarked(literal) }
            package mutating func appendInterpolation<T>(_ value: T) { marked += unmarked("\(value)") }
            /// A setting, named by whoever renders the message.
            package mutating func appendInterpolation(setting: Setting) { marked += "\u{1}\(setting.rawValue)\u{2}" }
            /// Another error's message, its settings still marked.
            package mutating func appendInterpolation(_ error: CharLSTMError) { marked += error.text.marked }
            /// A message made elsewhere (a list of settings), its settings still marked.
            package mutating func appendInterpolation(_ message: Message) { marked += message.marked }
            private func unmarked(_ text: String) -> String { Message.unmarked(text) }
        }

        /// The text with every setting named by `name`. O(length).
        func rendered(_ name: (Setting) -> String) -> String {
            guard marked.contains("\u{1}") else { return marked }
            var out = "", rest = marked[...]
            while let open = rest.firstIndex(of: "\u{1}"), let close = rest[open...].firstIndex(of: "\u{2}") {
                out += rest[..<open]
                let raw = String(rest[rest.index(after: open)..<close])
                out += Setting(rawValue: raw).map(name) ?? raw
                rest = rest[rest.index(after: close)...]
            }
            return out + rest
        }

        /// `a` followed by `b`.
        package static func + (a: Message, b: Message) -> Message {
            var joined = a
            joined.marked += b.marked
            return joined
        }

        /// `text` with any stray mark removed, so that quoted input cannot pose as a setting.
        private static func unmarked(_ text: String) -> String {
            text.contains(where: { $0 == "\u{1}" || $0 == "\u{2}" }) ? String(text.filter { $0 != "\u{1}" && $0 != "\u{2}" }) : text
        }
    }

    /// A setting of a training run, forecast or inspection that a message may name: the
    /// ``TrainingRun/Configuration`` property (or the parameter) of that name.
    public enum Setting: String, Sendable, CaseIterable {
        case corpus, folder, resume, initFrom, patience, overwrite, threads
        case cell, layers, hidden, dropout, sequenceLength, batchSize, validationFraction, validationCharacters
        case learningRate, learningRateSchedule, warmupSteps, learningRateDecay, decayAfter, weightDecay, clip, seed
        case allowChangedCorpus, evaluateEvery, checkpointEvery, logEvery
        /// Series: the column of the series, further input columns, differencing, gap filling.
        case column, inputs, difference, gaps
        /// Inspection: most characters inspected.
        case maximumCharacters
        /// Evaluation and inspection: what to do with characters the model lacks (``UnknownCharacters``).
        case unknownCharacters

        /// The name the library's messages use: the property's (`gaps = .interpolate` for the gap policy that helps).
        public var name: String {
            switch self {
            case .gaps: "gaps = .interpolate"
            case .unknownCharacters: "unknown: .skip or .replace(_:)"
            default: rawValue
            }
        }
    }
}
