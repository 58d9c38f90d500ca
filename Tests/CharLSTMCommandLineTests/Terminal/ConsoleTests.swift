#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

@Suite struct ConsoleTests {
    @Test func memorySinkKeepsTextAndCountsFlushes() throws {
        let sink = MemorySink(isTerminal: true)
        try sink.write("a")
        try sink.write("ñ👋\n")
        try sink.flush()
        #expect(sink.text == "añ👋\n")
        #expect(sink.flushCount == 1)
        #expect(sink.isTerminal)
        let failing = MemorySink(failure: BrokenPipe())
        #expect(throws: BrokenPipe()) { try failing.write("x") }
        #expect(throws: BrokenPipe()) { try failing.flush() }
        #expect(failing.text.isEmpty)
    }

    /// A pipe whose read end is drained on another thread into a string.
    private final class Pipe: @unchecked Sendable {
        let readEnd: Int32, writeEnd: Int32
        init() {
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            (readEnd, writeEnd) = (fds[0], fds[1])
        }
        /// Closes the write end and returns all bytes read from the read end.
        func readAll(after body: () throws -> Void) rethrows -> [UInt8] {
            nonisolated(unsafe) var bytes: [UInt8] = []
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { [readEnd] in
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(readEnd, &chunk, chunk.count)
                    if n <= 0 { break }
                    bytes += chunk[0..<n]
                }
            }
            try body()
            close(writeEnd)
            group.wait()
            close(readEnd)
            return bytes
        }
    }

    @Test func fileDescriptorSinkBuffersUntilFlush() throws {
        let pipe = Pipe()
        let sink = FileDescriptorSink(fileDescriptor: pipe.writeEnd, bufferCapacity: 100)
        #expect(!sink.isTerminal)
        var available: Int32 = 0
        let bytes = try pipe.readAll {
            try sink.write("hello ")
            #expect(ioctl(pipe.readEnd, UInt(FIONREAD), &available) == 0 && available == 0)
            try sink.write("wörld\n")
            try sink.flush()
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "hello wörld\n")
    }

    /// More than a pipe holds (64 KiB), so `write(2)` blocks and returns partial counts.
    @Test(arguments: [0, 1000, 1 << 16])
    func fileDescriptorSinkWritesLargeTextCompletely(capacity: Int) throws {
        let pipe = Pipe()
        let sink = FileDescriptorSink(fileDescriptor: pipe.writeEnd, bufferCapacity: capacity)
        let line = String(repeating: "abcdefghij", count: 99) + "\n"
        let bytes = try pipe.readAll {
            for _ in 0..<1000 { try sink.write(line) }
            try sink.flush()
        }
        #expect(bytes.count == 1000 * line.utf8.count)
        #expect(bytes == Array(String(repeating: line, count: 1000).utf8))
    }

    @Test func closedReaderThrowsBrokenPipe() throws {
        signal(SIGPIPE, SIG_IGN)
        let pipe = Pipe()
        close(pipe.readEnd)
        let sink = FileDescriptorSink(fileDescriptor: pipe.writeEnd, bufferCapacity: 0)
        #expect(throws: BrokenPipe()) { try sink.write("x") }
        close(pipe.writeEnd)
    }

    @Test func badDescriptorThrowsIOError() {
        let sink = FileDescriptorSink(fileDescriptor: 9999, bufferCapacity: 0)
        #expect(throws: CharLSTMError(.io, "cannot write to file descriptor 9999: Bad file descriptor")) { try sink.write("x") }
        // The failed text is dropped, not written again on the next flush.
        #expect(throws: Never.self) { try sink.flush() }
    }
}
