/// A seeded, serialisable pseudo-random generator: xoshiro256** seeded through SplitMix64.
///
/// Every random choice in CharLSTM (weight initialisation, dropout masks, sampling) draws from one of these,
/// so a run is reproducible from its seed and resumable exactly from ``state``.
struct RandomGenerator: RandomNumberGenerator, Equatable, Sendable {
    /// The four 64-bit words of xoshiro256** state. Never all zero.
    private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole sequence is fixed by `seed`.
    init(seed: UInt64) {
        self.init(seed: seed, stream: 0)
    }

    /// Generator number `stream` of the family fixed by `seed`: its state is SplitMix64's outputs 4·stream + 1 …
    /// 4·stream + 4 from `seed`, so no two streams of a seed start from the same state, and stream 0 is
    /// ``init(seed:)``. What lets threads draw independent pieces of one random choice (a dropout mask) at once,
    /// with the same result on any number of them. O(1).
    init(seed: UInt64, stream: Int) {
        precondition(stream >= 0, "a stream is numbered from 0")
        var x = seed &+ UInt64(stream) &* 4 &* 0x9E37_79B9_7F4A_7C15
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Restores a generator from ``state``; `nil` when the words are all zero (not a valid xoshiro state).
    init?(state: (UInt64, UInt64, UInt64, UInt64)) {
        guard state.0 | state.1 | state.2 | state.3 != 0 else { return nil }
        self.state = state
    }

    static func == (a: RandomGenerator, b: RandomGenerator) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    @inline(__always)
    mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// The state as text, `"w0,w1,w2,w3"` in hexadecimal, for checkpoint metadata.
    var stateString: String {
        [state.0, state.1, state.2, state.3].map { String($0, radix: 16) }.joined(separator: ",")
    }

    /// Parses ``stateString``; `nil` when malformed.
    init?(stateString: String) {
        let words = stateString.split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4 else { return nil }
        self.init(state: (words[0], words[1], words[2], words[3]))
    }
}

@inline(__always)
private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
