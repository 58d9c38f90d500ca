#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A failed system call: its `errno`.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int32
    public init(_ code: Int32) { self.code = code }
    /// `strerror(code)`, e.g. "No space left on device".
    public var description: String { String(cString: strerror(code)) }
}

/// The file-system calls ``AtomicFile/write(_:to:fileSystem:)`` makes, so tests can inject failures.
public protocol FileSystem: Sendable {
    /// Creates or truncates `path` for writing (mode 0644 before the umask) and returns its descriptor.
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
public struct POSIXFileSystem: FileSystem {
    public init() {}

    public func create(_ path: String) throws(SystemCallError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError(errno) }
        return fd
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        while true {
            let n = systemWrite(descriptor, bytes.baseAddress, bytes.count)
            if n > 0 || bytes.isEmpty { return max(n, 0) }
            if n == 0 { throw SystemCallError(EIO) }
            if errno != EINTR { throw SystemCallError(errno) }
        }
    }

    public func sync(_ descriptor: Int32) throws(SystemCallError) {
        guard fsync(descriptor) == 0 else { throw SystemCallError(errno) }
    }

    public func close(_ descriptor: Int32) throws(SystemCallError) {
        guard systemClose(descriptor) == 0 else { throw SystemCallError(errno) }
    }

    public func rename(_ source: String, _ destination: String) throws(SystemCallError) {
        guard systemRename(source, destination) == 0 else { throw SystemCallError(errno) }
    }

    public func remove(_ path: String) { unlink(path) }

    public func syncFolder(_ path: String) throws(SystemCallError) {
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

/// Whole-file reads with clear errors, and crash-safe whole-file writes.
public enum AtomicFile {
    /// Distinguishes temporary files of concurrent writes within one process.
    private static let counter = Atomic<Int>(0)

    /// The temporary file a write to `path` goes through: a hidden sibling, unique to this process and call.
    static func temporaryPath(for path: String) -> String {
        let name = split(path).name
        let folderPrefix = path.dropLast(name.utf8.count)
        let n = counter.add(1, ordering: .relaxed).newValue
        return folderPrefix + ".\(name).tmp-\(getpid())-\(n)"
    }

    /// The folder and file name of `path`; the folder is "." for a bare name.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// Replaces the file at `path` with `bytes` so that, whatever happens, `path` holds either its old complete
    /// contents or the new ones: the bytes go to a temporary file in the same folder, which is synced, renamed
    /// over `path`, and the folder synced. On failure the temporary file is removed, `path` is untouched, and a
    /// `CharLSTMError` names the path and the system's reason (`.cannotCreate` when the temporary file cannot
    /// be created, `.io` for a failed write, sync or rename).
    public static func write(_ bytes: [UInt8], to path: String,
                             fileSystem: some FileSystem = POSIXFileSystem()) throws {
        let temporary = temporaryPath(for: path)
        let fd: Int32
        do {
            fd = try fileSystem.create(temporary)
        } catch {
            throw CharLSTMError.cannotCreate("cannot write '\(path)': cannot create '\(temporary)': \(error)")
        }
        var renamed = false
        defer { if !renamed { fileSystem.remove(temporary) } }
        do {
            try bytes.withUnsafeBytes { all in
                var done = 0
                while done < all.count {
                    done += try fileSystem.write(fd, UnsafeRawBufferPointer(rebasing: all[done...]))
                }
            }
            try fileSystem.sync(fd)
        } catch {
            try? fileSystem.close(fd)
            throw CharLSTMError.io("cannot write '\(path)': \(error)")
        }
        do {
            try fileSystem.close(fd)
            try fileSystem.rename(temporary, path)
        } catch {
            throw CharLSTMError.io("cannot write '\(path)': \(error)")
        }
        renamed = true
        do {
            try fileSystem.syncFolder(split(path).folder)
        } catch {
            throw CharLSTMError.io("wrote '\(path)' but cannot sync its folder: \(error)")
        }
    }

    /// The whole contents of the file at `path`. Throws `.noInput` for a missing, unreadable or folder path,
    /// `.invalidData` for an empty file, `.io` when reading fails part way.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try openForReading(path)
        defer { _ = systemClose(fd) }
        var bytes = [UInt8](repeating: 0, count: max(try regularFileSize(fd, path) + 1, 4096))
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw CharLSTMError.io("cannot read '\(path)': \(SystemCallError(errno))")
            }
            count += n
        }
        guard count > 0 else { throw CharLSTMError.invalidData("'\(path)' is empty") }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// Calls `body` with the whole contents of the file at `path`, memory-mapped when it is a regular file (no
    /// copy), else read. Errors as ``readFile(_:)``. The bytes are valid only during `body`.
    public static func withContents<R>(of path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let fd = try openForReading(path)
        let size: Int
        do {
            size = try regularFileSize(fd, path)
        } catch {
            _ = systemClose(fd)
            throw error
        }
        if size > 0, let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED {
            _ = systemClose(fd)
            defer { munmap(mapped, size) }
            return try body(UnsafeRawBufferPointer(start: mapped, count: size))
        }
        _ = systemClose(fd)
        return try readFile(path).withUnsafeBytes(body)
    }

    /// Opens `path` read-only, mapping failures to clear errors.
    private static func openForReading(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw CharLSTMError.noInput("'\(path)': no such file")
            case EACCES: throw CharLSTMError.noInput("'\(path)': permission denied")
            default: throw CharLSTMError.noInput("cannot open '\(path)': \(SystemCallError(code))")
            }
        }
        return fd
    }

    /// The size of an open regular file, 0 for other kinds of file (pipes, devices); throws for a folder.
    private static func regularFileSize(_ fd: Int32, _ path: String) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CharLSTMError.noInput("cannot open '\(path)': \(SystemCallError(errno))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: throw CharLSTMError.noInput("'\(path)' is a folder, not a file")
        case S_IFREG: return Int(info.st_size)
        default: return 0
        }
    }
}
