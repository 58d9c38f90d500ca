#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory for the large arrays the kernels walk (parameters, gradients, activations, packed panels, compact
/// weights): 64-byte aligned, and from one huge page (2 MiB) up, 2 MiB-aligned and offered to Linux's
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`, which the common `madvise` policy needs before it
/// gives any). A training pass reads tens of MB with strides of kilobytes (a weight gradient's A, 8 KiB a
/// row for config M): with 4 KiB pages nearly every row is a new page and the TLB's 2,048 entries cover
/// 8 MiB; with 2 MiB pages the whole workspace is a hundred entries. Measured on the Emerald Rapids Xeon,
/// alternating `bench` runs: M +1 to +7% (+2.5% mean), L +3 to +5%, S unchanged; peak RSS of M +7 MiB
/// (huge pages are faulted in whole). Where huge pages are off (`never`), unsupported or not Linux, it is
/// plain aligned memory. The memory is not initialised.
enum LargeMemory {
    /// The huge page size that large allocations are aligned to.
    static let hugePage = 2 << 20

    /// `bytes` bytes (at least 1), aligned as described above. Free with ``deallocate(_:)``. O(1) (pages are
    /// faulted in when first touched).
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let bytes = max(bytes, 1)
        let huge = bytes >= hugePage
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: huge ? hugePage : 64)
        #if canImport(Glibc)
        // Whole huge pages inside the allocation only: nothing beyond it is touched. A refusal (an old
        // kernel, THP compiled out) leaves ordinary pages, which is fine.
        if huge { _ = madvise(raw, bytes / hugePage * hugePage, MADV_HUGEPAGE) }
        #endif
        return raw
    }

    /// `count` floats from ``allocate(bytes:)``.
    static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        allocate(bytes: count * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Frees memory from ``allocate(bytes:)`` or ``allocateFloats(_:)``.
    static func deallocate(_ pointer: UnsafeMutableRawPointer) { pointer.deallocate() }
}
