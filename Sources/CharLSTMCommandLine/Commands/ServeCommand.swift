#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization
import CharLSTM
import CharLSTMServer

/// `charlstm serve`: loads the checkpoint, prints the address, serves until SIGINT or SIGTERM, then stops cleanly
/// (open streams end, connections close, the port is released) and exits 0.
struct ServeCommand {
    let options: ServeOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try Paths.checkpointToSample(options.checkpoint)
        let checkpoint = try Checkpoint.load(path: path)
        var configuration = ServerConfiguration()
        configuration.host = options.host
        configuration.port = options.port
        configuration.maxStreams = options.maxStreams
        configuration.weights = options.weights.precision(for: checkpoint.config)
        configuration.maxConnections = options.maxConnections
        configuration.apiKey = options.apiKey
        configuration.threads = options.threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        configuration.planCache = Paths.planCache()
        let name = Server.modelName(forCheckpointAt: path)
        let server = try Server(checkpoint: checkpoint, name: name, configuration: configuration)
        // Signals become a stop request before the server starts, so none is lost.
        let stop = StopSignal()
        try server.start()
        try console.err.write("serving '\(path)' as model '\(name)' (\(options.maxStreams) streams at once)\n")
        if !server.isLoopback {
            try console.err.write("warning: listening on \(options.host): anyone who can reach port \(server.port) can use this server"
                                  + (options.apiKey == nil ? "; protect it with --api-key" : "") + "\n")
        }
        try console.out.write("listening on \(server.url)  (playground: \(server.url)/, API: \(server.url)/v1)\n")
        try console.out.flush()
        try console.err.flush()
        let signal = stop.wait()
        try console.err.write("\(signal == SIGINT ? "interrupted" : "terminated"): stopping; open streams end\n")
        try console.err.flush()
        server.stop()
        stop.restore()
        return 0
    }
}

/// SIGINT and SIGTERM turned into a wake-up of ``wait()`` (they no longer kill the process meanwhile).
/// @unchecked Sendable: the handlers, on Dispatch's threads, touch only the atomic and the semaphore; `sources` is
/// the command thread's.
private final class StopSignal: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let received = Atomic<Int32>(0)
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for signalNumber in [SIGINT, SIGTERM] {
            _ = Glibc.signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                if received.compareExchange(expected: 0, desired: signalNumber, ordering: .relaxed).exchanged {
                    semaphore.signal()
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Blocks until the first signal; returns its number.
    func wait() -> Int32 {
        semaphore.wait()
        return received.load(ordering: .relaxed)
    }

    func restore() {
        for source in sources { source.cancel() }
        for signalNumber in [SIGINT, SIGTERM] { _ = Glibc.signal(signalNumber, SIG_DFL) }
    }
}
