import Testing
@testable import CharLSTM
@testable import CharLSTMServer

/// The HTTP/1.x request parser: a table of good and bad requests, any split of the bytes, pipelining, chunked
/// bodies, and a fuzzer that finds no input on which it traps, hangs or answers other than 4xx/5xx.
@Suite struct HTTPParserTests {
    static let limits: HTTPLimits = {
        var l = HTTPLimits()
        l.maxHeaderBytes = 1024
        l.maxBodyBytes = 2048
        l.maxHeaderCount = 20
        l.maxTargetBytes = 256
        return l
    }()

    /// What the parser makes of `text`, fed `piece` bytes at a time: the requests, and the failure if any.
    static func parse(_ bytes: [UInt8], piece: Int = .max) -> (requests: [HTTPRequest], failure: HTTPFailure?, pending: Bool) {
        var parser = HTTPParser(limits: limits)
        var requests: [HTTPRequest] = []
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(1, piece))
            parser.append(Array(bytes[offset..<end]))
            offset = end
            do {
                while case .request(let r) = try parser.next() { requests.append(r) }
            } catch {
                return (requests, error, false)
            }
        } while offset < bytes.count
        return (requests, nil, !parser.isIdle)
    }

    static func parse(_ text: String, piece: Int = .max) -> (requests: [HTTPRequest], failure: HTTPFailure?, pending: Bool) {
        parse(Array(text.utf8), piece: piece)
    }

    /// Good requests: what they parse to, whole and one byte at a time.
    @Test func goodRequestsParseTheSameWhateverTheSplit() throws {
        let table: [(String, method: String, path: String, query: String?, body: String, keepAlive: Bool)] = [
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", nil, "", true),
            ("GET /health?x=1 HTTP/1.1\r\nhost: a\r\nConnection: close\r\n\r\n", "GET", "/health", "x=1", "", false),
            ("GET / HTTP/1.0\r\n\r\n", "GET", "/", nil, "", false),
            ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET", "/", nil, "", true),
            ("GET / HTTP/1.1\nHost: a\n\n", "GET", "/", nil, "", true),  // bare LF line ends
            ("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", nil, "", true),  // a stray CRLF before it
            ("POST /v1/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "POST", "/v1/completions", nil, "hello", true),
            ("POST /p HTTP/1.1\r\nHost: a\r\nCONTENT-LENGTH:   3  \r\n\r\nabc", "POST", "/p", nil, "abc", true),
            ("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "POST", "/p", nil, "abc", true),
            ("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0003\r\n\r\nabc", "POST", "/p", nil, "abc", true),
            ("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
             "POST", "/p", nil, "abcde", true),
            ("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", "POST", "/p", nil, "0123456789", true),
            ("GET http://localhost:8080/v1/models?a HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/v1/models", "a", "", true),
            ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", "*", nil, "", true),
        ]
        for row in table {
            for piece in [Int.max, 1, 7] {
                let result = Self.parse(row.0, piece: piece)
                #expect(result.failure == nil, "\(row.0.debugDescription): \(String(describing: result.failure))")
                let r = try #require(result.requests.first, "\(row.0.debugDescription)")
                #expect(result.requests.count == 1 && !result.pending)
                #expect(r.method == row.method && r.path == row.path && r.query == row.query, "\(row.0.debugDescription)")
                #expect(String(decoding: r.body, as: UTF8.self) == row.body && r.keepAlive == row.keepAlive, "\(row.0.debugDescription)")
            }
        }
        // Field names are case-insensitive; repeated fields join; values are trimmed.
        let r = try #require(Self.parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a:  2 \r\n\r\n").requests.first)
        #expect(r.headers["X-a"] == "1, 2" && r.headers.values("x-A") == ["1", "2"])
    }

    /// Bad requests: each gets its status (and no request comes out of it).
    @Test func badRequestsGetTheirStatus() {
        let long = String(repeating: "a", count: 300), huge = String(repeating: "b", count: 1100)
        let table: [(String, Int)] = [
            ("GET / HTTP/1.1\r\n\r\n", 400),  // no Host
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // two spaces
            ("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400),
            ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET nopath HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),  // whitespace before the colon
            ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", 400),
            ("GET /\(long) HTTP/1.1\r\nHost: a\r\n\r\n", 414),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: \(huge)\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: a\r\n" + (0..<25).map { "X\($0): 1\r\n" }.joined() + "\r\n", 431),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2049\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n801\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "400\r\n" + String(repeating: "x", count: 1024) + "\r\n", count: 3), 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
        ]
        for (text, status) in table {
            for piece in [Int.max, 1] {
                let result = Self.parse(text, piece: piece)
                #expect(result.requests.isEmpty, "\(text.prefix(80).debugDescription)")
                #expect(result.failure?.status == status, "\(text.prefix(80).debugDescription) piece \(piece): \(String(describing: result.failure))")
            }
        }
        // A head with no end is refused once it passes the limit, not read for ever.
        let endless = Self.parse("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "y", count: 5000), piece: 100)
        #expect(endless.failure?.status == 431)
    }

    /// Pipelined requests come out one after another, in order; `Expect: 100-continue` shows before the body.
    @Test func pipelinedRequestsAndTheContinueExpectation() throws {
        let text = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: a\r\n\r\n"
        for piece in [Int.max, 1, 5] {
            let result = Self.parse(text, piece: piece)
            #expect(result.requests.map(\.path) == ["/a", "/b", "/c"] && result.failure == nil && !result.pending)
        }
        var parser = HTTPParser(limits: Self.limits)
        parser.append(Array("POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n".utf8))
        #expect(try parser.next() == .needMore)
        #expect(parser.headAwaitingBody?.expectsContinue == true)
        parser.append(Array("body".utf8))
        guard case .request(let r) = try parser.next() else { Issue.record("no request"); return }
        #expect(r.body == Array("body".utf8) && parser.isIdle && parser.headAwaitingBody == nil)
    }

    /// Random damage to good requests and random bytes: the parser never traps, never takes more than linear work,
    /// and ends every input in requests, a wait for more, or a 4xx/5xx failure.
    @Test func fuzzedInputsEndInRequestsOrAnError() {
        var rng = RandomGenerator(seed: 29)
        let seeds = [
            "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"prompt\":\"\"}",
            "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ].map { Array($0.utf8) }
        let alphabet = Array(" \r\n:;,-0123456789aAfFzZ/?%\u{7F}\u{0}\t".utf8) + [0xC3, 0xFF, 0x80]
        var outcomes = [Int: Int]()
        for round in 0..<4000 {
            var bytes = seeds[round % seeds.count]
            if round % 10 == 9 {
                bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                for _ in 0..<(1 + Int(rng.next() % 4)) where !bytes.isEmpty {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 4 {
                    case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                    default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int(rng.next() % 40))], at: at)
                    }
                }
            }
            let result = Self.parse(bytes, piece: 1 + Int(rng.next() % 64))
            if let failure = result.failure {
                #expect((400...505).contains(failure.status), "\(bytes)")
                outcomes[failure.status, default: 0] += 1
            } else {
                outcomes[result.requests.isEmpty ? 0 : 200, default: 0] += 1
                for r in result.requests { #expect(r.body.count <= Self.limits.maxBodyBytes) }
            }
        }
        // The fuzzer reaches both sides.
        #expect(outcomes[200, default: 0] > 100 && outcomes[400, default: 0] > 100, "\(outcomes)")
    }
}
