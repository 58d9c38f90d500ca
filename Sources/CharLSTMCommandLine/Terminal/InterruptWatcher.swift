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
/// returns instead of dying mid-write. A second signal calls `onRepeat` at once, mid-step (a step of a large
/// model, or of a debug build, can take minutes): the command says what is on disk and exits. Signals are the
/// command line's business; the library only sees the token.
final class InterruptWatcher {
    private final class Flag: Sendable {
        let first = Atomic<Int32>(0)
        let count = Atomic<Int>(0)
    }
    private let flag = Flag()
    private let watched: [Int32]
    private let sources: [any DispatchSourceSignal]

    /// Starts watching; the signals no longer kill the process until ``stop()``. The first one requests `token` to
    /// stop; the second (of either kind) calls `onRepeat` with its number, on a thread of its own.
    init(stopping token: StopToken, signals: [Int32] = [SIGINT, SIGTERM],
         onRepeat: @escaping @Sendable (Int32) -> Void = { _ in }) {
        watched = signals
        let flag = self.flag
        sources = signals.map { number in
            setAction(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                _ = flag.first.compareExchange(expected: 0, desired: number, ordering: .relaxed)
                // A signal source coalesces signals that arrive before its handler runs: count the data too.
                let received = max(1, Int(source.data))
                if flag.count.add(received, ordering: .relaxed).newValue >= 2 { onRepeat(number) }
                token.requestStop()
            }
            source.resume()
            return source
        }
    }

    /// The first signal received, or nil.
    var received: Int32? {
        let s = flag.first.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Restores the default actions.
    func stop() {
        for source in sources { source.cancel() }
        for number in watched { setAction(number, SIG_DFL) }
    }
}
