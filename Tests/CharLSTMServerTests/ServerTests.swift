#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import CharLSTM
@testable import CharLSTMServer

/// The server over real loopback sockets: the API's answers and errors, Server-Sent Events, keep-alive and
/// pipelining, chunked bodies and `Expect: 100-continue`, the limits and timeouts, cancellation on disconnect,
/// and a clean stop.
@Suite(.serialized) struct ServerTests {
    static func text(_ response: TestClient.Response?, choice: Int = 0) -> String? {
        guard case .object(let o)? = response?.json, case .array(let choices)? = o["choices"],
              choices.count > choice, case .object(let c) = choices[choice] else { return nil }
        return c["text"]?.stringValue
    }

    @Test func endpointsAnswerAndErrorsHaveOpenAIsShape() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        let health = try #require(client.request("GET", "/health"))
        #expect(health.status == 200 && health.body.contains("\"status\":\"ok\"") && health.body.contains("\"capacity\":8"))
        let models = try #require(client.request("GET", "/v1/models"))
        #expect(models.status == 200 && models.body.contains("\"id\":\"tiny\"") && models.body.contains("\"object\":\"list\""))
        #expect(client.request("GET", "/v1/models/tiny")?.status == 200)
        #expect(client.request("GET", "/v1/models/other")?.status == 404)
        let page = try #require(client.request("GET", "/"))
        #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.body.contains("<button id=\"generate\"") && !page.body.contains("http://") && !page.body.contains("https://"))
        #expect(page.headers["content-security-policy"]?.contains("connect-src 'self'") == true)
        let head = try #require(client.request("HEAD", "/health"))
        #expect(head.status == 200 && Int(head.headers["content-length"] ?? "") ?? 0 > 0)
        let missing = try #require(client.request("GET", "/nowhere"))
        #expect(missing.status == 404 && missing.body == #"{"error":{"code":"not_found","message":"no such endpoint: /nowhere","param":null,"type":"invalid_request_error"}}"#)
        let wrongMethod = try #require(client.request("GET", "/v1/completions"))
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST")
        #expect(client.request("DELETE", "/health")?.headers["allow"] == "GET, HEAD")
        let noJSONType = TestClient(port: server.port)
        noJSONType.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}")
        #expect(noJSONType.response()?.status == 415)
        let bad = try #require(client.request("POST", "/v1/completions", json: #"{"prompt":"ROMEO: ß","max_tokens":5}"#))
        #expect(bad.status == 400 && bad.body.contains(#""param":"prompt""#) && bad.body.contains("'ß' (U+00DF)"))
        // The same connection goes on after errors.
        #expect(client.request("GET", "/health")?.status == 200)
        // DNS rebinding: a page whose name points at 127.0.0.1 is not this server.
        let rebound = TestClient(port: server.port)
        rebound.send("GET /v1/models HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n")
        #expect(rebound.response()?.status == 403)
    }

    @Test func aKeyIsRequiredWhenSet() throws {
        let server = try TestServer.start { $0.apiKey = "s3cret" }
        defer { server.stop() }
        let client = TestClient(port: server.port)
        let refused = try #require(client.request("GET", "/v1/models"))
        #expect(refused.status == 401 && refused.headers["www-authenticate"] == "Bearer" && refused.body.contains("invalid_api_key"))
        #expect(client.request("GET", "/v1/models", headers: ["Authorization: Bearer wrong"])?.status == 401)
        #expect(client.request("GET", "/v1/models", headers: ["Authorization: Bearer s3cret"])?.status == 200)
        #expect(client.request("GET", "/v1/models", headers: ["authorization: bearer s3cret"])?.status == 200)
        #expect(client.request("GET", "/health")?.status == 200)  // health and the page stay open
    }

    /// The text is `charlstm generate`'s for the seed; `n` choices use seed, seed + 1, …; a stop text ends a
    /// choice and is not returned; the usage counts characters.
    @Test func completionsAreGeneratesTextForTheSeed() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        let sampler = try Sampler(temperature: 0.9, topK: 20)
        let r = try #require(client.request("POST", "/v1/completions", json: #"{"model":"tiny","prompt":"ROMEO:","max_tokens":80,"seed":11,"temperature":0.9,"top_k":20,"n":3}"#))
        #expect(r.status == 200 && r.headers["x-charlstm-seed"] == "11")
        for i in 0..<3 {
            #expect(Self.text(r, choice: i) == (try TestServer.generated(prime: "ROMEO:", seed: 11 + UInt64(i), length: 80, sampler: sampler)))
        }
        #expect(r.body.contains(#""usage":{"completion_tokens":240,"prompt_tokens":6,"total_tokens":246}"#))
        #expect(r.body.contains(#""finish_reason":"length""#) && r.body.contains(#""object":"text_completion""#))
        // A stop text: the text up to it, without it.
        let full = try TestServer.generated(prime: "ROMEO:", seed: 5, length: 300, sampler: try Sampler(temperature: 1))
        let stop = String(full.unicodeScalars.dropFirst(20).prefix(2))
        let s = try #require(client.request("POST", "/v1/completions",
                                            json: #"{"prompt":"ROMEO:","max_tokens":300,"seed":5,"stop":["zzzz",\#(JSONValue.string(stop).encoded)]}"#))
        let before = try #require(TestServer.text(full, before: stop))
        #expect(Self.text(s) == before && s.body.contains(#""finish_reason":"stop""#))
        // Greedy: no seed needed, the same every time; max_tokens 0 is an empty text.
        let a = Self.text(client.request("POST", "/v1/completions", json: #"{"prompt":"ab","max_tokens":40,"temperature":0}"#))
        let b = Self.text(client.request("POST", "/v1/completions", json: #"{"prompt":"ab","max_tokens":40,"temperature":0}"#))
        #expect(a != nil && a == b)
        #expect(Self.text(client.request("POST", "/v1/completions", json: #"{"prompt":"ab","max_tokens":0}"#)) == "")
    }

    /// Streaming: one event per piece as it is sampled, the pieces add up to the whole text, a last chunk per
    /// choice with its finish reason, optionally the usage, then `[DONE]`; the connection stays usable.
    @Test func streamsAreServerSentEvents() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        let r = try #require(client.request("POST", "/v1/completions",
            json: #"{"prompt":"ROMEO:","max_tokens":3000,"seed":3,"stream":true,"n":2,"stream_options":{"include_usage":true}}"#))
        #expect(r.status == 200 && r.headers["content-type"] == "text/event-stream; charset=utf-8" && r.headers["transfer-encoding"] == "chunked")
        let events = r.events
        #expect(events.last == "[DONE]")
        var texts = ["", ""], finishes: [String?] = [nil, nil], pieces = 0, usage: JSONValue?
        for event in events.dropLast() {
            guard case .object(let o) = try JSONValue.parse(event), case .array(let choices)? = o["choices"] else {
                Issue.record("not a chunk: \(event)"); continue
            }
            #expect(o["object"] == .string("text_completion") && o["model"] == .string("tiny"))
            if choices.isEmpty { usage = o["usage"] }
            for case .object(let c) in choices {
                let i = c["index"]!.intValue!
                #expect(finishes[i] == nil, "nothing after a choice's finish")
                texts[i] += c["text"]!.stringValue!
                if case .string(let f)? = c["finish_reason"] { finishes[i] = f } else { pieces += 1 }
            }
        }
        let sampler = try Sampler(temperature: 1)
        for i in 0..<2 { #expect(texts[i] == (try TestServer.generated(prime: "ROMEO:", seed: 3 + UInt64(i), length: 3000, sampler: sampler))) }
        // Pieces go out as the characters come (several to a piece only when the client falls behind a step).
        #expect(finishes == ["length", "length"] && pieces >= 4, "pieces \(pieces)")
        #expect(usage == .object(["prompt_tokens": .int(6), "completion_tokens": .int(6000), "total_tokens": .int(6006)]))
        #expect(client.request("GET", "/health")?.status == 200)
        // HTTP/1.0: no chunked framing, the stream ends with the connection.
        let old = TestClient(port: server.port)
        old.sendPost("/v1/completions", json: #"{"prompt":"ab","max_tokens":5,"stream":true}"#, version: "1.0")
        let r10 = try #require(old.response())
        #expect(r10.status == 200 && r10.headers["transfer-encoding"] == nil && r10.events.last == "[DONE]")
    }

    @Test func keepAlivePipeliningChunkedBodiesAndContinue() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        // Three requests in one write, answered in order on one connection.
        let body = #"{"prompt":"ab","max_tokens":7,"seed":1}"#
        client.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    + "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                    + "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let first = client.response(), second = client.response(), third = client.response()
        #expect(first?.body.contains("\"status\":\"ok\"") == true)
        #expect(Self.text(second)?.unicodeScalars.count == 7)
        #expect(third?.body.contains("\"object\":\"list\"") == true)
        // A chunked body, sent in pieces.
        client.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send("5\r\n{\"pro\r\n")
        client.send("e\r\nmpt\":\"ab\",\"max\r\n")
        client.send("12\r\n_tokens\":7,\"seed\":\r\n2\r\n1}\r\n0\r\n\r\n")
        #expect(Self.text(client.response()) == Self.text(second))
        // Expect: 100-continue: the interim response comes before the body is sent.
        client.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        #expect(client.head()?.status == 100)
        client.send(body)
        #expect(Self.text(client.response()) == Self.text(second))
        // Connection: close is honoured.
        #expect(client.request("GET", "/health", close: true)?.headers["connection"] == "close")
        #expect(client.readToEnd())
    }

    @Test func limitsAndTimeoutsAnswerAndTheServerGoesOn() throws {
        let server = try TestServer.start {
            $0.http.headerSeconds = 0.5
            $0.http.bodySeconds = 0.5
            $0.http.idleSeconds = 1
            $0.http.maxBodyBytes = 4096
        }
        defer { server.stop() }
        let big = TestClient(port: server.port)
        big.send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + String(repeating: "a", count: 17_000) + "\r\n\r\n")
        #expect(big.response()?.status == 431)
        let body = TestClient(port: server.port)
        body.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n")
        let tooLarge = try #require(body.response())
        #expect(tooLarge.status == 413 && tooLarge.body.contains("request_too_large") && tooLarge.headers["connection"] == "close")
        // A client that sends a byte at a time, slower than the limit, is dropped with 408.
        let slow = TestClient(port: server.port)
        let started = monotonicSeconds()
        for byte in "GET /health HTTP/1.1\r\n".utf8.prefix(4) { slow.send([byte]); usleep(200_000) }
        let timedOut = try #require(slow.response())
        #expect(timedOut.status == 408 && monotonicSeconds() - started < 3)
        // A body that stops part way: 408 as well.
        let partial = TestClient(port: server.port)
        partial.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"pro")
        #expect(partial.response()?.status == 408)
        // An idle kept-alive connection is closed quietly.
        let idle = TestClient(port: server.port)
        #expect(idle.request("GET", "/health")?.status == 200)
        #expect(idle.readToEnd())
        // A lying Content-Length (shorter than the body): the rest is read as the next request, which is malformed.
        let liar = TestClient(port: server.port)
        liar.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}garbage\r\n\r\n")
        #expect(Self.text(liar.response()) != nil)
        #expect(liar.response()?.status == 400)
        #expect(TestClient(port: server.port).request("GET", "/health")?.status == 200)
    }

    @Test func busyStreamsGet503AndAClientThatLeavesStopsItsStreamAtOnce() throws {
        let server = try TestServer.start { $0.maxStreams = 2; $0.maxConnections = 4 }
        defer { server.stop() }
        let long = TestClient(port: server.port)
        long.sendPost("/v1/completions", json: #"{"prompt":"ab","max_tokens":100000,"stream":true,"n":2}"#)
        #expect(long.head()?.status == 200)
        #expect(long.line() != nil)  // the first chunk's size: characters are flowing
        #expect(TestServer.eventually { server.scheduler.load.active == 2 })
        let second = TestClient(port: server.port)
        let refused = try #require(second.request("POST", "/v1/completions", json: #"{"prompt":"ab","max_tokens":5}"#))
        second.close()
        #expect(refused.status == 503 && refused.headers["retry-after"] == "1" && refused.body.contains("server_busy"))
        // The client goes away: both its streams end, and the slots are free again.
        let stepsBefore = server.scheduler.load.steps
        long.close()
        #expect(TestServer.eventually(2) { server.scheduler.load.active == 0 && server.scheduler.load.reserved == 0 })
        #expect(server.scheduler.load.steps - stepsBefore < 100_000)
        #expect(TestServer.eventually {
            let client = TestClient(port: server.port)
            defer { client.close() }
            return Self.text(client.request("POST", "/v1/completions", json: #"{"prompt":"ab","max_tokens":5}"#)) != nil
        })
        // Connections beyond the limit get 503 at once (counted from none open).
        #expect(TestServer.eventually { server.openConnections == 0 })
        let open = (0..<4).map { _ in TestClient(port: server.port) }
        #expect(TestServer.eventually { server.openConnections == 4 })
        let extra = TestClient(port: server.port)
        #expect(extra.response()?.status == 503)
        withExtendedLifetime(open) {}
    }

    /// Stopping ends open streams with `[DONE]`, closes the connections and releases the port.
    @Test func stopEndsStreamsAndReleasesThePort() throws {
        let server = try TestServer.start()
        let port = server.port
        let streaming = TestClient(port: port)
        streaming.sendPost("/v1/completions", json: #"{"prompt":"ab","max_tokens":100000,"stream":true}"#)
        #expect(streaming.head()?.status == 200)
        let waiting = TestClient(port: port)
        #expect(waiting.request("GET", "/health")?.status == 200)
        #expect(TestServer.eventually { server.scheduler.load.active == 1 })
        let started = monotonicSeconds()
        server.stop()
        #expect(monotonicSeconds() - started < 5)
        #expect(streaming.readToEnd() && waiting.readToEnd())
        var configuration = ServerConfiguration()
        configuration.port = port
        let again = try Server(checkpoint: TestServer.checkpoint, name: "tiny", configuration: configuration)
        #expect(again.port == port)
    }

    /// The fuzzer's requests interleaved with good ones, over sockets: every bad one gets a 4xx/5xx or a close,
    /// every good one its answer.
    @Test func fuzzedRequestsNeverHurtTheGoodOnes() throws {
        let server = try TestServer.start { $0.http.headerSeconds = 1; $0.http.bodySeconds = 1 }
        defer { server.stop() }
        var rng = RandomGenerator(seed: 77)
        let good = "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
            + #"{"prompt":"ROMEO:","max_tokens":9,"n":2}"#
        let noise = Array(" \r\n:{}\"0123456789-eE.\u{FF}\u{0}".utf8) + [0xFF, 0xC3]
        for round in 0..<150 {
            var bytes = Array(good.utf8)
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                if rng.next() % 2 == 0 { bytes[at] = noise[Int(rng.next() % UInt64(noise.count))] } else { bytes.remove(at: at) }
            }
            let bad = TestClient(port: server.port, receiveTimeout: 5)
            bad.send(bytes)
            if let r = bad.response() { #expect(r.status == 200 || (400...505).contains(r.status), "round \(round)") }
            let ok = TestClient(port: server.port).request("POST", "/v1/completions", json: #"{"prompt":"ab","max_tokens":5}"#)
            #expect(ok?.status == 200, "round \(round)")
        }
        #expect(TestServer.eventually { server.scheduler.load.reserved == 0 })
    }
}
