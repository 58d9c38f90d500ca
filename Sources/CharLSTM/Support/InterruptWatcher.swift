import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
private func setAction(_ number: Int32, _ action: __sighandler_t?) { _ = Glibc.signal(number, action) }
#elseif canImport(Darwin)
import Darwin
private func setAction(_ number: Int32, _ action: sig_t?) { _ = Darwin.signal(number, action) }
#endif

/// Turns SIGINT and SIGTERM into a flag that a long loop polls, so it can finish its step, save and exit
/// cleanly instead of dying mid-write.
public final class InterruptWatcher: @unchecked Sendable {
    private final class Flag: Sendable { let value = Atomic<Int32>(0) }
    private let flag = Flag()
    private let watched: [Int32]
    private let sources: [any DispatchSourceSignal]

    /// Starts watching; the signals no longer kill the process until ``stop()``.
    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        watched = signals
        let flag = self.flag
        sources = signals.map { number in
            setAction(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { _ = flag.value.compareExchange(expected: 0, desired: number, ordering: .relaxed) }
            source.resume()
            return source
        }
    }

    /// The first signal received, or nil.
    public var received: Int32? {
        let s = flag.value.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Restores the default actions.
    public func stop() {
        for source in sources { source.cancel() }
        for number in watched { setAction(number, SIG_DFL) }
    }
}
