#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CharLSTM

/// The one thread that owns the ``GenerationBatch``: it admits the streams requests ask for, runs batched steps
/// while any stream is active, hands each generated character to its stream's ``StreamOutput``, and drops the
/// streams whose clients went away. Connection threads only ever touch their outputs and the join and cancel
/// queues, under a lock; the batch is the scheduler thread's alone.
/// @unchecked Sendable: the fields marked so are touched holding the monitor; the batch and `outputs` by the scheduler thread only.
final class GenerationScheduler: @unchecked Sendable {
    let vocabulary: Vocabulary
    let capacity: Int
    private let monitor = Monitor()
    private let batch: GenerationBatch
    // Under the monitor's lock:
    private var reserved = 0
    private var joining: [StreamOutput] = []
    private var cancelled: [StreamOutput] = []
    private var stopping = false
    private var running = false
    private var activeCount = 0
    private var stepCount = 0
    private var characterCount = 0
    // The scheduler thread's own:
    private var outputs: [GenerationBatch.StreamID: StreamOutput] = [:]

    init(batch: GenerationBatch) {
        self.batch = batch
        vocabulary = batch.vocabulary
        capacity = batch.capacity
    }

    /// Streams generating, streams generating or waiting to join, and the steps run and characters generated so far.
    var load: (active: Int, reserved: Int, steps: Int, characters: Int) {
        monitor.locked { (activeCount, reserved, stepCount, characterCount) }
    }

    /// Starts the scheduler thread.
    func start() throws(CharLSTMError) {
        monitor.locked { running = true }
        guard startThread(named: "charlstm-gen", stackBytes: 1 << 20, { [self] in run() }) else {
            throw .unavailable("cannot start the generation thread")
        }
    }

    /// Queues one stream per request, all or none: throws `.busy` when fewer than `requests.count` slots are free.
    /// The requests' primes must hold only characters of the vocabulary (checked by the caller, who answers 400).
    func submit(_ requests: [GenerationRequest]) throws(CharLSTMError) -> [StreamOutput] {
        try monitor.locked { () throws(CharLSTMError) -> [StreamOutput] in
            guard !stopping else { throw .unavailable("the server is stopping") }
            guard reserved + requests.count <= capacity else {
                throw .busy("all \(capacity) generation streams are busy; try again shortly")
            }
            var made: [StreamOutput] = []
            for request in requests { made.append(try StreamOutput(request: request)) }
            reserved += made.count
            joining += made
            monitor.broadcast()
            return made
        }
    }

    /// Ends a stream at once (its client went away, or its response is done); harmless for a finished one.
    func cancel(_ output: StreamOutput) {
        monitor.locked {
            cancelled.append(output)
            monitor.broadcast()
        }
    }

    /// Ends every stream (each output finishes without a reason) and the thread; returns once the thread is done.
    func stop() {
        monitor.locked {
            stopping = true
            monitor.broadcast()
        }
        let deadline = monotonicSeconds() + 10
        while monitor.locked({ running }) && monotonicSeconds() < deadline { usleep(1000) }
    }

    private func run() {
        while true {
            var admit: [StreamOutput] = [], drop: [StreamOutput] = []
            let stop = monitor.locked { () -> Bool in
                while !stopping && joining.isEmpty && cancelled.isEmpty && batch.isEmpty { monitor.wait(seconds: 1) }
                swap(&admit, &joining)
                swap(&drop, &cancelled)
                return stopping
            }
            if stop { break }
            for output in drop {
                if let id = output.streamID, batch.contains(id) {
                    batch.remove(id)
                    outputs[id] = nil
                    release(output, reason: nil)
                } else {
                    output.cancelledBeforeStart = true
                }
            }
            for output in admit {
                if output.cancelledBeforeStart {
                    release(output, reason: nil)
                    continue
                }
                do {
                    let id = try batch.add(output.request)
                    output.streamID = id
                    outputs[id] = output
                } catch {
                    release(output, reason: nil)
                }
            }
            var characters = 0
            batch.step { event in
                guard let output = outputs[event.stream] else { return }
                if event.character != nil { characters += 1 }
                if event.finish != nil {
                    // The slot is free before the client hears of the end, so its next request finds it free.
                    outputs[event.stream] = nil
                    monitor.locked { reserved -= 1 }
                }
                output.deliver(event.character, finish: event.finish)
            }
            let active = batch.count
            monitor.locked {
                activeCount = active
                stepCount += 1
                characterCount += characters
            }
        }
        // Stopping: every stream ends.
        for (id, output) in outputs {
            batch.remove(id)
            release(output, reason: nil)
        }
        outputs = [:]
        monitor.locked {
            for output in joining { output.deliver(nil, finish: nil, ended: true) }
            reserved = 0
            joining = []
            activeCount = 0
            running = false
        }
    }

    /// Ends an output without a finish reason and frees its slot.
    private func release(_ output: StreamOutput, reason: FinishReason?) {
        monitor.locked { reserved -= 1 }
        output.deliver(nil, finish: reason, ended: true)
    }
}

/// Where the scheduler puts one stream's characters for its connection thread, which waits on ``waitFD`` (a pipe
/// that becomes readable when there is news) together with its socket.
/// @unchecked Sendable: the fields marked so are touched holding its monitor; `streamID` and `cancelledBeforeStart` by
/// the scheduler thread only.
final class StreamOutput: @unchecked Sendable {
    let request: GenerationRequest
    /// Set and read by the scheduler thread only.
    var streamID: GenerationBatch.StreamID?
    var cancelledBeforeStart = false
    private let monitor = Monitor()
    // Under the lock:
    private var pending: [Unicode.Scalar] = []
    private var finish: FinishReason?
    private var ended = false
    private var signalled = false
    private let pipeFDs: (read: Int32, write: Int32)

    init(request: GenerationRequest) throws(CharLSTMError) {
        self.request = request
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw .unavailable("cannot create a pipe: out of file descriptors") }
        for fd in ends { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        pipeFDs = (ends[0], ends[1])
    }

    deinit {
        _ = Glibc.close(pipeFDs.read)
        _ = Glibc.close(pipeFDs.write)
    }

    /// Readable while there is news for ``take()``.
    var waitFD: Int32 { pipeFDs.read }

    /// Called by the scheduler: a character, and/or the end.
    func deliver(_ character: Unicode.Scalar?, finish: FinishReason?, ended: Bool = false) {
        monitor.locked {
            if let character { pending.append(character) }
            if finish != nil || ended {
                self.finish = finish
                self.ended = true
            }
            if !signalled {
                signalled = true
                var byte: UInt8 = 1
                _ = Glibc.write(pipeFDs.write, &byte, 1)
            }
        }
    }

    /// The characters since the last call, and whether (and why) the stream has ended.
    func take() -> (characters: [Unicode.Scalar], ended: Bool, finish: FinishReason?) {
        monitor.locked {
            var drain = [UInt8](repeating: 0, count: 16)
            while Glibc.read(pipeFDs.read, &drain, 16) > 0 {}
            signalled = false
            defer { pending.removeAll(keepingCapacity: true) }
            return (pending, ended, finish)
        }
    }
}
