import CharLSTMKernels
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One character for each of up to ``capacity`` streams at once: the engine of ``GenerationBatch``.
///
/// Per step, for the B streams in slots 0..<B (each its own token t_b and carried state), layer k, unit j:
///
///     a_b[g·H + j] = bias[g·H + j] + W[g·H + j, :] · v_b     v_b = [x_b; h_b] (2H) for k ≥ 1 of a cell that sums
///                                                            its parts, h_b (H) for k = 0 (x-part: row t_b of
///                                                            W_ih0ᵀ + bias, a lookup); GRU's recurrent part apart
///     then the cell on each stream's gates; logits_b [V] = b_d + W_d · h_b of the last layer.
///
/// The weights are packed unit by unit as ``StepRunner`` packs them, and each group of gate rows is read once a
/// step and applied to every stream (``GateRowsView/accumulate(batch:_:xStride:into:yStride:units:streamTile:)``),
/// so a step reads the weights once, not B times: a matrix product over the streams. Every logit is summed in
/// the order ``StepRunner`` sums it, so a stream's logits are the same bit for bit as generating it alone.
/// Layers are cut into chunks of units that a ``ChunkTeam`` runs on up to `threads` threads, layer after layer,
/// each thread its own run of every layer's chunks or claiming them in turn, in chunks of a size measured on the
/// machine (``planChunks(streams:candidates:budget:cache:)``).
/// Per step O(B·(L·G·H² + H·V)) arithmetic, one pass over the weights, no allocation.
/// @unchecked Sendable: the team's threads write disjoint unit ranges of a step; `batch` and the tokens are set between steps.
final class BatchedStep: @unchecked Sendable {
    let capacity: Int
    let config: ModelConfig
    /// Streams in the next step: slots 0..<batch.
    var batch = 0
    /// The token each slot reads in the next step [capacity].
    let tokens: UnsafeMutableBufferPointer<Int32>
    /// Logits after the last step, slot b at b·V [capacity·V].
    let logits: FloatBuffer
    private let H: Int, G: Int, V: Int, L: Int, gc: Int, separate: Int
    private let cell: CellKind
    /// Per layer, plain pointers and views for the threads' hot loops (no reference counting, as in `StepPlan`).
    private let layers: UnsafeMutableBufferPointer<BatchLayer>
    /// The chunks of a step (replaced with the team), and their table as the team's threads read it.
    private var chunks: StepChunks
    private var ranges: UnsafeBufferPointer<ChunkRange>
    /// Threads taking part in a step (1: the calling thread alone).
    let threads: Int
    /// Bytes of packed weights per chunk of work (a knob of ``planChunks(streams:candidates:budget:cache:)``).
    private(set) var chunkBytes = StepChunks.defaultBytes
    /// Whether each thread keeps its own run of every layer's chunks rather than claiming chunks in turn (the
    /// other knob). Own runs by default: on the Emerald Rapids Xeon `generate --samples` ran 4–15% faster with
    /// them than claiming in turn, for 2 to 64 streams of the shipped model and of a 2 × 512 LSTM.
    private(set) var ownRuns = true
    /// Scratch shared by the layers (one layer runs at a time): gates [capacity, G], GRU's recurrent part
    /// [capacity, G] and that of its n gate [capacity, separate·H].
    private let gates: UnsafeMutablePointer<Float>, recurrentPart: UnsafeMutablePointer<Float>
    private let separatePart: UnsafeMutablePointer<Float>
    private let decoder: GateRowsView, decoderBias: UnsafePointer<Float>, logitsOut: UnsafeMutablePointer<Float>
    /// Owners of the memory the pointers above point into.
    private let buffers: [FloatBuffer], packs: [PackedGateRows], model: RecurrentNetwork
    private var team: ChunkTeam?
    private let weights: WeightPrecision
    private let streamTile: Int
    /// Steps whose streams times weights reach this many bytes run on the team; smaller ones on the caller.
    private let parallelMinimumBytes: Int
    /// The default of that: about where a step's arithmetic outweighs waking a worker (as `StepPlan`'s 256 KiB at B = 1).
    static let parallelMinimumBytes = 256 << 10

    /// Buffers for `capacity` streams over `model`'s current weights (a snapshot: build again after they change),
    /// stored at `weights` as ``StepRunner`` stores them, its steps on up to `threads` threads.
    /// O(parameters + capacity·(L·H + G + V)) memory.
    init(model: RecurrentNetwork, capacity: Int, threads: Int, weights: WeightPrecision = .f32,
         streamTile: Int = GateRowsView.preferredStreamTile, parallelMinimumBytes: Int = BatchedStep.parallelMinimumBytes) {
        precondition(capacity >= 1, "a batch holds at least one stream")
        let config = model.config
        self.model = model
        self.config = config
        self.capacity = capacity
        self.streamTile = streamTile
        self.parallelMinimumBytes = parallelMinimumBytes
        cell = config.cell
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize, L = config.layers
        let separate = config.cell.separateRecurrentGates
        self.H = H; self.G = G; self.V = V; self.L = L; self.separate = separate; gc = config.cell.gateCount
        let sums = config.cell.sumsInputAndRecurrentParts, p = model.parameters.pointer
        tokens = .allocate(capacity: capacity)
        tokens.initialize(repeating: 0)
        logits = FloatBuffer(count: capacity * V)
        logitsOut = logits.pointer
        let h = (0..<L).map { _ in FloatBuffer(count: capacity * H) }
        let c = (0..<L).map { _ in FloatBuffer(count: config.cell.hasCellState ? capacity * H : 0) }
        let vectors = (0..<L).map { _ in FloatBuffer(count: capacity * 2 * H) }
        let scratch = [FloatBuffer(count: capacity * G), FloatBuffer(count: sums ? 0 : capacity * G),
                       FloatBuffer(count: capacity * separate * H)]
        gates = scratch[0].pointer; recurrentPart = scratch[1].pointer; separatePart = scratch[2].pointer
        let biases = (0..<L).map { _ in FloatBuffer(count: G) }, embedding = FloatBuffer(count: V * G)
        model.prepareInputTables(embedding: embedding.pointer, bias: { biases[$0].pointer })
        var packs = [PackedGateRows]()
        layers = .allocate(capacity: L)
        for k in 0..<L {
            let o = model.layout.layer(k), packed = model.packedStepWeights(layer: k, precision: weights)
            packs += [packed.input, packed.recurrent].compactMap { $0 }
            let input = packed.input?.view, recurrent = packed.recurrent?.view
            layers.initializeElement(at: k, to: BatchLayer(
                h: h[k].pointer, c: config.cell.hasCellState ? c[k].pointer : nil, vector: vectors[k].pointer,
                next: k + 1 < L ? vectors[k + 1].pointer : nil,
                source: UnsafePointer(k == 0 ? embedding.pointer : biases[k].pointer), sourceStride: k == 0 ? G : 0,
                recurrentBias: sums ? nil : UnsafePointer(p + o.biasHH), input: input, recurrent: recurrent))
        }
        let d = model.layout.decoder
        packs.append(PackedGateRows(gates: 1, hidden: V, columns: H, precision: weights) { r, row in
            row.update(from: p + d.weight + r * H, count: H)
        })
        decoder = packs.last!.view
        decoderBias = UnsafePointer(p + d.bias)
        self.packs = packs
        buffers = h + c + vectors + scratch + biases + [embedding]
        self.threads = max(1, min(threads, ProcessInfo.processInfo.activeProcessorCount))
        self.weights = weights
        chunks = StepChunks(config: config, weights: weights, threads: self.threads, bytes: chunkBytes)
        ranges = UnsafeBufferPointer(chunks.ranges)
        team = makeTeam()
    }

    /// A team for the current chunks (nil on one thread). Its threads reach the step unowned and unretained: a
    /// job runs only inside ``step()``, and the step stops the team's workers before it goes (`deinit`), so the
    /// step outlives every job, and no reference count is touched per chunk.
    private func makeTeam() -> ChunkTeam? {
        guard threads > 1 else { return nil }
        return ChunkTeam(threads: threads, phases: chunks.phases, affinity: ownRuns, grace: .microseconds(10)) {
            [unowned(unsafe) self] chunk in run(chunk: chunk)
        }
    }

    /// Cuts the layers into chunks of about `bytes` of weights from now on, each thread with its own run of them
    /// or claiming them in turn as `ownRuns` says (the same logits, another speed). O(L·H).
    func useChunks(bytes: Int, ownRuns: Bool) {
        guard bytes != chunkBytes || ownRuns != self.ownRuns, threads > 1 else { return }
        chunkBytes = bytes
        self.ownRuns = ownRuns
        team = nil  // stops the old team's workers before their chunk table goes
        chunks = StepChunks(config: config, weights: weights, threads: threads, bytes: bytes)
        ranges = UnsafeBufferPointer(chunks.ranges)
        team = makeTeam()
    }

    /// Times steps of `streams` streams (at most ``capacity``) with chunks of each of `candidates` bytes, claimed
    /// in turn and in each thread's own runs (``StepChunking/plan(step:candidates:budget:cache:stepsPerMeasurement:use:step:)``),
    /// and keeps the fastest. With a `cache`, a choice measured before for this model shape, weights, thread count
    /// and number of streams on this machine is taken from there instead (and a new measurement stored). The
    /// steps run on slots 0..<streams, which are then reset: plan before streams join. Returns the chunkings with
    /// their steps per second, fastest first; nothing where a step of `streams` stays on one thread.
    @discardableResult
    func planChunks(streams: Int, candidates: [Int] = StepChunking.candidateBytes, budget: Duration = .milliseconds(100),
                    cache: PlanCache? = nil) -> StepChunkPlan {
        let B = min(max(streams, 1), capacity)
        guard team != nil, B * weightBytes >= parallelMinimumBytes, !candidates.isEmpty else { return StepChunkPlan() }
        let saved = batch
        for b in 0..<B {
            reset(slot: b)
            tokens[b] = Int32(b % V)
        }
        batch = B
        defer {
            for b in 0..<B { reset(slot: b) }
            batch = saved
        }
        let c = config
        return StepChunking.plan(step: "batched step \(c.cell.rawValue) \(c.layers)x\(c.hidden) V\(c.vocabularySize) "
                                     + "\(weights.rawValue) threads \(threads) streams \(B)",
                                 candidates: candidates, budget: budget, cache: cache, stepsPerMeasurement: 4,
                                 use: { useChunks(bytes: $0.bytes, ownRuns: $0.ownRuns) }, step: step)
    }

    deinit {
        team = nil  // stops the workers before the buffers they read go
        tokens.deallocate()
        layers.deallocate()
    }

    /// Bytes of weights a step reads (the recurrent layers and the decoder).
    var weightBytes: Int { 4 * (G * H + (L - 1) * G * 2 * H + V * H) }

    /// Zero state for slot `b`, and the logits of that state (the decoder's bias alone). O(L·H + V).
    func reset(slot b: Int) {
        for layer in layers {
            (layer.h + b * H).update(repeating: 0, count: H)
            layer.c.map { ($0 + b * H).update(repeating: 0, count: H) }
        }
        (logitsOut + b * V).update(from: decoderBias, count: V)
    }

    /// Copies slot `from`'s state, logits and token into slot `to` (a stream moving down when another leaves).
    func move(slot from: Int, to: Int) {
        guard from != to else { return }
        for layer in layers {
            (layer.h + to * H).update(from: layer.h + from * H, count: H)
            layer.c.map { ($0 + to * H).update(from: $0 + from * H, count: H) }
        }
        (logitsOut + to * V).update(from: logitsOut + from * V, count: V)
        tokens[to] = tokens[from]
    }

    /// The logits of slot `b` after the last step [V].
    func logits(slot b: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logitsOut + b * V, count: V)
    }

    /// Feeds ``tokens``[b] to the stream in slot b for every b < ``batch``; afterwards ``logits(slot:)`` holds
    /// each stream's logits for its next character.
    func step() {
        guard batch > 0 else { return }
        precondition(batch <= capacity, "more streams than slots")
        for layer in layers {
            for b in 0..<batch { (layer.vector + b * 2 * H + H).update(from: layer.h + b * H, count: H) }
        }
        if let team, batch * weightBytes >= parallelMinimumBytes {
            team.run()
        } else {
            for chunk in ranges.indices { run(chunk: chunk) }
        }
    }

    /// Runs chunk `chunk` of a step for slots 0..<batch: a range of units of one layer, or of decoder rows.
    func run(chunk: Int) {
        let range = ranges[chunk], lo = range.lo, count = range.hi - range.lo, B = batch, H = H, G = G, V = V
        let units = lo..<range.hi, tile = streamTile
        if range.layer == L {
            for b in 0..<B { (logitsOut + b * V + lo).update(from: decoderBias + lo, count: count) }
            decoder.accumulate(batch: B, layers[L - 1].h, xStride: H, into: logitsOut, yStride: V, units: units,
                               streamTile: tile)
            return
        }
        let layer = layers[range.layer], a = gates, v = layer.vector
        for b in 0..<B {
            let source = layer.source + Int(tokens[b]) * layer.sourceStride
            for g in 0..<gc { (a + b * G + g * H + lo).update(from: source + g * H + lo, count: count) }
        }
        if let bias = layer.recurrentBias {
            // GRU: x·W_ihᵀ into the gates, b_hh + h·W_hhᵀ apart.
            layer.input?.accumulate(batch: B, v, xStride: 2 * H, into: a, yStride: G, units: units, streamTile: tile)
            let r = recurrentPart
            for b in 0..<B {
                for g in 0..<gc { (r + b * G + g * H + lo).update(from: bias + g * H + lo, count: count) }
            }
            layer.recurrent!.accumulate(batch: B, v + H, xStride: 2 * H, into: r, yStride: G, units: units, streamTile: tile)
        } else if let w = layer.input {
            w.accumulate(batch: B, v, xStride: 2 * H, into: a, yStride: G, units: units, streamTile: tile)   // [W_ih | W_hh]·[x; h]
        } else {
            layer.recurrent!.accumulate(batch: B, v + H, xStride: 2 * H, into: a, yStride: G, units: units, streamTile: tile)
        }
        let sp = separate * H
        for b in 0..<B {
            let hb = layer.h + b * H
            switch cell {
            case .lstm:
                let cb = layer.c! + b * H
                lstmCellForward(gates: a + b * G, cPrev: cb, c: cb, h: hb, batch: 1, hidden: H, units: units)
            case .rnn:
                rnnCellForward(gates: a + b * G, h: hb, batch: 1, hidden: H, units: units)
            case .gru:
                gruCellForward(gates: a + b * G, recurrentPart: recurrentPart + b * G, nPart: separatePart + b * sp,
                               hPrev: v + b * 2 * H + H, h: hb, batch: 1, hidden: H, units: units)
            }
        }
        if let next = layer.next {
            for b in 0..<B { (next + b * 2 * H + lo).update(from: layer.h + b * H + lo, count: count) }
        }
    }
}

/// Where one layer of a ``BatchedStep`` reads and writes, for all slots (slot b's rows at b times the row length).
struct BatchLayer {
    /// The carried h and c [capacity, H] (c nil for cells without one); [x; h carried in] [capacity, 2H], and
    /// the next layer's (whose x this layer's h becomes).
    let h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?
    let vector: UnsafeMutablePointer<Float>, next: UnsafeMutablePointer<Float>?
    /// What the gates start from: row token·sourceStride of it (the first layer's lookup table W_ih0ᵀ + bias,
    /// stride G; a deeper layer's bias, stride 0). GRU's b_hh apart, else nil.
    let source: UnsafePointer<Float>, sourceStride: Int, recurrentBias: UnsafePointer<Float>?
    /// Packed [W_ih | W_hh] (layers ≥ 1 of cells that sum their parts), else packed W_ih (nil for layer 0) and W_hh.
    let input: GateRowsView?, recurrent: GateRowsView?
}
