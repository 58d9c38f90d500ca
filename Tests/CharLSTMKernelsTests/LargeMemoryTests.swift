import Foundation
import Testing
@testable import CharLSTMKernels

@Suite struct LargeMemoryTests {
    @Test func smallAllocationsAreCacheLineAlignedAndLargeOnesHugePageAligned() {
        for bytes in [0, 1, 64, 4096, LargeMemory.hugePage - 1] {
            let p = LargeMemory.allocate(bytes: bytes)
            #expect(Int(bitPattern: p) % 64 == 0, "\(bytes) bytes")
            LargeMemory.deallocate(p)
        }
        for bytes in [LargeMemory.hugePage, 3 * LargeMemory.hugePage + 12345] {
            let p = LargeMemory.allocate(bytes: bytes)
            #expect(Int(bitPattern: p) % LargeMemory.hugePage == 0, "\(bytes) bytes")
            p.initializeMemory(as: UInt8.self, repeating: 7, count: bytes) // every byte is ours to write
            LargeMemory.deallocate(p)
        }
    }

    @Test func floatBuffersStartAtZeroWhateverTheirSize() {
        for count in [0, 1, 17, LargeMemory.hugePage / 4 + 5] {
            let buffer = FloatBuffer(count: count)
            #expect(buffer.buffer.allSatisfy { $0 == 0 }, "\(count) floats")
        }
    }

    /// Where Linux offers transparent huge pages on request (policy `always` or `madvise`), the mapping that
    /// holds a large buffer is eligible for them (`THPeligible: 1` in /proc/self/smaps): the request was made.
    /// Whether the kernel then finds free huge pages depends on the machine, so that is not asserted.
    @Test func largeBuffersAreOfferedHugePagesWhereLinuxHasThem() throws {
        guard let policy = try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8),
              policy.contains("[always]") || policy.contains("[madvise]") else { return }
        let buffer = FloatBuffer(count: 3 * LargeMemory.hugePage / 4)
        let address = UInt(bitPattern: buffer.pointer)
        // Read to the end (procfs files report a size of 0).
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        try handle.close()
        var inside = false, eligible: String?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let ends = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = ends.count == 2 && ends[0] <= address && address < ends[1]
            } else if inside, fields.first == "THPeligible:" {
                eligible = fields.count > 1 ? String(fields[1]) : nil
            }
        }
        #expect(eligible == "1")
    }
}
