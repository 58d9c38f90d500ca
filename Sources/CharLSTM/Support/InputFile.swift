#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to a run of bytes: a file read at offsets, or bytes in memory.
package protocol ByteSource {
    /// How many bytes there are.
    var count: Int { get }
    /// Fills `buffer` with the bytes from `offset` on; throws a `CharLSTMError` when they cannot all be read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(CharLSTMError)
    /// Throws `.io` when the bytes are no longer those there were when the source was opened (a file that
    /// was written to since); bytes in memory never change.
    func checkUnchanged() throws(CharLSTMError)
}

extension ByteSource {
    package func checkUnchanged() throws(CharLSTMError) {}

    /// The `count` bytes from `offset` on.
    func bytes(_ count: Int, at offset: Int) throws(CharLSTMError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var failure: CharLSTMError? = nil
        result.withUnsafeMutableBytes { buffer in
            do throws(CharLSTMError) { try read(into: buffer, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }
}

/// Bytes in memory as a ``ByteSource``; they must stay valid while it is used.
struct MemoryBytes: ByteSource {
    let bytes: UnsafeRawBufferPointer
    var count: Int { bytes.count }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(CharLSTMError) {
        guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
            throw .io("reading bytes \(offset)..<\(offset + buffer.count) of \(bytes.count)")
        }
        if buffer.count > 0 { buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: buffer.count) }
    }
}

/// An input file (a corpus, a text to evaluate, a checkpoint) opened once, after checking what it is.
///
/// A regular file is read at offsets or in full; its size is taken when it is opened, and a file that then
/// shrinks or grows is reported (`.io`), never trusted. A pipe is accepted only where the caller says so, and
/// only when it is this process's standard input (`cat book.txt | charlstm train /dev/stdin`), which is already
/// open: it is read to its end up to a bound (``pipeLimit``). A named pipe (FIFO) given by its path is refused
/// at once, since opening it would wait for a writer that may never come. Folders, devices (`/dev/zero`,
/// `/dev/urandom`, a terminal) and sockets are refused with `.noInput` before they are opened, so opening and
/// reading never hang on them or fill the memory.
/// Sendable: its fields never change, and a regular file is read by `pread` at explicit offsets, never by a shared position.
package final class InputFile: ByteSource, Sendable {
    /// Whether a pipe may stand for a file.
    package enum Accepting: Sendable {
        case regularFiles
        case regularFilesAndPipes
    }

    /// The most bytes read from a pipe (256 MiB); a text that is larger must be given as a file.
    package static let pipeLimit = 256 << 20

    package let path: String
    /// `.regular` or `.pipe`.
    package let kind: Files.Kind
    /// A regular file's size when it was opened; 0 for a pipe.
    package let count: Int
    private let descriptor: Int32
    /// The regular file's modification time when it was opened.
    private let modified: timespec

    /// Opens `path` for reading. Throws `.noInput` naming the path for a missing or unreadable file, a folder,
    /// a device, a socket, a named pipe, and standard input's pipe unless `accepting` allows it. With
    /// `followingLinks` false (the files of a run folder), a symbolic link is refused too.
    package init(path: String, accepting: Accepting = .regularFiles, followingLinks: Bool = true) throws(CharLSTMError) {
        self.path = path
        guard !FilePath(path).containsNUL else { throw .noInput("'\(path)': a path cannot hold a NUL character") }
        let info: stat
        switch Files.status(path, followingLinks: followingLinks) {
        case .success(let found): info = found
        case .failure(let error): throw Self.openError(path, error.code, followingLinks: followingLinks)
        }
        let kind = Files.Kind(mode: info.st_mode)
        switch kind {
        case .regular: break
        case .pipe where accepting == .regularFilesAndPipes && Self.isStandardInput(info): break
        case .pipe where accepting == .regularFilesAndPipes:
            throw .noInput("'\(path)' is a named pipe (FIFO), which would keep the program waiting for a writer: write the "
                + "data to a file and give that file (a pipe is read only as standard input: /dev/stdin < '\(path)')")
        case .folder: throw .noInput("'\(path)' is a folder, not a file")
        case .pipe: throw .noInput("'\(path)' is a pipe: give a regular file")
        default: throw .noInput("'\(path)' is \(kind.described), not a file")
        }
        // Standard input's pipe is already open: it is duplicated, not opened. Anything else is opened without
        // blocking, so that a pipe swapped in since the check above cannot make the open hang.
        let fd = kind == .pipe ? fcntl(0, F_DUPFD_CLOEXEC, 0)
            : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (followingLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw Self.openError(path, errno, followingLinks: followingLinks) }
        var opened = stat()
        guard fstat(fd, &opened) == 0, Files.Kind(mode: opened.st_mode) == kind else {
            _ = close(fd)
            throw .noInput("'\(path)' changed while it was being opened")
        }
        self.kind = kind
        count = kind == .regular ? Int(opened.st_size) : 0
        descriptor = fd
        modified = modificationTime(opened)
    }

    deinit { _ = close(descriptor) }

    /// Whether `info` is the `stat` of this process's standard input (`/dev/stdin`, `/dev/fd/0`, or the pipe's
    /// own path when the shell redirected it).
    private static func isStandardInput(_ info: stat) -> Bool {
        var input = stat()
        return fstat(0, &input) == 0 && input.st_dev == info.st_dev && input.st_ino == info.st_ino
    }

    /// What to add to "no such file" about `path`: a name whose bytes are not UTF-8 arrives from the command line
    /// with U+FFFD in their place, so it names no file even when the user sees one; nothing for other paths.
    package static func missingNameNote(_ path: String) -> String {
        path.unicodeScalars.contains("\u{FFFD}")
            ? " (� stands for bytes that are not UTF-8: if the name has such bytes, rename it or use a link with a UTF-8 name)"
            : ""
    }

    /// The error of opening `path` (or of `stat` on it) with errno `code`. ELOOP is a link refused (not followed)
    /// or, when links are followed, a chain of links that never ends.
    private static func openError(_ path: String, _ code: Int32, followingLinks: Bool) -> CharLSTMError {
        switch code {
        case ENOENT: .noInput("'\(path)': no such file\(missingNameNote(path))")
        case EACCES: .noInput("'\(path)': permission denied")
        case ENOTDIR: .noInput("'\(path)': no such file (a part of the path is not a folder)")
        case ELOOP where followingLinks: .noInput("'\(path)': too many symbolic links (a link that leads back to itself?)")
        case ELOOP: .noInput("'\(path)' is a symbolic link: a run folder's files must be regular files")
        default: .noInput("cannot open '\(path)': \(SystemCallError(code))")
        }
    }

    /// Throws `.io` when the regular file's size or modification time is no longer what it was when it was
    /// opened. One `fstat`: cheap enough to call before every batch read from the file.
    package func checkUnchanged() throws(CharLSTMError) {
        guard kind == .regular else { return }
        var now = stat()
        guard fstat(descriptor, &now) == 0 else { throw .io("cannot check '\(path)': \(SystemCallError(errno))") }
        if Int(now.st_size) != count {
            throw .io("'\(path)' changed size while in use (\(count) bytes when it was opened, \(now.st_size) now): "
                + "leave the file alone while it is read, or copy it and use the copy")
        }
        let time = modificationTime(now)
        if time.tv_sec != modified.tv_sec || time.tv_nsec != modified.tv_nsec {
            throw .io("'\(path)' was modified while in use: leave the file alone while it is read, or copy it and use the copy")
        }
    }

    /// Fills `buffer` with the regular file's bytes from `offset` on. Throws `.io` when reading fails or the
    /// file ends early (it shrank after it was opened).
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(CharLSTMError) {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .io("cannot read '\(path)': \(SystemCallError(errno))") }
            if n == 0 {
                throw .io("'\(path)' ended at byte \(offset + done) while being read, but it had \(count) bytes when "
                    + "it was opened: it changed meanwhile; try again once nothing writes to it")
            }
            done += n
        }
    }

    /// All the bytes: a regular file's ``count`` bytes (checking that it did not grow or shrink meanwhile), or
    /// what comes through a pipe until its writer closes it.
    ///
    /// Throws `.unavailable` for a regular file larger than `memoryLimit`, and `.invalidData` when a pipe
    /// brings more than `min(memoryLimit, pipeLimit)` bytes (it stops reading there).
    package func readAll(memoryLimit: Int, pipeLimit: Int = InputFile.pipeLimit) throws(CharLSTMError) -> [UInt8] {
        if kind == .pipe { return try readPipe(limit: min(memoryLimit, pipeLimit)) }
        guard count <= memoryLimit else {
            throw .unavailable("'\(path)' is \(Files.sizeText(Double(count))), more than the "
                + "\(Files.sizeText(Double(memoryLimit))) this machine's memory allows for it")
        }
        let bytes = try self.bytes(count, at: 0)
        var extra: UInt8 = 0
        let n = pread(descriptor, &extra, 1, off_t(count))
        guard n <= 0 else {
            throw .io("'\(path)' grew while being read (it had \(count) bytes when it was opened): it changed "
                + "meanwhile; try again once nothing writes to it")
        }
        return bytes
    }

    /// Reads the pipe to its end, refusing more than `limit` bytes.
    private func readPipe(limit: Int) throws(CharLSTMError) -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = 1 << 16
        while true {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let n = bytes.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress! + start, chunk) }
            if n < 0 && errno == EINTR {
                bytes.removeLast(chunk)
                continue
            }
            if n < 0 { throw .io("cannot read '\(path)': \(SystemCallError(errno))") }
            bytes.removeLast(chunk - n)
            if n == 0 { return bytes }
            if bytes.count > limit {
                throw .invalidData("more than \(Files.sizeText(Double(limit))) came through the pipe '\(path)', the "
                    + "most that is read from a pipe: save the text to a file and give that file instead")
            }
        }
    }
}

private func modificationTime(_ info: stat) -> timespec {
    #if canImport(Darwin)
    info.st_mtimespec
    #else
    info.st_mtim
    #endif
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
