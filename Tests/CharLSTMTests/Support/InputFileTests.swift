import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct InputFileTests {
    @Test func readsRegularFilesWholeAndAtOffsets() throws {
        let folder = TemporaryFolder()
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        let file = try InputFile(path: folder.file("big", big))
        #expect(file.kind == .regular && file.count == big.count)
        #expect(try file.readAll(memoryLimit: 1 << 30) == big)
        #expect(try file.bytes(5, at: 99_990) == Array(big[99_990..<99_995]))
        #expect(try InputFile(path: folder.file("empty", [])).readAll(memoryLimit: 10) == [])
    }

    @Test func refusesWhatIsNotARegularFile() throws {
        let folder = TemporaryFolder()
        let missing = folder.path + "/missing"
        #expect(throws: CharLSTMError.noInput("'\(missing)': no such file")) { try InputFile(path: missing) }
        // A name given with bytes that are not UTF-8 reaches the program with U+FFFD in their place: said so.
        let mangled = folder.path + "/\u{FFFD}.txt"
        #expect(throws: CharLSTMError.noInput("'\(mangled)': no such file (� stands for bytes that are not UTF-8: "
            + "if the name has such bytes, rename it or use a link with a UTF-8 name)")) { try InputFile(path: mangled) }
        #expect(throws: CharLSTMError.noInput("'\(folder.path)' is a folder, not a file")) { try InputFile(path: folder.path) }
        for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            #expect(throws: CharLSTMError.noInput("'\(device)' is a character device, not a file")) {
                try InputFile(path: device, accepting: .regularFilesAndPipes)
            }
        }
        let underFile = folder.file("plain", [1]) + "/x"
        #expect(throws: CharLSTMError.self) { try InputFile(path: underFile) }
        #expect(throws: CharLSTMError.noInput("'a\u{0}b': a path cannot hold a NUL character")) { try InputFile(path: "a\u{0}b") }
        // A socket.
        let socketPath = folder.path + "/socket"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 || socketPath.utf8.count >= 100, "bind: \(String(cString: strerror(errno)))")
        if bound == 0 {
            #expect(throws: CharLSTMError.noInput("'\(socketPath)' is a socket, not a file")) {
                try InputFile(path: socketPath, accepting: .regularFilesAndPipes)
            }
        }
    }

    @Test func aFileThatChangesWhileReadIsReported() throws {
        let folder = TemporaryFolder()
        let path = folder.file("changing", Array(repeating: 65, count: 1000))
        let growing = try InputFile(path: path)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([66]))
        try handle.close()
        let grew = #expect(throws: CharLSTMError.self) { try growing.readAll(memoryLimit: 1 << 20) }
        #expect(grew?.kind == .io && grew?.message.contains("grew while being read") == true, "\(grew?.message ?? "")")

        let shrinking = try InputFile(path: path)
        #expect(truncate(path, 10) == 0)
        let shrank = #expect(throws: CharLSTMError.self) { try shrinking.readAll(memoryLimit: 1 << 20) }
        #expect(shrank?.kind == .io && shrank?.message.contains("ended at byte 10") == true, "\(shrank?.message ?? "")")
    }

    @Test func aFileLargerThanTheMemoryLimitIsRefusedBeforeReading() throws {
        let folder = TemporaryFolder()
        let file = try InputFile(path: folder.file("big", Array(repeating: 65, count: 4096)))
        let error = #expect(throws: CharLSTMError.self) { try file.readAll(memoryLimit: 1000) }
        #expect(error?.kind == .unavailable)
    }

    @Test func aNamedPipeIsRefusedAtOnceWithoutWaitingForAWriter() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/fifo"
        #expect(mkfifo(path, 0o600) == 0)
        let started = Date()
        #expect(throws: CharLSTMError.noInput("'\(path)' is a pipe: give a regular file")) { try InputFile(path: path) }
        let error = #expect(throws: CharLSTMError.self) { try InputFile(path: path, accepting: .regularFilesAndPipes) }
        #expect(error?.kind == .noInput && error?.message.contains("named pipe (FIFO)") == true
                && error?.message.contains("write the data to a file") == true, "\(error?.message ?? "")")
        // A writer that is there changes nothing: the pipe is not opened.
        let writer = FIFOWriter(path: folder.path + "/written", text: "to be\n", times: 10)
        #expect(throws: CharLSTMError.self) { try InputFile(path: writer.path, accepting: .regularFilesAndPipes) }
        #expect(writer.finish())
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func theFilesOfARunFolderAreOpenedWithoutFollowingLinks() throws {
        let folder = TemporaryFolder()
        let target = folder.file("target", Array("step,epoch\n".utf8))
        #expect(symlink(target, folder.path + "/link") == 0)
        #expect(try InputFile(path: folder.path + "/link").count == 11)
        let error = #expect(throws: CharLSTMError.self) { try InputFile(path: folder.path + "/link", followingLinks: false) }
        #expect(error?.kind == .noInput && error?.message.contains("symbolic link") == true, "\(error?.message ?? "")")
    }

    /// Links that lead back to themselves are named as such (not as a run folder's file), and a corpus that ends
    /// early while it is scanned is named once in the message.
    @Test func linkLoopsAndCorporaThatShrinkAreReportedPlainly() throws {
        let folder = TemporaryFolder()
        #expect(symlink(folder.path + "/b", folder.path + "/a") == 0 && symlink(folder.path + "/a", folder.path + "/b") == 0)
        let loop = #expect(throws: CharLSTMError.self) { try CorpusFile.scan(path: folder.path + "/a") }
        #expect(loop?.message == "'\(folder.path)/a': too many symbolic links (a link that leads back to itself?)")

        // A sysfs file claims 4096 bytes and holds fewer: the corpus ends early whenever it is scanned.
        let path = "/sys/kernel/mm/transparent_hugepage/enabled"
        guard Files.exists(path) else { return }
        let shrank = #expect(throws: CharLSTMError.self) { try CorpusFile.scan(path: path) }
        let message = shrank?.message ?? ""
        #expect(message.hasPrefix("'\(path)' ended at byte ") && message.components(separatedBy: path).count == 2, "\(message)")
    }
}
