import CharLSTMKernels
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
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
/// (`PackedGateRows`), so a range of units is a range of memory, its gate rows and its cell update one piece of
/// work: a layer is split into chunks of units that a `ChunkTeam` of `model.threads` threads runs with one
/// synchronisation per chunk, layer after layer (the decoder's rows last). Every gate row is summed in one fixed
/// order whatever the thread count or split, so the logits are the same bit for bit on 1 thread or many.
/// Small models (weights under 256 KiB) run on the calling thread. Per character O(L·G·H² + H·V), no allocation.
public final class StepRunner: @unchecked Sendable {
    public let model: CharModel
    /// The carried state of the single stream.
    public let state: RecurrentState
    private let plan: StepPlan
    /// Threads for models big enough to share (nil: the calling thread alone).
    private let team: ChunkTeam?

    /// Takes a snapshot of the model's current weights (call again after they change). Uses up to
    /// `model.threads` threads (no more than the cores) when the weights are big enough to pay for it.
    /// O(parameters).
    public convenience init(model: CharModel) {
        self.init(model: model, parallelMinimumBytes: StepPlan.parallelMinimumBytes)
    }

    /// As ``init(model:)``, sharing the work between threads once the packed weights reach
    /// `parallelMinimumBytes`, on at most `cores` threads (tests force small models onto the threaded path
    /// with 0, and more threads than this machine has cores).
    init(model: CharModel, parallelMinimumBytes: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.model = model
        state = RecurrentState(config: model.config, batch: 1)
        // More threads than cores would only take turns spinning.
        let threads = min(model.threads, cores)
        let threaded = threads > 1 && StepPlan.weightBytes(model.config) >= parallelMinimumBytes
        let plan = StepPlan(model: model, state: state, threads: threaded ? threads : 1)
        self.plan = plan
        team = threaded ? ChunkTeam(threads: threads, phases: plan.phases) { plan.run(chunk: $0) } : nil
    }

    /// Feeds one character; returns the logits of the next (valid until the next call).
    @discardableResult
    public func step(_ token: Int32) -> UnsafeBufferPointer<Float> {
        plan.begin(token: token)
        if let team {
            team.run()
        } else {
            for chunk in 0..<plan.chunkCount { plan.run(chunk: chunk) }
        }
        return UnsafeBufferPointer(start: plan.logits.pointer, count: model.config.vocabularySize)
    }

    /// Back to the zero state.
    public func reset() { state.reset() }
}

/// The buffers and packed weights of a ``StepRunner`` and its chunks of work: chunk i is a range of hidden units
/// of one layer (its gate rows, then its cell update) or a range of decoder rows. Chunks of one layer write
/// disjoint memory; a layer's chunks need every chunk of the layer below done (the team's phases). What the
/// threads read per chunk is plain values and pointers (`LayerStep`, `ChunkRange`), so no reference count is
/// touched by two threads at once.
final class StepPlan: @unchecked Sendable {
    /// Below this many bytes of weights a step stays on one thread. Measured on a 2-core Zen 5 against one
    /// thread: 2×128 (820 KiB) 1.4× faster on two threads, 2×256 1.5×, 2×512 and 3×512 about 2×.
    static let parallelMinimumBytes = 256 << 10

    /// Bytes of weights one step reads (recurrent layers and decoder).
    static func weightBytes(_ config: ModelConfig) -> Int {
        let H = config.hidden, G = config.cell.gateCount * H
        return 4 * (G * H + (config.layers - 1) * G * 2 * H + config.vocabularySize * H)
    }

    /// Chunk counts per phase: one phase per layer, then the decoder.
    let phases: [Int]
    let chunkCount: Int
    let logits: FloatBuffer
    private let state: RecurrentState
    private let cell: CellKind, hidden: Int, gateCount: Int, layerCount: Int
    private let decoderWeight: UnsafePointer<Float>, decoderBias: UnsafePointer<Float>, logitsOut: UnsafeMutablePointer<Float>
    private let chunks: UnsafeMutableBufferPointer<ChunkRange>
    private let layers: UnsafeMutableBufferPointer<LayerStep>
    /// Owners of the memory the pointers above point into.
    private let buffers: [FloatBuffer], packs: [PackedGateRows]
    private let embedding: UnsafePointer<Float>  // [V, G·H]: W_ih0ᵀ + input bias
    private var token = 0

    init(model: CharModel, state: RecurrentState, threads: Int) {
        self.state = state
        let config = model.config, H = config.hidden, gc = config.cell.gateCount, G = gc * H, V = config.vocabularySize
        let L = config.layers, p = model.parameters.pointer, sums = config.cell.sumsInputAndRecurrentParts
        cell = config.cell
        hidden = H
        gateCount = gc
        layerCount = L
        decoderWeight = UnsafePointer(p + model.layout.decoder.weight)
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
        layers = .allocate(capacity: L)
        for k in 0..<L {
            let o = model.layout.layer(k), packed = model.packedStepWeights(layer: k)
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
        // Chunks: on one thread a whole layer each. Else about 256 KiB of weights each (fewer chunks cost
        // more waiting at the end of a layer, more cost more claims), at most H / threads units, in whole
        // cache lines of 16 units so that no two threads write one line of the gates, h or c. The decoder
        // in `threads` row ranges of whole 16-row blocks.
        var ranges = [ChunkRange](), counts = [Int]()
        for k in 0...L {
            let n = k < L ? H : V, bytesPerUnit = 4 * gc * (k == 0 && sums ? H : 2 * H)
            let step = threads == 1 ? n
                : k == L ? (V + 16 * threads - 1) / (16 * threads) * 16
                : max(16, min((256 << 10) / bytesPerUnit, (H + threads - 1) / threads) / 16 * 16)
            var lo = 0, count = 0
            while lo < n {
                ranges.append(ChunkRange(layer: k, lo: lo, hi: min(n, lo + step)))
                lo += step
                count += 1
            }
            counts.append(count)
        }
        chunks = .allocate(capacity: ranges.count)
        _ = chunks.initialize(from: ranges)
        chunkCount = ranges.count
        phases = counts
    }

    deinit {
        chunks.deallocate()
        layers.deallocate()
    }

    /// Readies a step on `token`: each layer's carried h into its vector (the state may have been changed
    /// between steps). O(L·H).
    func begin(token: Int32) {
        self.token = Int(token)
        for layer in layers { (layer.vector + hidden).update(from: layer.h, count: hidden) }
    }

    /// Runs chunk `chunk` of the step (see the type's doc).
    func run(chunk: Int) {
        let H = hidden, gc = gateCount, range = chunks[chunk], lo = range.lo, count = range.hi - range.lo
        if range.layer == layerCount {
            (logitsOut + lo).update(from: decoderBias + lo, count: count)
            sgemv(trans: false, m: count, n: H, alpha: 1, a: decoderWeight + lo * H, lda: H,
                  x: layers[layerCount - 1].h, beta: 1, y: logitsOut + lo, threads: 1)
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
