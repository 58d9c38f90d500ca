import Synchronization

/// Asks a running ``TrainingRun/train(budget:stopToken:onProgress:)`` to stop, from any thread.
///
/// The run finishes the step it is in, saves `latest.safetensors` and returns with
/// ``TrainingOutcome/Reason-swift.enum/stopped``. ``requestStop()`` is one atomic store: it may be called from a
/// UI, another task, or a signal handler (the `charlstm` executable calls it when SIGINT or SIGTERM arrives).
///
/// ```swift
/// let stop = StopToken()
/// Task.detached { try run.train(budget: .unlimited, stopToken: stop) }
/// // later, e.g. from a button:
/// stop.requestStop()
/// ```
public final class StopToken: Sendable {
    private let requested = Atomic<Bool>(false)

    /// A token no stop has been requested of.
    public init() {}

    /// Asks the run to stop after its current step. Calling it again changes nothing.
    public func requestStop() {
        requested.store(true, ordering: .releasing)
    }

    /// Whether a stop was requested.
    public var isStopRequested: Bool {
        requested.load(ordering: .acquiring)
    }
}
