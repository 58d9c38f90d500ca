import Foundation
import Synchronization
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// The real file system, except that the `failAt`-th write of a file whose name contains `matching` fails
/// with `ENOSPC` after writing half of its first chunk, as a full disk does.
final class DiskFullFileSystem: FileSystem {
    private struct State {
        var matchingCreates = 0
        var failing: Set<Int32> = []
    }

    let failAt: Int
    let matching: String
    private let state = Mutex(State())
    private let real = POSIXFileSystem()

    init(failAt: Int, matching: String) {
        self.failAt = failAt
        self.matching = matching
    }

    /// How many files matching ``matching`` were created so far.
    var matchingCreates: Int { state.withLock { $0.matchingCreates } }

    func create(_ path: String) throws(SystemCallError) -> Int32 {
        let fd = try real.create(path)
        state.withLock { s in
            guard path.contains(matching) else { return }
            s.matchingCreates += 1
            if s.matchingCreates == failAt { s.failing.insert(fd) }
        }
        return fd
    }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        let failing = state.withLock { s in s.failing.remove(descriptor) != nil }
        guard failing else { return try real.write(descriptor, bytes) }
        _ = try real.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes.prefix(bytes.count / 2)))
        throw SystemCallError(ENOSPC)
    }

    func sync(_ descriptor: Int32) throws(SystemCallError) { try real.sync(descriptor) }
    func close(_ descriptor: Int32) throws(SystemCallError) { try real.close(descriptor) }
    func rename(_ source: String, _ destination: String) throws(SystemCallError) { try real.rename(source, destination) }
    func remove(_ path: String) { real.remove(path) }
    func syncFolder(_ path: String) throws(SystemCallError) { try real.syncFolder(path) }
}
