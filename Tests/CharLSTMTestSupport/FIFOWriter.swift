import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A named pipe with a writer thread: it waits for a reader, then writes `text` `times` times (forever when
/// nil, until the reader goes away) and closes its end.
final class FIFOWriter: @unchecked Sendable {
    let path: String
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopped = false
    private var written = 0
    private var ended = false

    init(path: String, text: String, times: Int?) {
        self.path = path
        precondition(mkfifo(path, 0o600) == 0, "mkfifo \(path): \(String(cString: strerror(errno)))")
        // A reader that goes away must end the writer with EPIPE, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        let bytes = Array(text.utf8)
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var round = 0
            while times.map({ round < $0 }) ?? true, !isStopped {
                var at = 0
                while at < bytes.count {
                    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + at, bytes.count - at) }
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return }
                    at += n
                    lock.withLock { written += n }
                }
                round += 1
            }
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Bytes written so far.
    var bytesWritten: Int { lock.withLock { written } }

    /// Stops the writer and waits up to `timeout` seconds for it to end; whether it ended. Meanwhile it reads
    /// and drops what the writer still writes, and so releases a writer that still waits for a reader.
    @discardableResult
    func finish(timeout: Double = 10) -> Bool {
        if lock.withLock({ ended }) { return true }
        lock.withLock { stopped = true }
        let reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        defer { if reader >= 0 { close(reader) } }
        let deadline = Date().addingTimeInterval(timeout)
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while done.wait(timeout: .now() + 0.01) == .timedOut {
            if reader >= 0 { _ = read(reader, &scratch, scratch.count) }
            if Date() > deadline { return false }
        }
        lock.withLock { ended = true }
        return true
    }

    deinit { finish() }
}
