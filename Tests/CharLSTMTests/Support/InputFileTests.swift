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

    @Test func pipesAreReadToTheirEndOnlyWhereAccepted() throws {
        let folder = TemporaryFolder()
        let writer = FIFOWriter(path: folder.path + "/fifo", text: "to be or not to be\n", times: 1000)
        #expect(throws: CharLSTMError.noInput("'\(writer.path)' is a pipe: give a regular file")) {
            try InputFile(path: writer.path)
        }
        let file = try InputFile(path: writer.path, accepting: .regularFilesAndPipes)
        #expect(file.kind == .pipe)
        let bytes = try file.readAll(memoryLimit: 1 << 30)
        #expect(bytes.count == 19_000)
        #expect(writer.finish())
    }

    @Test func aPipeThatNeverEndsStopsAtTheBound() throws {
        let folder = TemporaryFolder()
        let writer = FIFOWriter(path: folder.path + "/endless", text: String(repeating: "all work and no play\n", count: 50), times: nil)
        let error = #expect(throws: CharLSTMError.self) {
            try InputFile(path: writer.path, accepting: .regularFilesAndPipes).readAll(memoryLimit: 1 << 30, pipeLimit: 1 << 20)
        }
        #expect(error?.kind == .invalidData)
        #expect(error?.message.contains("more than 1.0 MiB came through the pipe") == true, "\(error?.message ?? "")")
        // The reader has gone, so the writer ends with EPIPE.
        #expect(writer.finish())
    }
}
