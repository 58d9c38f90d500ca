#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What is on disk at a path, through plain POSIX calls (no Foundation path handling, which traps on some
/// paths in this toolchain). Symbolic links are followed unless a function says otherwise.
package enum Files {
    /// The kinds of file the commands tell apart.
    package enum Kind: Equatable, Sendable {
        case regular, folder, pipe, characterDevice, blockDevice, socket, symbolicLink, other

        init(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: self = .regular
            case S_IFDIR: self = .folder
            case S_IFIFO: self = .pipe
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            case S_IFSOCK: self = .socket
            case S_IFLNK: self = .symbolicLink
            default: self = .other
            }
        }

        /// "a folder", "a pipe", …: for messages.
        package var described: String {
            switch self {
            case .regular: "a file"
            case .folder: "a folder"
            case .pipe: "a pipe"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .socket: "a socket"
            case .symbolicLink: "a symbolic link"
            case .other: "a special file"
            }
        }
    }

    /// The `stat` (or, with `followingLinks` false, `lstat`) of `path`, or the `errno` that prevented it.
    static func status(_ path: String, followingLinks: Bool = true) -> Result<stat, SystemCallError> {
        guard !FilePath(path).containsNUL else { return .failure(SystemCallError(EINVAL)) }
        var info = stat()
        let result = followingLinks ? stat(path, &info) : lstat(path, &info)
        return result == 0 ? .success(info) : .failure(SystemCallError(errno))
    }

    /// The kind of file at `path`; nil when there is none (or it cannot be looked at).
    package static func kind(_ path: String, followingLinks: Bool = true) -> Kind? {
        guard case .success(let info) = status(path, followingLinks: followingLinks) else { return nil }
        return Kind(mode: info.st_mode)
    }

    /// Whether something is at `path` (a symbolic link counts only when its target exists).
    package static func exists(_ path: String) -> Bool { kind(path) != nil }

    package static func isFolder(_ path: String) -> Bool { kind(path) == .folder }

    /// The size in bytes of the file at `path`; nil when there is none.
    package static func size(_ path: String) -> Int? {
        guard case .success(let info) = status(path) else { return nil }
        return Int(info.st_size)
    }

    /// The modification time of the file at `path` in seconds since 1970; nil when there is none.
    package static func modificationTime(_ path: String) -> Double? {
        guard case .success(let info) = status(path) else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Whether `a` and `b` are the same file or folder on disk (same device and inode, links followed); false
    /// when either is missing.
    package static func sameFile(_ a: String, _ b: String) -> Bool {
        guard case .success(let x) = status(a), case .success(let y) = status(b) else { return false }
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// The names in the folder at `path`, without `.` and `..`, unsorted; empty when it cannot be read.
    package static func names(inFolder path: String) -> [String] {
        guard !FilePath(path).containsNUL, let folder = opendir(path) else { return [] }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes the file (not folder) at `path`, ignoring failure; a symbolic link is removed, not its target.
    package static func remove(_ path: String) {
        guard !FilePath(path).containsNUL else { return }
        unlink(path)
    }

    /// Creates the folder at `path` and every missing folder on the way (as `mkdir -p`), mode 0777 before
    /// the umask. Throws `.cannotCreate` naming the first component that is not a folder, or the system's
    /// reason; `role` says what the folder is for in the message ("the output folder").
    package static func makeFolders(_ path: String, role: String = "the folder") throws(CharLSTMError) {
        let target = FilePath(path)
        guard !path.isEmpty, !target.containsNUL else {
            throw .cannotCreate("cannot create \(role) '\(path)': not a folder name")
        }
        for prefix in target.prefixes {
            let step = prefix.string
            switch kind(step) {
            case .folder?: continue
            case let other?:
                throw .cannotCreate("cannot use '\(path)' as \(role): '\(step)' is \(other.described), not a folder")
            case nil:
                if mkdir(step, 0o777) != 0 && errno != EEXIST {
                    throw .cannotCreate("cannot create \(role) '\(path)': \(SystemCallError(errno))")
                }
                guard isFolder(step) else {
                    let what = kind(step, followingLinks: false) == .symbolicLink
                        ? "a symbolic link to nothing" : "not a folder"
                    throw .cannotCreate("cannot use '\(path)' as \(role): '\(step)' is \(what)")
                }
            }
        }
    }

    /// `12.3 MiB`, `1.50 GiB`: a size for messages.
    package static func sizeText(_ bytes: Double) -> String {
        let mib = 1_048_576.0
        return bytes >= 1024 * mib ? String(bytes / (1024 * mib), fractionDigits: 2) + " GiB"
            : String(bytes / mib, fractionDigits: 1) + " MiB"
    }
}
