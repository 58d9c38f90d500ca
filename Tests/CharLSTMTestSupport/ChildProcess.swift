import CharLSTM
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one in-process run of `charlstm` gave: exit code, standard output, standard error.
struct ToolRun: CustomStringConvertible {
    let code: Int32
    let out: String
    let err: String

    var description: String { "exit \(code)\nstdout: \(out)\nstderr: \(err)" }

    /// The lines of standard error.
    var errLines: [Substring] { err.split(separator: "\n") }
}

/// The built `charlstm` executable, for tests that need a real process (signals, pipes, SIGKILL).
enum Executable {
    /// The package root, found from this file's path (Tests/CharLSTMTestSupport/ChildProcess.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The executable next to the test bundle, else in `.build/release` or `.build/debug`; nil when not built.
    static let path: String? = {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("charlstm").path,
            Bundle.main.bundleURL.appendingPathComponent("charlstm").path,
            packageRoot + "/.build/release/charlstm",
            packageRoot + "/.build/debug/charlstm",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// The message a test fails with when the executable is missing: building it is not the test's job.
    static let missing = "the charlstm executable was not found next to the test bundle nor in .build/release or "
        + ".build/debug: build it with 'swift build' (or 'swift build -c release') before running this test"
}

/// A child process started with `posix_spawn`: standard output to a file or a pipe, standard error to a file.
final class ChildProcess {
    enum Output {
        case file(String)
        /// A pipe whose read end is ``ChildProcess/outputPipe``.
        case pipe
    }

    let pid: pid_t
    /// The read end of standard output when it is a pipe, else -1.
    private(set) var outputPipe: Int32 = -1
    private var status: Int32? = nil

    /// Starts `executable arguments...` with standard input from /dev/null and standard error to `errorFile`,
    /// in `workingDirectory` when one is given (through `/bin/sh`, which `cd`s there and then `exec`s).
    convenience init(_ executable: String, _ arguments: [String], output: Output, errorFile: String,
                     workingDirectory: String) throws {
        try self.init("/bin/sh", ["-c", "cd -- \"$1\" || exit 99; shift; exec \"$0\" \"$@\"", executable,
                                  workingDirectory] + arguments, output: output, errorFile: errorFile)
    }

    /// Starts `executable arguments...` with standard input from /dev/null and standard error to `errorFile`.
    init(_ executable: String, _ arguments: [String], output: Output, errorFile: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var writeEnd: Int32 = -1
        switch output {
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        case .pipe:
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw SystemCallError(errno) }
            // Neither end may leak into other children spawned meanwhile; dup2 clears the flag on fd 1.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            outputPipe = fds[0]
            writeEnd = fds[1]
            posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, environ)
        if writeEnd >= 0 { close(writeEnd) }
        guard result == 0 else {
            if outputPipe >= 0 { close(outputPipe) }
            throw SystemCallError(result)
        }
        pid = child
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            _ = wait(timeout: 10)
        }
        closeOutput()
    }

    /// Reads up to `count` bytes from the output pipe (fewer at its end).
    func read(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { systemRead(outputPipe, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return Array(bytes.prefix(got))
    }

    /// Closes the parent's read end of the output pipe.
    func closeOutput() {
        if outputPipe >= 0 { close(outputPipe) }
        outputPipe = -1
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits up to `timeout` seconds for the child to end; its raw wait status, or nil if it is still running.
    func wait(timeout: Double) -> Int32? {
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid {
                status = raw
                return raw
            }
            if r < 0 && errno != EINTR { return nil }
            usleep(5_000)
        } while Date() < deadline
        return nil
    }

    /// The exit code of an ended child, or nil when it ended by a signal (or has not ended).
    var exitCode: Int32? {
        guard let s = status, s & 0x7F == 0 else { return nil }
        return (s >> 8) & 0xFF
    }

    /// The signal that ended the child, or nil.
    var terminatingSignal: Int32? {
        guard let s = status, s & 0x7F != 0, s & 0x7F != 0x7F else { return nil }
        return s & 0x7F
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// Polls `condition` every 10 ms for up to `timeout` seconds; whether it became true.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

extension ChildProcess {
    /// Runs `charlstm arguments...` as a child in `workingDirectory` to its end (killed after `timeout`
    /// seconds) and returns its exit code (128 + the signal when one ended it), standard output and error.
    static func runTool(_ executable: String, _ arguments: [String], in workingDirectory: String,
                        timeout: Double = 120) throws -> ToolRun {
        let outputs = TemporaryFolder()
        let child = try ChildProcess(executable, arguments, output: .file(outputs.path + "/out"),
                                     errorFile: outputs.path + "/err", workingDirectory: workingDirectory)
        if child.wait(timeout: timeout) == nil {
            child.signal(SIGKILL)
            _ = child.wait(timeout: 10)
        }
        let code = child.exitCode ?? 128 + (child.terminatingSignal ?? 0)
        return ToolRun(code: code, out: String(decoding: outputs.contents("out") ?? [], as: UTF8.self),
                       err: String(decoding: outputs.contents("err") ?? [], as: UTF8.self))
    }
}
