#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CharLSTM

/// What can go wrong on a connection's socket.
enum SocketFailure: Error, Equatable {
    /// The peer closed its end (or reset it).
    case closed
    /// A deadline passed with nothing to read, or the peer did not take what was written.
    case timedOut
    /// The server is stopping.
    case stopping
}

/// A connected TCP socket, owned by one connection thread: reads and writes with deadlines (poll + recv/send),
/// never a blocking call without one. The descriptor is closed by ``close()`` (once).
/// @unchecked Sendable: its thread alone reads, writes and closes it; other threads only call ``shutdownBoth()``.
final class Connection: @unchecked Sendable {
    let fd: Int32
    private var isClosed = false

    init(fd: Int32) {
        self.fd = fd
        var one: Int32 = 1
        // Small SSE events go out at once instead of waiting for Nagle's acknowledgement.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
#if canImport(Darwin)
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
#endif
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = Glibc.close(fd)
    }

    /// Stops both directions so that a thread blocked in poll on it wakes (the server stopping).
    func shutdownBoth() { _ = shutdown(fd, Int32(SHUT_RDWR)) }

    /// Closes after the response has reached the client: stops sending, then reads and drops what the client
    /// still sends (at most `limit` bytes, for at most `seconds`), so that closing with unread bytes (a body
    /// refused with 413) does not reset the connection before the client has read the answer.
    func lingeringClose(seconds: Double = 1, limit: Int = 1 << 20) {
        _ = shutdown(fd, Int32(SHUT_WR))
        let deadline = monotonicSeconds() + seconds
        var drained: [UInt8] = [], total = 0
        while total < limit {
            do {
                try read(into: &drained, limit: 65_536, deadline: deadline)
            } catch {
                break
            }
            total += drained.count
            drained.removeAll(keepingCapacity: true)
        }
        close()
    }

    /// Reads what is there (at most `limit` bytes) into `buffer`, waiting until `deadline` (monotonic seconds).
    /// Throws `.closed` at the end of the stream, `.timedOut` at the deadline.
    func read(into buffer: inout [UInt8], limit: Int, deadline: Double) throws(SocketFailure) {
        while true {
            try waitFor(Int16(POLLIN), deadline: deadline)
            if try readAvailable(into: &buffer, limit: limit) > 0 { return }
        }
    }

    /// Reads what is there now without waiting (at most `limit` bytes); returns how many. Throws `.closed` when
    /// the peer has closed.
    @discardableResult
    func readAvailable(into buffer: inout [UInt8], limit: Int) throws(SocketFailure) -> Int {
        let want = max(1, min(limit, 65_536))
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: want))
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + old, want, 0) }
        if n > 0 {
            buffer.removeLast(want - n)
            return n
        }
        buffer.removeLast(want)
        if n == 0 { throw .closed }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw .closed
    }

    /// Writes all of `bytes`, waiting for the peer to take them until `deadline`.
    func write(_ bytes: [UInt8], deadline: Double) throws(SocketFailure) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                try waitFor(Int16(POLLOUT), deadline: deadline)
                continue
            }
            throw .closed
        }
    }

    func write(_ text: String, deadline: Double) throws(SocketFailure) { try write(Array(text.utf8), deadline: deadline) }

    /// Waits until the socket is ready for `events` or `deadline` passes.
    private func waitFor(_ events: Int16, deadline: Double) throws(SocketFailure) {
        while true {
            let left = deadline - monotonicSeconds()
            if left <= 0 { throw .timedOut }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left * 1000 + 1, 60_000)))
            if ready > 0 {
                if entry.revents & events != 0 { return }
                if entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { throw .closed }
            } else if ready < 0 && errno != EINTR {
                throw .closed
            }
        }
    }
}

/// The listening socket: bound to a numeric address (IPv4 or IPv6) and port, with a wake pipe so that
/// ``Server/stop()`` interrupts a waiting accept.
/// @unchecked Sendable: the accept thread alone accepts; others only ``interrupt()`` it, and ``close()`` it once it has ended.
final class Listener: @unchecked Sendable {
    let fd: Int32
    /// The port bound (the one asked for, or the system's choice for 0).
    let port: Int
    /// The address as given and as URLs write it (`127.0.0.1`, `[::1]`).
    let host: String, urlHost: String
    private let wake: (read: Int32, write: Int32)
    private var isClosed = false

    /// Binds `host` (a numeric IPv4 or IPv6 address, or `localhost`) and `port` (0: any free one). Throws
    /// `.usage` for a host that is not an address, `.unavailable` when the address cannot be bound.
    init(host: String, port: Int) throws(CharLSTMError) {
        let numeric = host == "localhost" ? "127.0.0.1" : host
        var storage = sockaddr_storage(), length: socklen_t, family: Int32
        var v4 = sockaddr_in(), v6 = sockaddr_in6()
        if inet_pton(AF_INET, numeric, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v4, as: sockaddr_in.self) }
        } else if inet_pton(AF_INET6, numeric, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v6, as: sockaddr_in6.self) }
        } else {
            throw .usage("'--host' must be a numeric IPv4 or IPv6 address or 'localhost', got '\(host)'")
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .unavailable("cannot create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family == AF_INET6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw .unavailable("cannot listen on \(host) port \(port): \(reason)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var actual = sockaddr_storage(), actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        let portBE = withUnsafeBytes(of: &actual) { raw in
            family == AF_INET ? raw.load(as: sockaddr_in.self).sin_port : raw.load(as: sockaddr_in6.self).sin6_port
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            _ = Glibc.close(fd)
            throw .unavailable("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: portBE))
        self.host = host
        urlHost = family == AF_INET6 ? "[\(numeric)]" : numeric
        wake = (pipeEnds[0], pipeEnds[1])
    }

    deinit {
        close()
        _ = Glibc.close(wake.read)
        _ = Glibc.close(wake.write)
    }

    /// Releases the port (call once nothing waits in ``accept()`` any more).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = Glibc.close(fd)
    }

    /// Whether the address is a loopback one (127.0.0.0/8, ::1): only this machine can connect.
    var isLoopback: Bool {
        let numeric = host == "localhost" ? "127.0.0.1" : host
        return numeric.hasPrefix("127.") || numeric == "::1"
    }

    /// The next connection's descriptor, or nil once ``interrupt()`` was called.
    func accept() -> Int32? {
        while true {
            var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&entries, 2, 1000)
            if entries[1].revents != 0 { return nil }
            guard ready > 0, entries[0].revents & Int16(POLLIN) != 0 else { continue }
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                return client
            }
            // EAGAIN (another wake-up took it), ECONNABORTED, EMFILE (out of descriptors: wait a little).
            if errno == EMFILE || errno == ENFILE { usleep(10_000) }
        }
    }

    /// Makes a waiting (and every later) ``accept()`` return nil.
    func interrupt() {
        var byte: UInt8 = 1
        _ = Glibc.write(wake.write, &byte, 1)
    }
}
