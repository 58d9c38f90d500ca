#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The lock that makes one process at a time the writer of a training run's folder.
///
/// It is an advisory `flock` on the file ``fileName`` in the folder, which holds the owner's process id. The
/// kernel drops the lock when its process ends in any way, `kill -9` included, so a stale lock file never
/// blocks a later run: only a live owner does. Readers (`generate`, `eval`, `info`, `export`) take no lock.
/// The owner removes the file when it lets go; the file is hidden and touches no other rule of the folder.
package final class RunFolderLock {
    /// The lock file's name inside the run folder.
    package static let fileName = ".train.lock"

    package let folder: String
    private let lockPath: String
    private var descriptor: Int32

    /// Throws `.busy`, naming the folder and the owner's process id, when another process holds the lock of
    /// `folder`; creates and changes nothing. A missing folder or lock file is free.
    package static func checkFree(_ folder: String) throws(CharLSTMError) {
        let path = FilePath(folder).appending(fileName).string
        guard !FilePath(path).containsNUL else { return }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return }
        defer { _ = close(fd) }
        // A shared probe: it conflicts with an owner's exclusive lock, not with other probes.
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK { throw busy(folder, owner: ownerID(fd)) }
            return
        }
        _ = flock(fd, LOCK_UN)
    }

    /// Takes the lock of the existing folder `folder`, creating its lock file and writing this process's id
    /// into it. Throws `.busy` when another process holds it, `.cannotCreate` when the lock file cannot be made.
    package init(folder: String) throws(CharLSTMError) {
        self.folder = folder
        lockPath = FilePath(folder).appending(Self.fileName).string
        descriptor = -1
        // A probe of checkFree holds a shared lock for a moment; a few retries step over it.
        let attempts = 20
        for attempt in 0..<attempts {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
            guard fd >= 0 else {
                throw .cannotCreate("cannot create the lock file '\(lockPath)': \(SystemCallError(errno))")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                let owner = Self.ownerID(fd)
                _ = close(fd)
                guard code == EWOULDBLOCK else {
                    throw .cannotCreate("cannot lock '\(lockPath)': \(SystemCallError(code))")
                }
                if attempt < attempts - 1 {
                    usleep(5_000)
                    continue
                }
                throw Self.busy(folder, owner: owner)
            }
            // The previous owner may have removed the file between our open and our lock: then this lock
            // guards nothing, and the file at the path (if any) is the one to lock.
            var held = stat(), current = stat()
            guard fstat(fd, &held) == 0, lstat(lockPath, &current) == 0,
                  held.st_dev == current.st_dev, held.st_ino == current.st_ino else {
                _ = close(fd)
                continue
            }
            let id = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = id.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            descriptor = fd
            return
        }
        throw .busy("cannot lock '\(lockPath)': it keeps being replaced; is another program using the folder?")
    }

    deinit { release() }

    /// Removes the lock file and lets go of the lock; later calls do nothing.
    package func release() {
        guard descriptor >= 0 else { return }
        // Removed while still held, so that no other process can lock the file just before it goes.
        unlink(lockPath)
        _ = close(descriptor)
        descriptor = -1
    }

    /// The process id written in the lock file open at `fd`, if there is a plausible one.
    private static func ownerID(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 24)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: bytes.prefix(n), as: UTF8.self)
        return Int32(text.prefix { $0 != "\n" }).flatMap { $0 > 0 ? $0 : nil }
    }

    private static func busy(_ folder: String, owner: Int32?) -> CharLSTMError {
        .busy("'\(folder)' is in use by another training process\(owner.map { " (pid \($0))" } ?? ""): wait for it to "
            + "end or stop it, then try again, or train into another \(setting: .folder)")
    }
}
