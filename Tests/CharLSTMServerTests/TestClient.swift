#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import CharLSTM
@testable import CharLSTMServer

/// A raw HTTP client for the socket-level tests: it writes exactly the bytes a test gives and reads responses
/// by their framing, every wait bounded (SO_RCVTIMEO), loopback only.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, receiveTimeout seconds: Int = 10) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(connected == 0, "cannot connect to port \(port)")
    }

    deinit { close() }

    private var closed = false
    func close() {
        if !closed { _ = Glibc.close(fd) }
        closed = true
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Reads more bytes; false at the end of the stream or a timeout.
    @discardableResult
    func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// Reads until the peer closes (or a timeout); true if it closed.
    func readToEnd() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return true }
            if n < 0 { return false }
            buffer += chunk[0..<n]
        }
    }

    func line() -> String? {
        while true {
            if let lf = buffer.firstIndex(of: 0x0A) {
                var end = lf
                if end > 0 && buffer[end - 1] == 0x0D { end -= 1 }
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(lf + 1)
                return text
            }
            guard fill() else { return nil }
        }
    }

    func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count < count { guard fill() else { return nil } }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: JSONValue? { try? JSONValue.parse(body) }
        /// `data:` payloads of an event stream, in order.
        var events: [String] {
            body.split(separator: "\n\n", omittingEmptySubsequences: true).compactMap { event in
                event.hasPrefix("data: ") ? String(event.dropFirst(6)) : nil
            }
        }
    }

    /// The head of the next response (interim 1xx responses included).
    func head() -> (status: Int, headers: [String: String])? {
        guard let statusLine = line() else { return nil }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [String: String] = [:]
        while let l = line(), !l.isEmpty {
            let colon = l.firstIndex(of: ":")!
            headers[l[..<colon].lowercased()] = String(l[l.index(after: colon)...].drop { $0 == " " })
        }
        return (status, headers)
    }

    /// The next whole response (skipping 1xx), its body read by Content-Length, chunks, or to the end.
    func response(headRequest: Bool = false) -> Response? {
        var h = head()
        while let s = h?.status, s < 200 { h = head() }
        guard let (status, headers) = h else { return nil }
        var body: [UInt8] = []
        if headRequest {
        } else if let length = headers["content-length"].flatMap(Int.init) {
            guard let b = bytes(length) else { return nil }
            body = b
        } else if headers["transfer-encoding"] == "chunked" {
            while true {
                guard let sizeLine = line(), let size = Int(sizeLine, radix: 16) else { return nil }
                if size == 0 { _ = line(); break }
                guard let b = bytes(size) else { return nil }
                body += b
                _ = line()
            }
        } else {
            _ = readToEnd()
            body = buffer
            buffer = []
        }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// Sends a JSON POST (its length counted here) without reading the answer.
    func sendPost(_ path: String, json: String, version: String = "1.1", headers: [String] = []) {
        let host = version == "1.1" ? "Host: 127.0.0.1\r\n" : ""
        send("POST \(path) HTTP/\(version)\r\n\(host)" + headers.map { $0 + "\r\n" }.joined()
             + "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n" + json)
    }

    /// Sends a request and reads its response.
    func request(_ method: String, _ path: String, json: String? = nil, headers: [String] = [], close: Bool = false) -> Response? {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in headers { text += h + "\r\n" }
        if close { text += "Connection: close\r\n" }
        if let json { text += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n" }
        text += "\r\n" + (json ?? "")
        send(text)
        return response(headRequest: method == "HEAD")
    }
}

/// A small random text model and a server over it on a free loopback port.
enum TestServer {
    static let alphabet = "abcdefghijklmnopqrstuvwxyz .,;:!?'\nROMEO"

    static let checkpoint: Checkpoint = {
        let vocabulary = Vocabulary(of: alphabet.unicodeScalars)
        var rng = RandomGenerator(seed: 3)
        let model = RecurrentNetwork(config: ModelConfig(cell: .lstm, vocabularySize: vocabulary.count, hidden: 48, layers: 2), rng: &rng)
        for i in 0..<model.parameters.count { model.parameters[i] *= 3 }
        return try! Checkpoint(config: model.config, vocabulary: vocabulary, parameters: model.parameters)
    }()

    static func start(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws -> Server {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.maxStreams = 8
        adjust(&configuration)
        let server = try Server(checkpoint: checkpoint, name: "tiny", configuration: configuration)
        try server.start()
        return server
    }

    /// What `charlstm generate` gives for this prime, seed and sampler (the same ``TextGenerator``).
    static func generated(prime: String, seed: UInt64, length: Int, sampler: Sampler, stop: String? = nil) throws -> String {
        let generator = try TextGenerator(model: checkpoint.textModel(), sampler: sampler, seed: seed, length: length, stop: stop)
        try generator.prime(prime.isEmpty ? checkpoint.vocabulary.freshLinePrime : prime)
        return String(String.UnicodeScalarView(generator))
    }

    /// The text before the first `stop` in `text`, or nil when there is none.
    static func text(_ text: String, before stop: String) -> String? {
        let t = Array(text.unicodeScalars), s = Array(stop.unicodeScalars)
        guard t.count >= s.count else { return nil }
        for i in 0...(t.count - s.count) where t[i..<(i + s.count)].elementsEqual(s) {
            return String(String.UnicodeScalarView(t[..<i]))
        }
        return nil
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = monotonicSeconds() + seconds
        while monotonicSeconds() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
