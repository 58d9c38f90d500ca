#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Crash-safe file writes: whatever happens, the file holds either its old complete contents or the new ones.
package enum AtomicFile {
    /// Distinguishes temporary files of concurrent writes within one process.
    private static let counter = Atomic<Int>(0)
    /// How many taken temporary names a write steps over before giving up.
    static let temporaryNameAttempts = 100

    /// A temporary file a write to `path` may go through: a hidden sibling, unique to this process and call.
    /// `path` must name a file (``FilePath/namesAFile``).
    static func temporaryPath(for path: String) -> String {
        let name = FilePath(path).lastComponent ?? ""
        let folderPrefix = String(decoding: path.utf8.dropLast(name.utf8.count), as: UTF8.self)
        let n = counter.add(1, ordering: .relaxed).newValue
        return folderPrefix + ".\(name).tmp-\(getpid())-\(n)"
    }

    /// Replaces the file at `path` with `bytes`; see ``write(to:fileSystem:_:)``.
    package static func write(_ bytes: [UInt8], to path: String,
                             fileSystem: some FileSystem = POSIXFileSystem()) throws {
        try write(to: path, fileSystem: fileSystem) { output in try bytes.withUnsafeBytes { try output($0) } }
    }

    /// Replaces the file at `path` with the bytes `produce` hands to its `output` function, in as many pieces
    /// as it likes, so that, whatever happens, `path` holds either its old complete contents or the new ones.
    ///
    /// The bytes go to a new temporary file in the same folder, created exclusively and without following
    /// symbolic links (a taken name, or a link planted at it, makes the write step on to the next name); the
    /// file is synced, renamed over `path`, and the folder synced. On failure the temporary file is removed,
    /// `path` is untouched, and a `CharLSTMError` names the path and the reason: `.cannotCreate` when `path`
    /// is not a file name or the temporary file cannot be created, `.io` for a failed write, sync or rename
    /// (and for an error `produce` throws).
    package static func write(to path: String, fileSystem: some FileSystem = POSIXFileSystem(),
                             _ produce: (_ output: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard FilePath(path).namesAFile else {
            throw CharLSTMError.cannotCreate("cannot write '\(path)': it does not name a file")
        }
        let (temporary, fd) = try createTemporary(for: path, fileSystem: fileSystem)
        var renamed = false
        defer { if !renamed { fileSystem.remove(temporary) } }
        do {
            try produce { bytes in
                var done = 0
                while done < bytes.count {
                    done += try fileSystem.write(fd, UnsafeRawBufferPointer(rebasing: bytes[done...]))
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
            try fileSystem.syncFolder(FilePath(path).parent.string)
        } catch {
            throw CharLSTMError.io("wrote '\(path)' but cannot sync its folder: \(error)")
        }
    }

    /// Creates a fresh temporary file for a write to `path`, stepping over names that are taken.
    private static func createTemporary(for path: String,
                                        fileSystem: some FileSystem) throws(CharLSTMError) -> (String, Int32) {
        var temporary = ""
        for _ in 0..<temporaryNameAttempts {
            temporary = temporaryPath(for: path)
            do {
                return (temporary, try fileSystem.create(temporary))
            } catch where error.code == EEXIST {
                continue
            } catch {
                throw .cannotCreate("cannot write '\(path)': cannot create '\(temporary)': \(error)")
            }
        }
        throw .cannotCreate("cannot write '\(path)': \(temporaryNameAttempts) temporary names in its folder are "
            + "taken (the last: '\(temporary)'); remove the files named '.*.tmp-*' there")
    }
}
