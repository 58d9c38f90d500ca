import CharLSTM
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
private func setAction(_ number: Int32, _ action: __sighandler_t?) { _ = Glibc.signal(number, action) }
#elseif canImport(Darwin)
import Darwin
private func setAction(_ number: Int32, _ action: sig_t?) { _ = Darwin.signal(number, action) }
#endif

/// Turns SIGINT and SIGTERM into a ``StopToken`` request, so that a training run finishes its step, saves and
/// returns instead of dying mid-write. Signals are the command line's business; the library only sees the token.
final class InterruptWatcher: @unchecked Sendable {
    private final class Flag: Sendable { let value = Atomic<Int32>(0) }
    private let flag = Flag()
    private let watched: [Int32]
    private let sources: [any DispatchSourceSignal]

    /// Starts watching; the signals no longer kill the process until ``stop()``. The first one requests `token` to stop.
    init(stopping token: StopToken, signals: [Int32] = [SIGINT, SIGTERM]) {
        watched = signals
        let flag = self.flag
        sources = signals.map { number in
            setAction(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                _ = flag.value.compareExchange(expected: 0, desired: number, ordering: .relaxed)
                token.requestStop()
            }
            source.resume()
            return source
        }
    }

    /// The first signal received, or nil.
    var received: Int32? {
        let s = flag.value.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Restores the default actions.
    func stop() {
        for source in sources { source.cancel() }
        for number in watched { setAction(number, SIG_DFL) }
    }
}
