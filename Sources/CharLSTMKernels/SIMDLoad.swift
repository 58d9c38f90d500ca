// Loads and stores of SIMD16<Float> from raw float memory, with zero-padded partial versions for the tail
// of rows whose length is not a multiple of 16.

@inlinable @inline(__always)
public func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inlinable @inline(__always)
public func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// Loads `count` < 16 floats, the other lanes zero.
@inlinable @inline(__always)
public func load16(_ p: UnsafePointer<Float>, count: Int) -> SIMD16<Float> {
    var v = SIMD16<Float>()
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the first `count` < 16 lanes.
@inlinable @inline(__always)
public func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { p[i] = v[i] }
}

/// Calls `body(j, width)` for j = 0, 16, 32, … covering 0..<n; width is 16 except possibly for the last chunk.
@inlinable @inline(__always)
public func forEachChunk16(_ n: Int, _ body: (Int, Int) -> Void) {
    var j = 0
    while j + 16 <= n { body(j, 16); j += 16 }
    if j < n { body(j, n - j) }
}

@inlinable @inline(__always)
public func load16(_ p: UnsafePointer<Float>, width: Int) -> SIMD16<Float> {
    width == 16 ? load16(p) : load16(p, count: width)
}

@inlinable @inline(__always)
public func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, width: Int) {
    if width == 16 { store16(v, p) } else { store16(v, p, count: width) }
}
