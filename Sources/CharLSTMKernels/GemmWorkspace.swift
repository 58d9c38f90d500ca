import Synchronization

/// Cache-blocking sizes of the packed SGEMM (see GemmKernel.swift).
enum GemmBlocking {
    /// Rows of C per micro-tile (one SIMD16 accumulator per row).
    static let mr = 6
    /// Columns of C per micro-tile (one SIMD16 per row).
    static let nr = 16
    /// Depth of one packed block: a 6×kc A sliver and a kc×16 B sliver stay in L1.
    static let kc = 256
    /// Rows of the packed A block (mc×kc floats = 144 KiB, lives in L2).
    static let mc = 144
    /// Columns of the packed B block (kc×nc floats = 3 MiB, lives in L3).
    static let nc = 3072
}

/// Packing buffers for one thread of SGEMM: 64-byte aligned, allocated once and reused through ``pool``.
final class GemmWorkspace: @unchecked Sendable {
    /// Packed A block: ⌈mc/mr⌉ slivers of kc×mr floats.
    let a: UnsafeMutablePointer<Float>
    /// Packed B block: ⌈nc/nr⌉ slivers of kc×nr floats.
    let b: UnsafeMutablePointer<Float>
    /// One mr×nr tile, for edge tiles of C.
    let tile: UnsafeMutablePointer<Float>

    private init() {
        func aligned(_ count: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }
        a = aligned(GemmBlocking.mc * GemmBlocking.kc)
        b = aligned(GemmBlocking.kc * GemmBlocking.nc)
        tile = aligned(GemmBlocking.mr * GemmBlocking.nr)
    }

    deinit {
        UnsafeMutableRawPointer(a).deallocate()
        UnsafeMutableRawPointer(b).deallocate()
        UnsafeMutableRawPointer(tile).deallocate()
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
