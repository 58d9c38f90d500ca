import CharLSTM
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Somewhere text goes: standard output, standard error, or memory in tests.
///
/// The library never prints; commands write to the sinks of the ``Console`` they are given.
protocol TextSink: AnyObject, Sendable {
    /// Appends `text`; may keep it in a buffer until ``flush()``.
    func write(_ text: String) throws
    /// Hands all buffered text on.
    func flush() throws
    /// Whether the sink is an interactive terminal (progress lines with `\r` make sense only there).
    var isTerminal: Bool { get }
}

/// Thrown by ``FileDescriptorSink`` when the reader has gone away (`EPIPE`), e.g. `charlstm generate | head`.
///
/// It is not a failure of the program: the entry point ends quietly with exit code 0.
struct BrokenPipe: Error, Equatable, Sendable {
    init() {}
}

/// A buffered sink over a POSIX file descriptor, written with `write(2)`.
///
/// Writes are retried on `EINTR`, partial writes are continued, `EAGAIN` waits with `poll(2)`.
/// `EPIPE` throws ``BrokenPipe``; any other failure throws `CharLSTMError(.io, ...)`.
/// The caller must ignore `SIGPIPE` (the executable does), or `EPIPE` kills the process instead.
final class FileDescriptorSink: TextSink {
    /// The descriptor written to; not closed by the sink.
    let fileDescriptor: Int32
    /// Bytes kept before a write reaches the descriptor; 0 writes through.
    let bufferCapacity: Int
    let isTerminal: Bool
    private let buffer = Mutex<[UInt8]>([])

    init(fileDescriptor: Int32, bufferCapacity: Int = 1 << 16) {
        self.fileDescriptor = fileDescriptor
        self.bufferCapacity = max(0, bufferCapacity)
        self.isTerminal = isatty(fileDescriptor) == 1
    }

    deinit { try? flush() }

    func write(_ text: String) throws {
        try buffer.withLock { bytes in
            bytes.append(contentsOf: text.utf8)
            if bytes.count > bufferCapacity { try drain(&bytes) }
        }
    }

    func flush() throws {
        try buffer.withLock { bytes in try drain(&bytes) }
    }

    /// Writes all of `bytes` and empties it, also when the write fails (the text cannot be delivered later).
    private func drain(_ bytes: inout [UInt8]) throws {
        defer { bytes.removeAll(keepingCapacity: true) }
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Self.systemWrite(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if written >= 0 {
                    offset += written
                    continue
                }
                let code = errno
                switch code {
                case EINTR:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    var request = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&request, 1, -1)
                case EPIPE:
                    throw BrokenPipe()
                default:
                    throw CharLSTMError(.io, "cannot write to file descriptor \(fileDescriptor): \(String(cString: strerror(code)))")
                }
            }
        }
    }

    private static func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, pointer, count)
        #elseif canImport(Musl)
        Musl.write(fd, pointer, count)
        #else
        Darwin.write(fd, pointer, count)
        #endif
    }
}

/// A sink that keeps everything written, for tests. It can be told to fail, to test error paths.
final class MemorySink: TextSink {
    private struct State {
        var text = ""
        var flushCount = 0
    }

    let isTerminal: Bool
    private let failure: (any Error & Sendable)?
    private let state = Mutex(State())

    /// - Parameters:
    ///   - isTerminal: what ``isTerminal`` answers.
    ///   - failure: when set, every `write` and `flush` throws it and keeps nothing.
    init(isTerminal: Bool = false, failure: (any Error & Sendable)? = nil) {
        self.isTerminal = isTerminal
        self.failure = failure
    }

    /// Everything written so far.
    var text: String { state.withLock { $0.text } }
    /// How many times ``flush()`` was called.
    var flushCount: Int { state.withLock { $0.flushCount } }

    func write(_ text: String) throws {
        if let failure { throw failure }
        state.withLock { $0.text += text }
    }

    func flush() throws {
        if let failure { throw failure }
        state.withLock { $0.flushCount += 1 }
    }
}

/// The two text streams of a command: results on ``out``, diagnostics and progress on ``err``.
public struct Console: Sendable {
    let out: any TextSink
    let err: any TextSink

    init(out: any TextSink, err: any TextSink) {
        self.out = out
        self.err = err
    }

    /// Writes `text` to standard error at once, past any ``TextSink`` (for a message from another thread just
    /// before the process exits).
    static func writeImmediately(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Standard output (buffered) and standard error (written through).
    public static func standard() -> Console {
        Console(
            out: FileDescriptorSink(fileDescriptor: STDOUT_FILENO),
            err: FileDescriptorSink(fileDescriptor: STDERR_FILENO, bufferCapacity: 0)
        )
    }
}
