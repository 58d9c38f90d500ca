import CharLSTMKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CharLSTM

/// What a ``Server`` serves and the limits it keeps.
public struct ServerConfiguration: Sendable {
    /// The address to bind: loopback by default, so only this machine can connect.
    public var host = "127.0.0.1"
    /// The port; 0 lets the system choose a free one (see ``Server/port``).
    public var port = 8080
    /// Streams generated at once (the batch's size); requests beyond wait for none: they get 503.
    public var maxStreams = 64
    /// Connections open at once; one more is answered 503 and closed.
    public var maxConnections = 256
    /// When set, `/v1/…` requests must carry `Authorization: Bearer <key>` (compared in constant time).
    public var apiKey: String?
    /// Threads the batched step may use.
    public var threads = 1
    /// How the weights are stored while generating (``WeightPrecision``; as `generate` stores them, so that a seed
    /// gives the same text).
    public var weights = WeightPrecision.f32
    /// Where the batched step's measured sharing between threads is remembered (``PlanCache``); nil measures it
    /// at every start.
    public var planCache: PlanCache?
    public var http = HTTPLimits()
    var completions = CompletionRequest.Limits()

    public init() {}
}

/// A local HTTP/1.1 server for one text model: OpenAI's completions API (streamed as Server-Sent Events or
/// whole), `/v1/models`, `/health` and a playground page at `/`.
///
/// One thread accepts connections, one thread per connection reads its requests and writes its responses
/// (keep-alive, pipelining, chunked bodies, `Expect: 100-continue`), and one scheduler thread owns the
/// ``GenerationBatch`` in which every stream of every request advances together, one batched step per character.
/// Limits and timeouts are ``HTTPLimits`` and ``ServerConfiguration``; a client that goes away ends its streams
/// at once. ``stop()`` ends open streams, closes every connection and releases the port.
///
/// Sendable (checked by hand): its mutable fields are touched holding its monitor; the others never change.
public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    /// The model's name in the API (`model`, `/v1/models`).
    public let modelName: String
    let scheduler: GenerationScheduler
    let config: ModelConfig
    private let listener: Listener
    private let monitor = Monitor()
    let startedAt = Int(time(nil))
    // Under the monitor's lock:
    private var connections: [Int32: Connection] = [:]
    /// Connections handling a request now (the others wait for one, and can be closed at once when stopping).
    private var busy: Set<Int32> = []
    private var stopping = false
    private var acceptRunning = false

    /// Binds the address and readies the model; ``start()`` begins serving. Throws `.usage` for a bad host,
    /// `.unavailable` when the port cannot be had.
    public init(checkpoint: Checkpoint, name: String, configuration: ServerConfiguration) throws(CharLSTMError) {
        self.configuration = configuration
        modelName = name
        config = checkpoint.config
        let batch = try GenerationBatch(model: checkpoint.textModel(for: "serving text"), capacity: configuration.maxStreams,
                                        threads: configuration.threads, weights: configuration.weights)
        batch.planSteps(cache: configuration.planCache)
        scheduler = GenerationScheduler(batch: batch)
        listener = try Listener(host: configuration.host, port: configuration.port)
    }

    /// The name a checkpoint is served under: its run folder's name for `best`/`latest.safetensors` (the
    /// pretrained model is `pretrained`), else the file's name without `.safetensors`.
    public static func modelName(forCheckpointAt path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        guard var file = parts.last else { return "model" }
        if (file == "best.safetensors" || file == "latest.safetensors"), parts.count >= 2 { return parts[parts.count - 2] }
        if file.hasSuffix(".safetensors") { file.removeLast(".safetensors".count) }
        return file.isEmpty ? "model" : file
    }

    /// The port listened on.
    public var port: Int { listener.port }
    /// `http://127.0.0.1:8080`.
    public var url: String { "http://\(listener.urlHost):\(listener.port)" }
    /// Whether only this machine can connect.
    public var isLoopback: Bool { listener.isLoopback }
    /// Connections open now.
    public var openConnections: Int { monitor.locked { connections.count } }

    /// Starts the scheduler and the accept thread and returns.
    public func start() throws(CharLSTMError) {
        try scheduler.start()
        monitor.locked { acceptRunning = true }
        guard startThread(named: "charlstm-accept", { [self] in acceptLoop() }) else {
            throw .unavailable("cannot start the accept thread")
        }
    }

    /// Stops serving: no new connections, open streams end (a streamed response gets its `[DONE]`), every
    /// connection closes, the port is released. Returns when all that is done (at most a few seconds).
    public func stop() {
        monitor.locked { stopping = true }
        listener.interrupt()
        scheduler.stop()
        // Streams have ended: connections between requests close now, the others once their answer is out
        // (at most a few seconds), then whatever is left.
        let deadline = monotonicSeconds() + 3
        while monotonicSeconds() < deadline {
            let (idle, left, accepting) = monitor.locked {
                (connections.filter { !busy.contains($0.key) }.map(\.value), connections.count, acceptRunning)
            }
            for connection in idle { connection.shutdownBoth() }
            if left == 0 && !accepting { break }
            usleep(5_000)
        }
        for connection in monitor.locked({ Array(connections.values) }) { connection.shutdownBoth() }
        let hard = monotonicSeconds() + 3
        while monitor.locked({ connections.count > 0 || acceptRunning }) && monotonicSeconds() < hard { usleep(5_000) }
        listener.close()
    }

    /// Marks a connection as handling a request (true) or waiting for its next one (false).
    func setBusy(_ connection: Connection, _ isBusy: Bool) {
        monitor.locked {
            if isBusy { busy.insert(connection.fd) } else { busy.remove(connection.fd) }
        }
    }

    var isStopping: Bool { monitor.locked { stopping } }

    private func acceptLoop() {
        defer { monitor.locked { acceptRunning = false } }
        while let fd = listener.accept() {
            let connection = Connection(fd: fd)
            let admitted = monitor.locked { () -> Bool in
                guard !stopping, connections.count < configuration.maxConnections else { return false }
                connections[fd] = connection
                return true
            }
            guard admitted else {
                refuse(connection, "too many open connections (at most \(configuration.maxConnections)); try again shortly")
                continue
            }
            let started = startThread(named: "charlstm-conn") { [self] in
                var handler = ConnectionHandler(server: self, connection: connection)
                handler.run()
                monitor.locked {
                    connections[fd] = nil
                    busy.remove(fd)
                }
                connection.lingeringClose()
            }
            if !started {
                monitor.locked { connections[fd] = nil }
                refuse(connection, "the server cannot take another connection now; try again shortly")
            }
        }
    }

    /// Answers 503 without reading the request (best effort, never waiting long) and closes.
    private func refuse(_ connection: Connection, _ message: String) {
        let error = APIError.busy(message)
        let response = HTTPResponse(status: 503, contentType: "application/json", body: Array(error.json.encoded.utf8),
                                    headers: error.headers)
        try? connection.write(response.bytes(keepAlive: false), deadline: monotonicSeconds() + 0.5)
        connection.close()
    }

    /// Whether `presented` (an `Authorization` value) carries the key; constant time in the key's content.
    func authorizes(_ presented: String?) -> Bool {
        guard let key = configuration.apiKey else { return true }
        guard let presented, presented.utf8.count > 7,
              presented.utf8.prefix(7).map({ $0 | 0x20 }).elementsEqual("bearer ".utf8) else { return false }
        return Self.constantTimeEqual(Array(presented.utf8.dropFirst(7)), Array(key.utf8))
    }

    /// Equal bytes, compared in time that depends on the lengths only, not on where they differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }

    /// Whether the `Host` a request names is this server's when it listens on loopback only (so a web page that
    /// rebinds its own name to 127.0.0.1 cannot read the answers: a defence against DNS rebinding).
    func acceptsHost(_ host: String?) -> Bool {
        guard listener.isLoopback, let host else { return true }
        var name = host.lowercased()
        if name.hasPrefix("[") {
            name = String(name.prefix { $0 != "]" }.dropFirst())
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        return name == "localhost" || name.hasSuffix(".localhost") || name.hasPrefix("127.") || name == "::1"
            || name == listener.host.lowercased()
    }
}
