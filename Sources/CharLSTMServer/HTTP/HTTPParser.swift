/// Reads HTTP/1.x requests (RFC 9112) from the bytes of a connection as they arrive, one after another
/// (pipelining): the request line and header fields, then a body by `Content-Length` or `Transfer-Encoding:
/// chunked` (its trailer fields are read and dropped).
///
/// Everything a peer sends is checked against ``HTTPLimits`` before it is kept or used as a number: the head's
/// size and field count, the body's size (declared or chunked), chunk-size digits. A request that breaks the
/// grammar or a limit gives an ``HTTPFailure`` with the status to answer (400, 413, 414, 431, 501, 505), after
/// which the connection must close (the parser cannot know where the next request would start). Ambiguous framing
/// that request smuggling relies on is refused: `Content-Length` with `Transfer-Encoding`, differing lengths,
/// a transfer coding other than `chunked`, whitespace before a field's colon, obsolete line folding.
/// Lines may end in CRLF or a bare LF (RFC 9112 §2.2). Each byte is looked at a bounded number of times.
struct HTTPParser {
    let limits: HTTPLimits
    /// Bytes received and not yet consumed, from ``start``.
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the end of the head goes on (so a slow sender is not rescanned from the start).
    private var scanned = 0
    private var state = State.head
    private var pendingHead: Head?
    private var body: [UInt8] = []

    private enum State: Equatable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
    }

    /// A request's parsed head, before its body.
    struct Head: Equatable {
        let method: String, path: String, query: String?, minorVersion: Int, headers: HTTPHeaders
        /// The client sent `Expect: 100-continue` and waits for an interim response before its body.
        let expectsContinue: Bool
        let hasBody: Bool
    }

    init(limits: HTTPLimits) { self.limits = limits }

    /// The result of ``next()``.
    enum Step: Equatable {
        /// More bytes are needed.
        case needMore
        /// A whole request.
        case request(HTTPRequest)
    }

    /// Bytes received and not consumed (the start of the next request, or a request being read).
    var bufferedCount: Int { buffer.count - start }
    /// Whether nothing of a next request has arrived yet.
    var isIdle: Bool { state == .head && bufferedCount == 0 }
    /// The head of the request whose body is being read, if any (for `Expect: 100-continue`).
    var headAwaitingBody: Head? { state == .head ? nil : pendingHead }

    mutating func append(_ bytes: [UInt8]) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Parses as far as the bytes go: a whole request, or `.needMore`. Throws the failure to answer.
    mutating func next() throws(HTTPFailure) -> Step {
        while true {
            switch state {
            case .head:
                guard let head = try parseHead() else { return .needMore }
                pendingHead = head
                body = []
                if !head.hasBody { return .request(finish()) }
            case .fixedBody(let remaining):
                let left = takeBody(remaining)
                if left > 0 {
                    state = .fixedBody(remaining: left)
                    return .needMore
                }
                return .request(finish())
            case .chunkSize:
                guard let line = try takeLine(limit: 1024, what: "chunk size line") else { return .needMore }
                let size = try Self.chunkSize(line)
                if size == 0 {
                    state = .trailers
                } else {
                    guard body.count + size <= limits.maxBodyBytes else {
                        throw HTTPFailure(413, "the request body is larger than \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let left = takeBody(remaining)
                if left > 0 {
                    state = .chunkData(remaining: left)
                    return .needMore
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = try takeLine(limit: 2, what: "chunk end") else { return .needMore }
                guard line.isEmpty else { throw HTTPFailure(400, "a chunk's data is longer than its size") }
                state = .chunkSize
            case .trailers:
                guard let line = try takeLine(limit: limits.maxHeaderBytes, what: "trailer field") else { return .needMore }
                if line.isEmpty { return .request(finish()) }
            }
        }
    }

    /// Moves up to `remaining` buffered bytes into the body; returns how many are still to come.
    private mutating func takeBody(_ remaining: Int) -> Int {
        let n = min(remaining, bufferedCount)
        body.append(contentsOf: buffer[start..<(start + n)])
        start += n
        return remaining - n
    }

    private mutating func finish() -> HTTPRequest {
        let head = pendingHead!
        state = .head
        pendingHead = nil
        defer { body = [] }
        return HTTPRequest(method: head.method, path: head.path, query: head.query, minorVersion: head.minorVersion,
                           headers: head.headers, body: body)
    }

    /// The next line (without its CRLF or LF) if it has arrived; throws when `limit` bytes pass without one.
    private mutating func takeLine(limit: Int, what: String) throws(HTTPFailure) -> ArraySlice<UInt8>? {
        let end = min(buffer.count, start + limit + 2)
        guard let lf = buffer[start..<end].firstIndex(of: 0x0A) else {
            if end - start >= limit + 2 { throw HTTPFailure(400, "the \(what) is too long") }
            return nil
        }
        var lineEnd = lf
        if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let line = buffer[start..<lineEnd]
        start = lf + 1
        return line
    }

    /// `1a;name=value` → 26. At most 8 hex digits (so the size fits any limit check); extensions ignored.
    static func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPFailure) -> Int {
        var size = 0, digits = 0
        for byte in line {
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte) - 0x30
            case 0x41...0x46: digit = Int(byte) - 0x41 + 10
            case 0x61...0x66: digit = Int(byte) - 0x61 + 10
            case 0x3B, 0x20, 0x09:  // ';' starts extensions (whitespace may come before it)
                guard digits > 0 else { throw HTTPFailure(400, "a chunk size must be hexadecimal digits") }
                return size
            default: throw HTTPFailure(400, "a chunk size must be hexadecimal digits")
            }
            digits += 1
            guard digits <= 8 else { throw HTTPFailure(413, "a chunk is larger than the body limit") }
            size = size * 16 + digit
        }
        guard digits > 0 else { throw HTTPFailure(400, "a chunk size must be hexadecimal digits") }
        return size
    }

    /// The head, once its empty line has arrived.
    private mutating func parseHead() throws(HTTPFailure) -> Head? {
        // RFC 9112 §2.2: ignore empty lines before a request line (some clients send a CRLF after a body).
        while bufferedCount > 0 && (buffer[start] == 0x0D || buffer[start] == 0x0A) {
            if buffer[start] == 0x0D && bufferedCount < 2 { return nil }
            start += buffer[start] == 0x0D && buffer[start + 1] == 0x0A ? 2 : 1
            scanned = max(scanned, start)
        }
        scanned = max(scanned, start)
        // Find the empty line: LF (CR) LF.
        var end: Int?
        var i = max(scanned, start + 1)
        let limit = min(buffer.count, start + limits.maxHeaderBytes)
        while i < limit {
            if buffer[i] == 0x0A {
                if buffer[i - 1] == 0x0A { end = i; break }
                if buffer[i - 1] == 0x0D && i >= start + 2 && buffer[i - 2] == 0x0A { end = i; break }
            }
            i += 1
        }
        guard let end else {
            scanned = max(start + 1, i)
            if bufferedCount >= limits.maxHeaderBytes {
                throw HTTPFailure(431, "the request line and header fields are larger than \(limits.maxHeaderBytes) bytes")
            }
            return nil
        }
        let headBytes = buffer[start...end]
        start = end + 1
        scanned = start
        return try parseHeadLines(headBytes)
    }

    private mutating func parseHeadLines(_ bytes: ArraySlice<UInt8>) throws(HTTPFailure) -> Head {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { throw HTTPFailure(400, "the request line is missing") }
        let (method, target, minor) = try Self.parseRequestLine(requestLine, limits: limits)
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard headers.fields.count < limits.maxHeaderCount else {
                throw HTTPFailure(431, "more than \(limits.maxHeaderCount) header fields")
            }
            guard let first = line.first, first != 0x20 && first != 0x09 else {
                throw HTTPFailure(400, "obsolete line folding in a header field is not accepted")
            }
            guard let colon = line.firstIndex(of: 0x3A) else { throw HTTPFailure(400, "a header field has no ':'") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
                throw HTTPFailure(400, "a header field name must be a token with no whitespace before the ':'")
            }
            let valueBytes = line[(colon + 1)...]
            // Field values: visible characters, spaces, tabs and obs-text; no NUL, CR or other controls.
            guard valueBytes.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else {
                throw HTTPFailure(400, "a header field value holds a control character")
            }
            headers.append(name: String(decoding: name, as: UTF8.self),
                           value: String(String(decoding: valueBytes, as: UTF8.self)[...].trimmingSpaces()))
        }
        if minor == 1 && headers.values("host").count != 1 {
            throw HTTPFailure(400, "an HTTP/1.1 request needs exactly one Host header field")
        }
        // Framing (RFC 9112 §6).
        let codings = headers.tokens("transfer-encoding"), lengths = headers.values("content-length")
        var hasBody = false
        if !codings.isEmpty {
            guard lengths.isEmpty else {
                throw HTTPFailure(400, "a request must not have both Transfer-Encoding and Content-Length")
            }
            guard minor == 1 else { throw HTTPFailure(400, "Transfer-Encoding needs HTTP/1.1") }
            guard codings == ["chunked"] else {
                throw HTTPFailure(501, "the only transfer coding accepted is 'chunked', got '\(codings.joined(separator: ", "))'")
            }
            state = .chunkSize
            hasBody = true
        } else if !lengths.isEmpty {
            let all = lengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { $0.trimmingSpaces() }
            guard let firstText = all.first, all.allSatisfy({ $0 == firstText }) else {
                throw HTTPFailure(400, "differing Content-Length values")
            }
            guard !firstText.isEmpty, firstText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw HTTPFailure(400, "Content-Length must be a whole number of bytes, got '\(firstText.prefix(40))'")
            }
            // Compare by digits before converting: any number of digits is safe.
            let digits = firstText.drop { $0 == "0" }
            guard digits.count <= 10, let length = Int(digits.isEmpty ? "0" : digits), length <= limits.maxBodyBytes else {
                throw HTTPFailure(413, "the request body is larger than \(limits.maxBodyBytes) bytes")
            }
            if length > 0 {
                state = .fixedBody(remaining: length)
                hasBody = true
            }
        }
        let expect = headers.tokens("expect")
        if !expect.isEmpty && expect != ["100-continue"] {
            throw HTTPFailure(417, "the only expectation accepted is '100-continue'")
        }
        let (path, query) = Self.splitTarget(target)
        return Head(method: method, path: path, query: query, minorVersion: minor, headers: headers,
                    expectsContinue: hasBody && minor == 1 && expect == ["100-continue"], hasBody: hasBody)
    }

    /// `METHOD SP request-target SP HTTP/1.x`.
    static func parseRequestLine(_ line: ArraySlice<UInt8>, limits: HTTPLimits) throws(HTTPFailure) -> (String, String, Int) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw HTTPFailure(400, "the request line must be 'METHOD target HTTP/1.1'") }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.count <= 32, method.allSatisfy(isTokenByte) else {
            throw HTTPFailure(400, "the method must be a token")
        }
        guard target.count <= limits.maxTargetBytes else {
            throw HTTPFailure(414, "the request target is longer than \(limits.maxTargetBytes) bytes")
        }
        // Origin form (/path?query), asterisk form, or absolute form (http://host/path).
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPFailure(400, "the request target must be visible ASCII")
        }
        var path = String(decoding: target, as: UTF8.self)
        if !path.hasPrefix("/") && path != "*" {
            let lower = path.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                throw HTTPFailure(400, "the request target must start with '/'")
            }
            let afterScheme = path.drop { $0 != "/" }.dropFirst(2)
            path = String(afterScheme.drop { $0 != "/" && $0 != "?" })
            if !path.hasPrefix("/") { path = "/" + path }
        }
        let v = Array(version)
        guard v.count == 8, v[0..<5].elementsEqual("HTTP/".utf8), v[6] == UInt8(ascii: "."),
              (0x30...0x39).contains(v[5]), (0x30...0x39).contains(v[7]) else {
            throw HTTPFailure(400, "the version must be HTTP/1.1 or HTTP/1.0")
        }
        guard v[5] == UInt8(ascii: "1"), v[7] <= UInt8(ascii: "1") else {
            throw HTTPFailure(505, "only HTTP/1.0 and HTTP/1.1 are served")
        }
        return (String(decoding: method, as: UTF8.self), path, Int(v[7]) - 0x30)
    }

    static func splitTarget(_ target: String) -> (String, String?) {
        guard let q = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

    /// tchar (RFC 9110 §5.6.2): letters, digits and !#$%&'*+-.^_`|~.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }
}

/// The limits every request is held to (network input is hostile).
public struct HTTPLimits: Sendable, Equatable {
    /// The request line and header fields together, bytes (answered 431 beyond).
    public var maxHeaderBytes = 16 << 10
    /// Header fields in one request (431 beyond).
    public var maxHeaderCount = 100
    /// The request target, bytes (414 beyond).
    public var maxTargetBytes = 4096
    /// A request body, bytes, declared or chunked (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// Seconds from a request's first byte until its head is complete (a client sending a byte a second is dropped).
    public var headerSeconds = 10.0
    /// Seconds for a request's body to arrive, from the end of its head.
    public var bodySeconds = 30.0
    /// Seconds a kept-alive connection may wait, idle, for its next request.
    public var idleSeconds = 15.0
    /// Seconds a response may wait for the client to take what was written (a client that stops reading is dropped).
    public var writeSeconds = 30.0

    public init() {}
}
