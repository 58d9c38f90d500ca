import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct SamplerTests {
    /// Logits whose softmax at T = 1 is exactly `probs` (up to rounding).
    static func logits(_ probs: [Double]) -> [Float] { probs.map { Float(log($0)) } }

    static let fiveWay = logits([0.05, 0.4, 0.1, 0.3, 0.15])

    /// Draws `count` tokens and returns how often each index came up.
    static func histogram(_ sampler: Sampler, _ logits: [Float], count: Int = 20_000, seed: UInt64 = 1) -> [Int] {
        var rng = RandomGenerator(seed: seed)
        var scratch = SamplerScratch()
        var counts = [Int](repeating: 0, count: logits.count)
        logits.withUnsafeBufferPointer { l in
            for _ in 0..<count { counts[sampler.sample(logits: l, using: &rng, scratch: &scratch)] += 1 }
        }
        return counts
    }

    /// Every token's frequency is within 4 standard deviations of its probability; zero-probability tokens never occur.
    static func expectFrequencies(_ counts: [Int], match probs: [Float]) {
        let n = Double(counts.reduce(0, +))
        for (c, p) in zip(counts, probs) {
            let p = Double(p)
            if p == 0 { #expect(c == 0); continue }
            let sd = (p * (1 - p) / n).squareRoot()
            #expect(abs(Double(c) / n - p) <= 4 * sd + 1e-9, "frequency \(Double(c) / n) vs probability \(p)")
        }
    }

    @Test func rejectsBadOptions() {
        for bad in [(Float(-1), nil as Int?, nil as Float?), (.nan, nil, nil), (.infinity, nil, nil),
                    (1, 0, nil), (1, nil, 0), (1, nil, 1.5), (1, nil, .nan)] {
            #expect(throws: CharLSTMError.self) { try Sampler(temperature: bad.0, topK: bad.1, topP: bad.2) }
        }
        #expect(throws: Never.self) { try Sampler(temperature: 0, topK: 1, topP: 1) }
    }

    @Test func temperatureZeroIsArgmaxWithoutDrawing() throws {
        let greedy = try Sampler(temperature: 0)
        var rng = RandomGenerator(seed: 3)
        let before = rng
        var scratch = SamplerScratch()
        let pick = { (l: [Float]) in
            l.withUnsafeBufferPointer { greedy.sample(logits: $0, using: &rng, scratch: &scratch) }
        }
        #expect(pick(Self.fiveWay) == 1)
        #expect(pick([2, 5, 5, 1]) == 1)  // ties → lowest index
        #expect(pick([.nan, -1, .nan]) == 1)  // NaN never wins
        #expect(rng == before)
        #expect(greedy.probabilities(logits: Self.fiveWay) == [0, 1, 0, 0, 0])
    }

    @Test func topKOneIsArgmax() throws {
        let counts = Self.histogram(try Sampler(temperature: 1.5, topK: 1), Self.fiveWay, count: 500)
        #expect(counts == [0, 500, 0, 0, 0])
    }

    @Test func plainSamplingMatchesSoftmax() throws {
        let sampler = try Sampler()
        let probs = sampler.probabilities(logits: Self.fiveWay)
        for (p, q) in zip(probs, [0.05, 0.4, 0.1, 0.3, 0.15]) { #expect(abs(Double(p) - q) < 1e-6) }
        Self.expectFrequencies(Self.histogram(sampler, Self.fiveWay), match: probs)
    }

    @Test func topKRestrictsSupportExactly() throws {
        let sampler = try Sampler(topK: 3)
        let probs = sampler.probabilities(logits: Self.fiveWay)
        let expected: [Double] = [0, 0.4 / 0.85, 0, 0.3 / 0.85, 0.15 / 0.85]
        for (p, q) in zip(probs, expected) { #expect(abs(Double(p) - q) < 1e-6) }
        Self.expectFrequencies(Self.histogram(sampler, Self.fiveWay), match: probs)
    }

    @Test func topPKeepsSmallestSetReachingP() throws {
        // Sorted: 0.4, 0.3, 0.15, 0.1, 0.05. p = 0.7 is reached by {0.4, 0.3} exactly; 0.71 needs 0.15 too.
        let exact = try Sampler(topP: 0.7).probabilities(logits: Self.fiveWay)
        #expect(exact.map { $0 > 0 } == [false, true, false, true, false])
        let more = try Sampler(topP: 0.71)
        let probs = more.probabilities(logits: Self.fiveWay)
        #expect(probs.map { $0 > 0 } == [false, true, false, true, true])
        #expect(abs(Double(probs[1]) - 0.4 / 0.85) < 1e-6)
        Self.expectFrequencies(Self.histogram(more, Self.fiveWay), match: probs)
        // A tiny p still keeps the single most likely token.
        #expect(try Sampler(topP: 1e-6).probabilities(logits: Self.fiveWay) == [0, 1, 0, 0, 0])
    }

    @Test func topKThenTopPUsesMassLeftAfterTopK() throws {
        // Top-2 leaves {0.4, 0.3}; 0.5 of that mass (0.35) is reached by 0.4 alone.
        let probs = try Sampler(topK: 2, topP: 0.5).probabilities(logits: Self.fiveWay)
        #expect(probs == [0, 1, 0, 0, 0])
        let both = try Sampler(topK: 2, topP: 0.6).probabilities(logits: Self.fiveWay)
        #expect(both.map { $0 > 0 } == [false, true, false, true, false])
    }

    @Test func temperatureSharpensAndFlattens() throws {
        let base = try Sampler().probabilities(logits: Self.fiveWay)
        let cold = try Sampler(temperature: 0.25).probabilities(logits: Self.fiveWay)
        let hot = try Sampler(temperature: 20).probabilities(logits: Self.fiveWay)
        let frozen = try Sampler(temperature: 1e-30).probabilities(logits: Self.fiveWay)
        #expect(cold[1] > base[1] && base[1] > hot[1])
        #expect(cold[0] < base[0] && base[0] < hot[0])
        #expect(hot.allSatisfy { abs($0 - 0.2) < 0.03 })
        #expect(frozen == [0, 1, 0, 0, 0])
    }

    @Test func sameSeedSameSequence() throws {
        let sampler = try Sampler(temperature: 0.8, topP: 0.9)
        func run(_ seed: UInt64) -> [Int] {
            var rng = RandomGenerator(seed: seed)
            var scratch = SamplerScratch()
            return Self.fiveWay.withUnsafeBufferPointer { l in
                (0..<64).map { _ in sampler.sample(logits: l, using: &rng, scratch: &scratch) }
            }
        }
        #expect(run(9) == run(9))
        #expect(run(9) != run(10))
    }

    @Test func eachDrawConsumesOneUniform() throws {
        var rng = RandomGenerator(seed: 5), reference = RandomGenerator(seed: 5)
        var scratch = SamplerScratch()
        _ = [Float](repeating: -.infinity, count: 3).withUnsafeBufferPointer {
            try! Sampler(topK: 2).sample(logits: $0, using: &rng, scratch: &scratch)
        }
        _ = reference.nextUnitDouble()
        #expect(rng == reference)
    }

    @Test func nonFiniteLogits() throws {
        let sampler = try Sampler(temperature: 0.7)
        // −∞ and NaN have probability 0.
        let masked: [Float] = [.nan, 0, -.infinity, 0]
        #expect(sampler.probabilities(logits: masked) == [0, 0.5, 0, 0.5])
        Self.expectFrequencies(Self.histogram(sampler, masked, count: 2000), match: [0, 0.5, 0, 0.5])
        // +∞ tokens share all the mass.
        #expect(sampler.probabilities(logits: [1, .infinity, 3, .infinity]) == [0, 0.5, 0, 0.5])
        // Nothing finite: everything on token 0.
        #expect(sampler.probabilities(logits: [.nan, -.infinity]) == [1, 0])
        #expect(Self.histogram(sampler, [-.infinity, .nan, -.infinity], count: 100) == [100, 0, 0])
        // Huge finite logits do not overflow.
        let huge = sampler.probabilities(logits: [3e38, -3e38, 3e38])
        #expect(huge == [0.5, 0, 0.5])
    }

    @Test func scratchSurvivesVocabularyChanges() throws {
        let sampler = try Sampler(topK: 2)
        var rng = RandomGenerator(seed: 2)
        var scratch = SamplerScratch()
        let big = [Float](repeating: 0, count: 100) + [9, 9]
        let small: [Float] = [0, 5, 4]
        for logits in [big, small, big, small] {
            let token = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, using: &rng, scratch: &scratch) }
            #expect(logits[token] >= 4)
        }
    }
}
