import CharLSTMKernels
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

/// Runs a model one character at a time (batch 1) with carried state: the engine of generation.
///
/// Per character and layer k, for hidden units j (x the layer's input, h its previous output):
///
///     a[g·H + j] = bias[g·H + j] + W[g·H + j, :] · v          v = [x; h] (2H) for k ≥ 1 of a cell that sums
///                                                              its parts, h (H) for k = 0, whose x-part is the
///                                                              row of token in W_ih0ᵀ + bias (a lookup)
///     GRU: a = b_ih + W_ih·x (k ≥ 1; the lookup for k = 0) and, apart, b_hh + W_hh·h
///     then the cell (`CellKind`) on unit j's gates: c_j, h_j.
///
/// then the decoder, logits [V] = b_d + W_d · h of the last layer. The weights are packed unit by unit
/// (`PackedGateRows`, the decoder's rows four at a time), as fp32 or as bf16 (``WeightPrecision``: half the memory
/// to read per character, the arithmetic still fp32), so a range of units is a range of memory, its gate rows and
/// its cell update one piece of work: a layer is split into chunks of units (about ``chunkBytes`` of weights each)
/// that a `ChunkTeam` of `model.threads` threads runs with one synchronisation per chunk, layer after layer (the
/// decoder's rows last). Every gate row is summed in one fixed order whatever the thread count, split or chunk
/// size, so the logits are the same bit for bit on 1 thread or many. Small models (weights under 256 KiB) run on
/// the calling thread. Per character O(L·G·H² + H·V), no allocation.
package final class StepRunner {
    let model: RecurrentNetwork
    /// The carried state of the single stream.
    let state: RecurrentState
    /// How the weights are stored.
    let weights: WeightPrecision
    /// Threads taking part in a step (1: the calling thread alone).
    let threads: Int
    /// Bytes of packed weights per chunk of work (a tuning knob of ``planChunks(candidates:budget:cache:)``).
    private(set) var chunkBytes: Int
    /// Whether each thread keeps its own run of every layer's chunks (its share of the weights in its own cache)
    /// rather than claiming chunks in turn (``ChunkTeam``'s affinity; the other knob of
    /// ``planChunks(candidates:budget:cache:)``). Claiming in turn balances threads whose shares come from a
    /// shared cache; own runs pay where each share fits a core's L2.
    private(set) var ownRuns = false
    private let plan: StepPlan
    private var chunks: StepChunks
    /// Threads for models big enough to share (nil: the calling thread alone).
    private var team: ChunkTeam?

    /// Takes a snapshot of the model's current weights (call again after they change), stored as `weights`.
    /// Uses up to `model.threads` threads (no more than the cores) when the weights are big enough to pay for it.
    /// O(parameters).
    convenience init(model: RecurrentNetwork, weights: WeightPrecision = .f32) {
        self.init(model: model, weights: weights, parallelMinimumBytes: StepPlan.parallelMinimumBytes)
    }

    /// As ``init(model:weights:)``, sharing the work between threads once the packed weights reach
    /// `parallelMinimumBytes`, on at most `cores` threads (tests force small models onto the threaded path
    /// with 0, and more threads than this machine has cores), in chunks of about `chunkBytes`.
    init(model: RecurrentNetwork, weights: WeightPrecision = .f32, parallelMinimumBytes: Int,
         cores: Int = ProcessInfo.processInfo.activeProcessorCount, chunkBytes: Int = StepChunks.defaultBytes) {
        self.model = model
        self.weights = weights
        state = RecurrentState(config: model.config, batch: 1)
        // More threads than cores would only take turns spinning.
        let threads = min(model.threads, cores)
        let threaded = threads > 1 && StepPlan.weightBytes(model.config) >= parallelMinimumBytes
        self.threads = threaded ? threads : 1
        plan = StepPlan(model: model, state: state, weights: weights)
        self.chunkBytes = chunkBytes
        chunks = StepChunks(config: model.config, weights: weights, threads: self.threads, bytes: chunkBytes)
        team = Self.team(plan: plan, chunks: chunks, threads: self.threads, ownRuns: ownRuns)
    }

    private static func team(plan: StepPlan, chunks: StepChunks, threads: Int, ownRuns: Bool) -> ChunkTeam? {
        guard threads > 1 else { return nil }
        let ranges = ChunkRanges(pointer: UnsafePointer(chunks.ranges.baseAddress!))
        return ChunkTeam(threads: threads, phases: chunks.phases, affinity: ownRuns, grace: .microseconds(10)) {
            plan.run(ranges.pointer[$0])
        }
    }

    /// Cuts the layers into chunks of about `bytes` of weights from now on, each thread with its own run of them
    /// or claiming them in turn as `ownRuns` says (the same logits, another speed). O(L·H).
    func useChunks(bytes: Int, ownRuns: Bool = false) {
        guard bytes != chunkBytes || ownRuns != self.ownRuns, threads > 1 else { return }
        chunkBytes = bytes
        self.ownRuns = ownRuns
        team = nil  // stops the old team's workers before their chunk table goes
        chunks = StepChunks(config: model.config, weights: weights, threads: threads, bytes: bytes)
        team = Self.team(plan: plan, chunks: chunks, threads: threads, ownRuns: ownRuns)
    }

    /// Feeds one character; returns the logits of the next (valid until the next call).
    @discardableResult
    func step(_ token: Int32) -> UnsafeBufferPointer<Float> {
        plan.begin(token: token)
        if let team {
            team.run()
        } else {
            for range in chunks.ranges { plan.run(range) }
        }
        return UnsafeBufferPointer(start: plan.logits.pointer, count: model.config.vocabularySize)
    }

    /// Back to the zero state.
    func reset() { state.reset() }

    /// The model's loss on `tokens` read one at a time from the current state, in bits per character: each
    /// token predicts the next (−log₂ softmax(logits)[next], summed in Double). What generation's weights cost in
    /// quality, measured on held-out text (``WeightPrecision``). O(tokens) steps.
    func bitsPerCharacter(of tokens: [Int32]) -> Double {
        guard tokens.count >= 2 else { return 0 }
        var nats = 0.0
        for t in 0..<(tokens.count - 1) {
            let logits = step(tokens[t])
            var largest = -Float.infinity
            for z in logits where z > largest { largest = z }
            var sum = 0.0
            for z in logits { sum += exp(Double(z - largest)) }
            nats += log(sum) - Double(logits[Int(tokens[t + 1])] - largest)
        }
        return nats / Double(tokens.count - 1) / 0.693_147_180_559_945_3
    }

    /// fp32 weights (layers and decoder) above which ``automaticWeights(for:)`` stores them as int8: 4 MiB, the L2 of
    /// the 2-core machines measured (2 × 2 MiB on the Emerald Rapids Xeon, 2 × 1 MiB on the Zen 5), beyond which
    /// reading the weights from L3 sets the speed of generation.
    static let compactAbove = 4 << 20

    /// How generation stores the weights of a model of `config` unless told otherwise (`generate --weights auto`):
    /// int8 above ``compactAbove`` bytes of fp32 weights, else f32. A rule on the model's size, not the machine's,
    /// so that a seed gives the same text on every machine. int8 rather than bf16: on the Emerald Rapids Xeon M
    /// generates 1.5× as fast with it as with bf16 (its weights then fit the two L2s) and L 1.45×, for +0.0004
    /// bits/char or less on held-out text (docs/performance.md). O(1).
    package static func automaticWeights(for config: ModelConfig) -> WeightPrecision {
        StepPlan.weightBytes(config) > compactAbove ? .int8 : .f32
    }

    /// Times steps with chunks of each of `candidates` bytes, claimed in turn and in each thread's own runs
    /// (``StepChunking/plan(step:candidates:budget:cache:stepsPerMeasurement:use:step:)``), and keeps the fastest;
    /// the state is left as it was. With a `cache`, a choice measured before for this model shape, weights and
    /// thread count on this machine is taken from there instead (and a new measurement stored). Returns the
    /// chunkings with their steps per second, fastest first; nothing on one thread, where there is nothing to choose.
    @discardableResult
    func planChunks(candidates: [Int] = StepChunking.candidateBytes, budget: Duration = .milliseconds(60),
                    cache: PlanCache? = nil) -> StepChunkPlan {
        guard threads > 1, !candidates.isEmpty else { return StepChunkPlan() }
        let c = model.config, saved = (state.h.array, state.c.array)
        defer {
            state.h.buffer.baseAddress!.update(from: saved.0, count: saved.0.count)
            if !saved.1.isEmpty { state.c.buffer.baseAddress!.update(from: saved.1, count: saved.1.count) }
        }
        var token: Int32 = 0
        let V = Int32(c.vocabularySize)
        return StepChunking.plan(step: "step \(c.cell.rawValue) \(c.layers)x\(c.hidden) V\(c.vocabularySize) \(weights.rawValue) threads \(threads)",
                                 candidates: candidates, budget: budget, cache: cache, stepsPerMeasurement: 8,
                                 use: { useChunks(bytes: $0.bytes, ownRuns: $0.ownRuns) },
                                 step: { token = (token &+ 7) % V; step(token) })
    }
}

/// The buffers and packed weights of a ``StepRunner`` and its chunks of work: chunk i is a range of hidden units
/// of one layer (its gate rows, then its cell update) or a range of decoder rows. Chunks of one layer write
/// disjoint memory; a layer's chunks need every chunk of the layer below done (the team's phases). What the
/// threads read per chunk is plain values and pointers (`LayerStep`, `ChunkRange`), so no reference count is
/// touched by two threads at once.
/// @unchecked Sendable: the team's threads write disjoint unit ranges of a step; `token` is set between steps.
final class StepPlan: @unchecked Sendable {
    /// Below this many bytes of weights a step stays on one thread. Measured on a 2-core Zen 5 against one
    /// thread: 2×128 (820 KiB) 1.4× faster on two threads, 2×256 1.5×, 2×512 and 3×512 about 2×.
    static let parallelMinimumBytes = 256 << 10

    /// Bytes of weights one step reads (recurrent layers and decoder).
    static func weightBytes(_ config: ModelConfig) -> Int {
        let H = config.hidden, G = config.cell.gateCount * H
        return 4 * (G * H + (config.layers - 1) * G * 2 * H + config.vocabularySize * H)
    }

    let logits: FloatBuffer
    private let state: RecurrentState
    private let hidden: Int, layerCount: Int
    private let cell: CellKind, gateCount: Int
    private let decoderBias: UnsafePointer<Float>, logitsOut: UnsafeMutablePointer<Float>
    private let decoder: GateRowsView
    private let layers: UnsafeMutableBufferPointer<LayerStep>
    /// Owners of the memory the pointers above point into.
    private let buffers: [FloatBuffer], packs: [PackedGateRows]
    private let embedding: UnsafePointer<Float>  // [V, G·H]: W_ih0ᵀ + input bias
    private var token = 0

    init(model: RecurrentNetwork, state: RecurrentState, weights: WeightPrecision) {
        self.state = state
        let config = model.config, H = config.hidden, gc = config.cell.gateCount, G = gc * H, V = config.vocabularySize
        let L = config.layers, p = model.parameters.pointer, sums = config.cell.sumsInputAndRecurrentParts
        cell = config.cell
        hidden = H
        gateCount = gc
        layerCount = L
        decoderBias = UnsafePointer(p + model.layout.decoder.bias)
        let biases = (0..<L).map { _ in FloatBuffer(count: G) }, table = FloatBuffer(count: V * G)
        model.prepareInputTables(embedding: table.pointer, bias: { biases[$0].pointer })
        embedding = UnsafePointer(table.pointer)
        // Per layer [2H]: the input x (the layer below's new h, written by its chunks) and the h carried in.
        let vectors = (0..<L).map { _ in FloatBuffer(count: 2 * H) }
        let gates = FloatBuffer(count: G), recurrentPart = FloatBuffer(count: sums ? 0 : G)
        let separatePart = FloatBuffer(count: config.cell.separateRecurrentGates * H)
        logits = FloatBuffer(count: V)
        logitsOut = logits.pointer
        var packs = [PackedGateRows]()
        // The decoder's V rows of H, four rows to a group.
        let decoderWeight = p + model.layout.decoder.weight
        packs.append(PackedGateRows(gates: 1, hidden: V, columns: H, precision: weights) { r, row in
            row.update(from: decoderWeight + r * H, count: H)
        })
        decoder = packs.last!.view
        layers = .allocate(capacity: L)
        for k in 0..<L {
            let o = model.layout.layer(k), packed = model.packedStepWeights(layer: k, precision: weights)
            packs += [packed.input, packed.recurrent].compactMap { $0 }
            let input = packed.input?.view, recurrent = packed.recurrent?.view
            layers.initializeElement(at: k, to: LayerStep(
                bias: biases[k].pointer, recurrentBias: sums ? nil : p + o.biasHH, input: input, recurrent: recurrent,
                vector: vectors[k].pointer, next: k + 1 < L ? vectors[k + 1].pointer : nil,
                h: state.h(layer: k), c: config.cell.hasCellState ? state.c(layer: k) : nil,
                gates: gates.pointer, recurrentPart: recurrentPart.pointer, separatePart: separatePart.pointer))
        }
        self.packs = packs
        buffers = biases + vectors + [table, gates, recurrentPart, separatePart]
    }

    deinit {
        layers.deallocate()
    }

    /// Readies a step on `token`: each layer's carried h into its vector (the state may have been changed
    /// between steps). O(L·H).
    func begin(token: Int32) {
        self.token = Int(token)
        for layer in layers { (layer.vector + hidden).update(from: layer.h, count: hidden) }
    }

    /// Runs one chunk of the step (see the type's doc).
    func run(_ range: ChunkRange) {
        let H = hidden, gc = gateCount, lo = range.lo, count = range.hi - range.lo
        if range.layer == layerCount {
            (logitsOut + lo).update(from: decoderBias + lo, count: count)
            decoder.accumulate(layers[layerCount - 1].h, into: logitsOut, units: lo..<range.hi)
            return
        }
        let layer = layers[range.layer], a = layer.gates, v = layer.vector, units = lo..<range.hi
        let source = range.layer == 0 ? embedding + token * gc * H : UnsafePointer(layer.bias)
        for g in 0..<gc { (a + g * H + lo).update(from: source + g * H + lo, count: count) }
        if let recurrentBias = layer.recurrentBias {
            // GRU: x·W_ihᵀ into the gates, b_hh + h·W_hhᵀ apart.
            layer.input?.accumulate(v, into: a, units: units)
            let r = layer.recurrentPart
            for g in 0..<gc { (r + g * H + lo).update(from: recurrentBias + g * H + lo, count: count) }
            layer.recurrent!.accumulate(v + H, into: r, units: units)
        } else if let w = layer.input {
            w.accumulate(v, into: a, units: units)                        // [W_ih | W_hh] · [x; h]
        } else {
            layer.recurrent!.accumulate(v + H, into: a, units: units)     // layer 0: W_hh · h
        }
        switch cell {
        case .lstm:
            lstmCellForward(gates: a, cPrev: layer.c!, c: layer.c!, h: layer.h, batch: 1, hidden: H, units: units)
        case .rnn:
            rnnCellForward(gates: a, h: layer.h, batch: 1, hidden: H, units: units)
        case .gru:
            gruCellForward(gates: a, recurrentPart: layer.recurrentPart, nPart: layer.separatePart, hPrev: v + H,
                           h: layer.h, batch: 1, hidden: H, units: units)
        }
        layer.next?.advanced(by: lo).update(from: layer.h + lo, count: count)
    }
}

/// The chunk table as a plain pointer a team's threads read (the ``StepChunks`` that owns it outlives the team).
/// @unchecked Sendable: the table is written before the team starts and only read by its threads.
struct ChunkRanges: @unchecked Sendable {
    let pointer: UnsafePointer<ChunkRange>
}

/// A chunk of a step: units lo..<hi of a layer, or rows lo..<hi of the decoder (layer == the layer count).
struct ChunkRange {
    let layer: Int, lo: Int, hi: Int
}

/// Where one layer's step reads and writes (plain pointers into buffers the `StepPlan` owns, and into the state).
struct LayerStep {
    /// The bias added to x·W_ihᵀ [G·H] (for layer 0 the embedding row holds it); b_hh apart for GRU, else nil.
    let bias: UnsafeMutablePointer<Float>, recurrentBias: UnsafePointer<Float>?
    /// Packed [W_ih | W_hh] (layers ≥ 1 of cells that sum their parts), else packed W_ih (nil for layer 0) and W_hh.
    let input: GateRowsView?, recurrent: GateRowsView?
    /// This layer's [x; h carried in] [2H], and the next layer's (whose x this layer's h becomes).
    let vector: UnsafeMutablePointer<Float>, next: UnsafeMutablePointer<Float>?
    /// The state's h and c of the layer, written by the step.
    let h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?
    /// Shared scratch: gates [G·H]; GRU's recurrent part [G·H] and that of its n gate [H].
    let gates: UnsafeMutablePointer<Float>, recurrentPart: UnsafeMutablePointer<Float>, separatePart: UnsafeMutablePointer<Float>
}
