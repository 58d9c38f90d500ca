#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CharLSTM

/// One connection's life: read a request (within the time limits), answer it, and again while the connection is
/// kept alive. Requests are answered in order (pipelined ones wait in the parser's buffer). A malformed or
/// oversized request is answered with its 4xx and the connection closes; a client that goes away, or stalls
/// past a limit, is dropped.
struct ConnectionHandler {
    let server: Server
    let connection: Connection
    private var parser: HTTPParser
    private var limits: HTTPLimits { server.configuration.http }

    init(server: Server, connection: Connection) {
        self.server = server
        self.connection = connection
        parser = HTTPParser(limits: server.configuration.http)
    }

    /// What to do after a response.
    enum Outcome { case keepAlive, close }

    mutating func run() {
        while !server.isStopping {
            let request: HTTPRequest
            do {
                guard let next = try readRequest() else { return }
                request = next
            } catch let failure as HTTPFailure {
                send(APIError.http(failure), keepAlive: false, headOnly: false)
                return
            } catch {
                return
            }
            server.setBusy(connection, true)
            let outcome = route(request)
            server.setBusy(connection, false)
            if outcome == .close || !request.keepAlive { return }
        }
    }

    /// The next request, or nil when the client closed between requests or stayed idle too long. Throws an
    /// ``HTTPFailure`` to answer (408 for a request that stalled), or a ``SocketFailure`` to just close.
    private mutating func readRequest() throws -> HTTPRequest? {
        let waitStart = monotonicSeconds()
        var headStart: Double?, bodyStart: Double?, sentContinue = false
        while true {
            if case .request(let request) = try parser.next() { return request }
            let now = monotonicSeconds()
            if !parser.isIdle && headStart == nil { headStart = now }
            if let head = parser.headAwaitingBody {
                if bodyStart == nil { bodyStart = now }
                if head.expectsContinue && !sentContinue {
                    sentContinue = true
                    try connection.write("HTTP/1.1 100 Continue\r\n\r\n", deadline: now + limits.writeSeconds)
                }
            }
            let deadline = bodyStart.map { $0 + limits.bodySeconds }
                ?? headStart.map { $0 + limits.headerSeconds } ?? waitStart + limits.idleSeconds
            var bytes: [UInt8] = []
            do {
                try connection.read(into: &bytes, limit: 65_536, deadline: deadline)
            } catch .timedOut {
                if parser.isIdle { return nil }
                throw HTTPFailure(408, "the request did not arrive in time")
            } catch {
                if parser.isIdle { return nil }
                throw error
            }
            parser.append(bytes)
        }
    }

    // MARK: Routes

    private mutating func route(_ request: HTTPRequest) -> Outcome {
        let keepAlive = request.keepAlive
        let headOnly = request.method == "HEAD"
        guard server.acceptsHost(request.headers["host"]) else {
            send(APIError(status: 403, message: "this server answers requests for localhost only, not for host '\(request.headers["host"]!.prefix(100))'",
                          type: "invalid_request_error", param: nil, code: "host_not_allowed"), keepAlive: keepAlive, headOnly: headOnly)
            return .keepAlive
        }
        func only(_ methods: [String]) -> Bool {
            if methods.contains(request.method) || (request.method == "HEAD" && methods.contains("GET")) { return true }
            send(APIError.methodNotAllowed(request.method, allowed: methods.contains("GET") ? methods + ["HEAD"] : methods),
                 keepAlive: keepAlive, headOnly: headOnly)
            return false
        }
        let path = request.path
        if path.hasPrefix("/v1/") && !server.authorizes(request.headers["authorization"]) {
            send(.unauthorized, keepAlive: keepAlive, headOnly: headOnly)
            return .keepAlive
        }
        switch path {
        case "/", "/index.html":
            guard only(["GET"]) else { return .keepAlive }
            sendBody(PlaygroundPage.html(server: server), contentType: "text/html; charset=utf-8", keepAlive: keepAlive,
                     headOnly: headOnly, extra: [("Content-Security-Policy", PlaygroundPage.contentSecurityPolicy),
                                                 ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")])
        case "/health":
            guard only(["GET"]) else { return .keepAlive }
            let load = server.scheduler.load
            sendJSON(.object(["status": .string("ok"), "model": .string(server.modelName),
                              "streams": .object(["active": .int(load.active), "reserved": .int(load.reserved),
                                                  "capacity": .int(server.scheduler.capacity)]),
                              "connections": .int(server.openConnections), "steps": .int(load.steps),
                              "characters": .int(load.characters),
                              "auth": .bool(server.configuration.apiKey != nil)]),
                     keepAlive: keepAlive, headOnly: headOnly)
        case "/v1/models":
            guard only(["GET"]) else { return .keepAlive }
            sendJSON(.object(["object": .string("list"), "data": .array([modelObject])]), keepAlive: keepAlive, headOnly: headOnly)
        case "/v1/models/" + server.modelName:
            guard only(["GET"]) else { return .keepAlive }
            sendJSON(modelObject, keepAlive: keepAlive, headOnly: headOnly)
        case "/v1/completions":
            guard only(["POST"]) else { return .keepAlive }
            return completions(request)
        default:
            if path.hasPrefix("/v1/models/") {
                send(APIError(status: 404, message: "the model '\(path.dropFirst(11).prefix(100))' does not exist; this server serves '\(server.modelName)'",
                              type: "invalid_request_error", param: "model", code: "model_not_found"), keepAlive: keepAlive, headOnly: headOnly)
            } else {
                send(.notFound(String(path.prefix(200))), keepAlive: keepAlive, headOnly: headOnly)
            }
        }
        return .keepAlive
    }

    private var modelObject: JSONValue {
        let c = server.config
        return .object(["id": .string(server.modelName), "object": .string("model"), "created": .int(server.startedAt),
                        "owned_by": .string("charlstm"),
                        "charlstm": .object(["cell": .string(c.cell.rawValue), "layers": .int(c.layers),
                                             "hidden": .int(c.hidden), "vocabulary": .int(c.vocabularySize)])])
    }

    // MARK: Completions

    private mutating func completions(_ request: HTTPRequest) -> Outcome {
        let keepAlive = request.keepAlive
        let type = request.headers["content-type"]?.lowercased() ?? ""
        guard type.split(separator: ";").first?.trimmingSpaces() == "application/json" else {
            send(APIError(status: 415, message: "send the body as JSON with 'Content-Type: application/json'",
                          type: "invalid_request_error", param: nil, code: "unsupported_media_type"), keepAlive: keepAlive)
            return .keepAlive
        }
        let parameters: CompletionRequest
        do {
            parameters = try CompletionRequest(body: request.body, model: server.modelName, vocabulary: server.scheduler.vocabulary,
                                               limits: server.configuration.completions, maxStreams: server.scheduler.capacity)
        } catch {
            send(error, keepAlive: keepAlive)
            return .keepAlive
        }
        let seed = parameters.seed ?? TextGenerator.freshSeed()
        let prime = parameters.prompt.isEmpty ? server.scheduler.vocabulary.freshLinePrime : parameters.prompt
        let outputs: [StreamOutput]
        do {
            var requests: [GenerationRequest] = []
            for i in 0..<parameters.n {
                requests.append(try GenerationRequest(prime: prime, sampler: parameters.sampler, seed: seed &+ UInt64(i),
                                                      length: parameters.maxTokens, stops: parameters.stops))
            }
            outputs = try server.scheduler.submit(requests)
        } catch {
            send(error.kind == .usage ? .invalid(nil, error.message) : .busy(error.message), keepAlive: keepAlive)
            return .keepAlive
        }
        let id = "cmpl-" + Self.randomHex(24), created = Int(time(nil))
        var exchange = CompletionExchange(handler: self, outputs: outputs, parameters: parameters, id: id, created: created,
                                          seed: seed, keepAlive: keepAlive, http10: request.minorVersion == 0)
        let outcome = exchange.run()
        parser = exchange.parser
        return outcome
    }

    static func randomHex(_ count: Int) -> String {
        var system = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &system)! })
    }

    // MARK: Sending

    func send(_ error: APIError, keepAlive: Bool, headOnly: Bool = false) {
        sendBody(error.json.encoded, contentType: "application/json", keepAlive: keepAlive, headOnly: headOnly,
                 status: error.status, extra: error.headers)
    }

    func sendJSON(_ value: JSONValue, keepAlive: Bool, headOnly: Bool = false, extra: [(String, String)] = []) {
        sendBody(value.encoded, contentType: "application/json", keepAlive: keepAlive, headOnly: headOnly, extra: extra)
    }

    func sendBody(_ text: String, contentType: String, keepAlive: Bool, headOnly: Bool, status: Int = 200,
                  extra: [(String, String)] = []) {
        let response = HTTPResponse(status: status, contentType: contentType, body: Array(text.utf8), headers: extra)
        try? connection.write(response.bytes(keepAlive: keepAlive, headOnly: headOnly),
                              deadline: monotonicSeconds() + limits.writeSeconds)
    }

    /// The parser, for a completion exchange that reads pipelined bytes while it streams.
    var currentParser: HTTPParser { parser }
}
