// Deterministic test data for the kernel tests (the kernels target has no RandomGenerator of its own).

/// SplitMix64: small, seeded, good enough for test matrices.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func nextSigned() -> Float { Float(next() >> 40) / 8_388_608 - 1 }
    /// `count` uniform values in [-1, 1).
    mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in nextSigned() } }
}

/// The shapes the kernel tests sweep: edges of the 6×16 micro-tile, the 256-deep K block, the 144-row block.
let oddSizes = [1, 2, 3, 7, 15, 17, 31, 33, 65, 130, 257]

/// (m, n, k) triples in which every odd size appears in every position, capped at `maxWork` = m·n·k so the
/// naive oracle stays quick in debug builds.
func oddShapes(maxWork: Int) -> [(m: Int, n: Int, k: Int)] {
    var shapes: [(m: Int, n: Int, k: Int)] = []
    let s = oddSizes
    for i in s.indices {
        let x = s[i], y = s[(i + 3) % s.count], z = s[(i + 7) % s.count]
        for (m, n, k) in [(x, y, z), (x, z, y), (y, x, z), (y, z, x), (z, x, y), (z, y, x)] where m * n * k <= maxWork {
            shapes.append((m, n, k))
        }
    }
    return shapes
}
