#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: its `errno`.
package struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    package let code: Int32
    package init(_ code: Int32) { self.code = code }
    /// `strerror(code)`, e.g. "No space left on device".
    package var description: String { String(cString: strerror(code)) }
}

/// The file-system calls ``AtomicFile`` makes to write a file, so tests can inject failures.
package protocol FileSystem: Sendable {
    /// Creates a new file at `path` for writing (mode 0644 before the umask) and returns its descriptor. The
    /// file must not exist: anything already at `path`, a symbolic link included (which is not followed),
    /// fails with `EEXIST`.
    func create(_ path: String) throws(SystemCallError) -> Int32
    /// Writes a prefix of `bytes` and returns its length (at least 1 when `bytes` is not empty).
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int
    /// Flushes the file's data and metadata to the device (`fsync`).
    func sync(_ descriptor: Int32) throws(SystemCallError)
    func close(_ descriptor: Int32) throws(SystemCallError)
    /// Atomically replaces `destination` with `source`.
    func rename(_ source: String, _ destination: String) throws(SystemCallError)
    /// Removes a file, ignoring failure.
    func remove(_ path: String)
    /// Flushes a folder's entries to the device, making a rename in it durable.
    func syncFolder(_ path: String) throws(SystemCallError)
}

/// The real file system, through POSIX calls.
package struct POSIXFileSystem: FileSystem {
    package init() {}

    /// `open` with `O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC`: never opens an existing file, and never
    /// writes through a symbolic link planted at `path`.
    package func create(_ path: String) throws(SystemCallError) -> Int32 {
        guard !FilePath(path).containsNUL else { throw SystemCallError(EINVAL) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError(errno) }
        return fd
    }

    package func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        while true {
            let n = systemWrite(descriptor, bytes.baseAddress, bytes.count)
            if n > 0 || bytes.isEmpty { return max(n, 0) }
            if n == 0 { throw SystemCallError(EIO) }
            if errno != EINTR { throw SystemCallError(errno) }
        }
    }

    package func sync(_ descriptor: Int32) throws(SystemCallError) {
        guard fsync(descriptor) == 0 else { throw SystemCallError(errno) }
    }

    package func close(_ descriptor: Int32) throws(SystemCallError) {
        guard systemClose(descriptor) == 0 else { throw SystemCallError(errno) }
    }

    package func rename(_ source: String, _ destination: String) throws(SystemCallError) {
        guard systemRename(source, destination) == 0 else { throw SystemCallError(errno) }
    }

    package func remove(_ path: String) { Files.remove(path) }

    package func syncFolder(_ path: String) throws(SystemCallError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(errno) }
        defer { _ = systemClose(fd) }
        // Some file systems cannot sync folders and say so with EINVAL; there is nothing more to do there.
        guard fsync(fd) == 0 || errno == EINVAL else { throw SystemCallError(errno) }
    }
}

private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { write(fd, p, n) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemRename(_ a: String, _ b: String) -> Int32 { rename(a, b) }
