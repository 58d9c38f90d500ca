#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// How a next character is chosen from the model's logits ℓ₀ … ℓₙ₋₁:
//
//     T = 0:   argmax ℓᵢ (ties → lowest index)
//     T > 0:   pᵢ = e^((ℓᵢ − max ℓ) / T) / Σⱼ e^((ℓⱼ − max ℓ) / T)          (subtracting max keeps e^x ≤ 1)
//     top-k:   keep the k largest pᵢ (ties → lower index first)
//     top-p:   keep the shortest run of largest pᵢ whose sum ≥ p · (mass left after top-k)
//     draw:    u ~ U[0, 1) from the generator; walk the kept tokens (by index when nothing is filtered,
//              else most likely first) and return the first i with Σ (kept p up to i) > u · Σ (all kept p)
//
// Non-finite logits: NaN counts as −∞; −∞ has probability 0; when any logit is +∞ the +∞ tokens share all the
// mass equally (the limit of the softmax); when every logit is −∞ or NaN the distribution is all on token 0.
//
// Top-k and top-p pop tokens off a max-heap of token indices built in the scratch buffer, so a call costs
// O(n + kept · log n) and allocates nothing once the scratch has grown to the vocabulary size.

/// Chooses one token from a vector of logits: greedy (temperature 0) or a random draw from the softmax at
/// a temperature, optionally restricted to the top-k tokens and/or the top-p probability mass (nucleus).
///
/// A draw is a pure function of the logits and the generator state. With temperature 0 no random number is
/// consumed; with temperature > 0 exactly one `nextUnitDouble()` is consumed per call, whatever the logits,
/// so the generator stream never depends on the model's outputs.
public struct Sampler: Sendable, Equatable {
    /// Divides the logits before the softmax; 0 means greedy (argmax).
    public let temperature: Float
    /// Keep only this many most likely tokens; `nil` keeps all.
    public let topK: Int?
    /// Keep only the smallest set of most likely tokens whose probability reaches this; `nil` keeps all.
    public let topP: Float?

    /// Throws `CharLSTMError(.usage)` unless `temperature` is finite and ≥ 0, `topK` ≥ 1 and `topP` is in (0, 1].
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw CharLSTMError(.usage, "temperature must be a finite number ≥ 0, got \(temperature)")
        }
        if let topK, topK < 1 {
            throw CharLSTMError(.usage, "top-k must be at least 1, got \(topK)")
        }
        if let topP, !(topP > 0 && topP <= 1) {
            throw CharLSTMError(.usage, "top-p must be in (0, 1], got \(topP)")
        }
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// Draws one token index in `0..<logits.count` (see the type's documentation for the rules).
    ///
    /// `logits` must not be empty. `scratch` is reused between calls; it grows once to the vocabulary size.
    func sample(
        logits: UnsafeBufferPointer<Float>, using rng: inout RandomGenerator, scratch: inout SamplerScratch
    ) -> Int {
        precondition(!logits.isEmpty, "Sampler.sample needs at least one logit")
        if temperature == 0 { return Self.argmax(logits) }
        let u = rng.nextUnitDouble()
        let support = prepare(logits: logits, scratch: &scratch)
        return scratch.withBuffers(count: logits.count) { probs, order in
            let target = u * support.mass
            var cumulative = 0.0
            var last = order[order.count - 1]
            for rank in 0..<support.count {
                let token = order[order.count - 1 - rank]
                let p = Double(probs[Int(token)])
                guard p > 0 else { continue }
                cumulative += p
                last = token
                if target < cumulative { break }
            }
            return Int(last)
        }
    }

    /// The distribution ``sample(logits:using:scratch:)`` draws from, normalised to sum 1: after temperature,
    /// top-k and top-p. For temperature 0 it is one-hot at the argmax. Allocates; meant for tests and inspection.
    func probabilities(logits: [Float]) -> [Float] {
        precondition(!logits.isEmpty, "Sampler.probabilities needs at least one logit")
        var result = [Float](repeating: 0, count: logits.count)
        if temperature == 0 {
            result[logits.withUnsafeBufferPointer(Self.argmax)] = 1
            return result
        }
        var scratch = SamplerScratch()
        let support = logits.withUnsafeBufferPointer { prepare(logits: $0, scratch: &scratch) }
        scratch.withBuffers(count: logits.count) { probs, order in
            for rank in 0..<support.count {
                let token = Int(order[order.count - 1 - rank])
                result[token] = Float(Double(probs[token]) / support.mass)
            }
        }
        return result
    }

    /// Index of the largest logit; NaN counts as −∞; ties and the all-(−∞/NaN) case give the lowest index.
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for i in logits.indices where logits[i] > bestValue {  // NaN > x is false: NaN never wins
            best = i
            bestValue = logits[i]
        }
        return best
    }

    /// Fills the scratch with unnormalised probabilities and leaves the kept tokens, most likely first, at the
    /// end of `order` (kept token r at `order[n − 1 − r]`). Returns how many are kept and their total mass (> 0).
    private func prepare(
        logits: UnsafeBufferPointer<Float>, scratch: inout SamplerScratch
    ) -> (count: Int, mass: Double) {
        let n = logits.count
        scratch.reserve(n)
        let temperature = temperature, topK = topK, topP = topP
        return scratch.withBuffers(count: n) { probs, order in
            let total = Self.softmaxNumerators(logits: logits, temperature: temperature, into: probs)
            for i in 0..<n { order[i] = Int32(n - 1 - i) }  // unfiltered, the walk from the back is by index
            guard topK != nil || topP != nil else { return (n, total) }
            var heap = TokenHeap(probs: UnsafeBufferPointer(probs), order: order)
            let k = min(topK ?? n, n)
            var kept = 0, mass = 0.0
            // Top-k alone, or top-k before top-p: pop k tokens first.
            if topK != nil {
                while kept < k { mass += Double(probs[heap.popMax()]); kept += 1 }
            }
            guard let topP else { return (kept, mass) }
            // A relative slack of 1e-6 keeps rounding in the Float probabilities from adding a token.
            let goal = Double(topP) * (topK != nil ? mass : total) * (1 - 1e-6)
            if topK != nil {
                var prefix = 0.0
                for rank in 0..<kept {
                    prefix += Double(probs[Int(order[n - 1 - rank])])
                    if prefix >= goal { return (rank + 1, prefix) }
                }
                return (kept, mass)
            }
            while kept < n {
                mass += Double(probs[heap.popMax()])
                kept += 1
                if mass >= goal { break }
            }
            return (kept, mass)
        }
    }

    /// Writes e^((ℓᵢ − max ℓ) / T) (with the non-finite rules above) into `probs` and returns their sum (> 0).
    private static func softmaxNumerators(
        logits: UnsafeBufferPointer<Float>, temperature: Float, into probs: UnsafeMutableBufferPointer<Float>
    ) -> Double {
        let maxLogit = logits[argmax(logits)]
        var total = 0.0
        if maxLogit == .infinity || maxLogit == -.infinity || maxLogit.isNaN {
            // +∞ tokens share the mass; with none finite at all, everything goes to token 0.
            for i in logits.indices {
                let p: Float = maxLogit == .infinity ? (logits[i] == .infinity ? 1 : 0) : (i == 0 ? 1 : 0)
                probs[i] = p
                total += Double(p)
            }
            return total
        }
        for i in logits.indices {
            let x = logits[i]
            // Division, not multiplication by 1/T: for tiny T, 1/T is ∞ and 0 · ∞ would be NaN.
            let p = x.isNaN ? 0 : exp((x - maxLogit) / temperature)
            probs[i] = p
            total += Double(p)
        }
        return total  // ≥ 1: the max logit contributes e^0
    }
}

/// Reusable buffers for ``Sampler/sample(logits:using:scratch:)``: create one per generation loop and pass it to
/// every call, so sampling allocates nothing after the first call.
struct SamplerScratch: Sendable {
    private var probs: [Float] = []
    private var order: [Int32] = []

    init() {}

    /// Makes room for a vocabulary of `n` tokens; only ever grows.
    mutating func reserve(_ n: Int) {
        if probs.count < n {
            probs = [Float](repeating: 0, count: n)
            order = [Int32](repeating: 0, count: n)
        }
    }

    /// The first `n` (≤ the reserved size) elements of both buffers, as unsafe pointers for the duration of `body`.
    mutating func withBuffers<R>(
        count n: Int, _ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Int32>) -> R
    ) -> R {
        return probs.withUnsafeMutableBufferPointer { p in
            order.withUnsafeMutableBufferPointer { o in
                body(UnsafeMutableBufferPointer(rebasing: p[0..<n]), UnsafeMutableBufferPointer(rebasing: o[0..<n]))
            }
        }
    }
}

/// A binary max-heap of token indices stored in place in `order`, keyed by probability (ties → lower index
/// first). ``popMax()`` moves the top token to the end of the shrinking heap, so popped tokens collect at the end
/// of `order` in pop order from the back: the r-th popped is at `order[n − 1 − r]`.
private struct TokenHeap {
    let probs: UnsafeBufferPointer<Float>
    let order: UnsafeMutableBufferPointer<Int32>
    var count: Int

    init(probs: UnsafeBufferPointer<Float>, order: UnsafeMutableBufferPointer<Int32>) {
        self.probs = probs
        self.order = order
        count = order.count
        var i = count / 2 - 1
        while i >= 0 { siftDown(i); i -= 1 }
    }

    /// Whether token `a` ranks above token `b`.
    @inline(__always)
    private func above(_ a: Int32, _ b: Int32) -> Bool {
        let pa = probs[Int(a)], pb = probs[Int(b)]
        return pa > pb || (pa == pb && a < b)
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var top = i
            if l < count && above(order[l], order[top]) { top = l }
            if r < count && above(order[r], order[top]) { top = r }
            if top == i { return }
            order.swapAt(i, top)
            i = top
        }
    }

    /// Removes the most likely remaining token and returns its index. The heap must not be empty.
    mutating func popMax() -> Int {
        let token = order[0]
        count -= 1
        order.swapAt(0, count)
        siftDown(0)
        return Int(token)
    }
}
