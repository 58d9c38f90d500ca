import Synchronization

/// Packing buffers for one thread of SGEMM, big enough for every ``GemmChoice``: ``LargeMemory``, allocated
/// once and reused through ``pool`` (pages are touched only as far as a product's blocks reach).
final class GemmWorkspace: @unchecked Sendable {
    /// Packed A block: ⌈mc/mr⌉ slivers of kc×mr floats.
    let a: UnsafeMutablePointer<Float>
    /// Packed B block: ⌈nc/nr⌉ slivers of kc×nr floats.
    let b: UnsafeMutablePointer<Float>
    /// One row of a micro-tile, for tiles at the edge of C.
    let tile: UnsafeMutablePointer<Float>

    private init() {
        a = LargeMemory.allocateFloats(GemmChoice.largestPackedA + 24 * GemmChoice.largestKC) // + a sliver's rounding
        b = LargeMemory.allocateFloats(GemmChoice.largestPackedB)
        tile = LargeMemory.allocateFloats(GemmKernel.widestRow)
    }

    deinit {
        LargeMemory.deallocate(a)
        LargeMemory.deallocate(b)
        LargeMemory.deallocate(tile)
    }

    /// Idle workspaces. Grows to the largest number of SGEMM threads ever running at once, then stays.
    private static let pool = Mutex<[GemmWorkspace]>([])

    /// Runs `body` with a workspace no other thread is using.
    static func with<R>(_ body: (GemmWorkspace) -> R) -> R {
        let ws = pool.withLock { $0.popLast() } ?? GemmWorkspace()
        defer { pool.withLock { $0.append(ws) } }
        return body(ws)
    }
}
