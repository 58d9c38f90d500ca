#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CharLSTMKernels

/// The network of every model: input → stacked recurrent layers (LSTM, GRU or RNN) → dropout → linear decoder.
/// A text model feeds it one-hot characters and reads a distribution over the next character from the decoder
/// (``TextModel``); a series model feeds it rows of F real values and reads the next row (``SeriesModel``; see
/// RecurrentNetwork+Series), and its ``ModelConfig/vocabularySize`` is F.
///
/// All parameters live in one flat ``parameters`` buffer laid out by ``layout`` (PyTorch's state-dict names
/// and shapes); ``gradients`` has the same layout and is overwritten by every ``backward(_:workspace:)``.
/// Training: build from a ``ModelConfig``, run ``forward(_:state:workspace:training:dropout:)`` over a batch
/// with `training: true`, then ``backward(_:workspace:)``, then step an optimizer (``Adam``) on the buffers
/// (``Trainer`` does all of this). Evaluation: ``evaluate(_:state:workspace:)`` with an ``InferenceWorkspace``;
/// generation: ``StepRunner``.
///
/// Sendable: its fields are constants (`threads` too) or behind a lock (``splitChoices``); a pass's worker threads
/// read the parameters and write the gradients in disjoint ranges, and the optimiser updates both between passes.
package final class RecurrentNetwork: Sendable {
    let config: ModelConfig
    let layout: ParameterLayout
    let parameters: FloatBuffer
    let gradients: FloatBuffer
    /// Most threads the matrix products may use.
    let threads: Int
    /// How its recurrences are shared between threads where that was measured on this machine
    /// (``planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``), by the number of streams a pass takes.
    let splitChoices = RecurrenceSplitChoices()

    /// A model with PyTorch's default initialisation, every parameter uniform in ±1/√H drawn from `rng`, except
    /// the forget gate's bias (``CellKind/forgetGate``), which starts at 1: `bias_ih` 1 and `bias_hh` 0 in its
    /// block, so that their sum, the bias the gate sees, is 1. O(parameters).
    init(config: ModelConfig, rng: inout RandomGenerator, threads: Int = 1) {
        self.config = config
        layout = ParameterLayout(config)
        parameters = FloatBuffer(count: layout.totalCount)
        gradients = FloatBuffer(count: layout.totalCount)
        self.threads = max(1, threads)
        let bound = 1 / Float(config.hidden).squareRoot()
        for i in 0..<parameters.count { parameters[i] = (2 * rng.nextUnitFloat() - 1) * bound }
        if let gate = config.cell.forgetGate {
            let H = config.hidden
            for k in 0..<config.layers {
                let layer = layout.layer(k)
                for j in gate * H..<(gate + 1) * H {
                    parameters[layer.biasIH + j] = 1
                    parameters[layer.biasHH + j] = 0
                }
            }
        }
    }

    /// Sets the decoder's bias to the log of each character's frequency in `text` (add-one smoothed, centred on
    /// zero), so that a new model predicts the unigram distribution from its first step instead of spending its
    /// first steps learning it. Softmax ignores the centring. O(text + V).
    func setDecoderBiasToFrequencies(of text: [Int32]) {
        let V = config.vocabularySize
        var counts = [Double](repeating: 1, count: V)
        for token in text where Int(token) < V && token >= 0 { counts[Int(token)] += 1 }
        let total = counts.reduce(0, +)
        let logs = counts.map { log($0 / total) }
        let mean = logs.reduce(0, +) / Double(V)
        let bias = layout.decoder.bias
        for j in 0..<V { parameters[bias + j] = Float(logs[j] - mean) }
    }

    /// A model with the given parameter values (shared, not copied). Throws `.usage` when `values` does not hold
    /// ``ParameterLayout``'s count for `config`.
    convenience init(config: ModelConfig, parameters values: FloatBuffer, threads: Int = 1) throws(CharLSTMError) {
        guard values.count == ParameterLayout(config).totalCount else {
            throw .usage("the model config takes \(ParameterLayout(config).totalCount) parameters, got \(values.count)")
        }
        self.init(config: config, sharing: values, threads: threads)
    }

    /// A model sharing `values`, whose count its callers guarantee (a checked checkpoint's, a fresh buffer).
    init(config: ModelConfig, sharing values: FloatBuffer, threads: Int = 1) {
        self.config = config
        layout = ParameterLayout(config)
        precondition(values.count == layout.totalCount, "parameter count does not match the model config")
        parameters = values
        gradients = FloatBuffer(count: layout.totalCount)
        self.threads = max(1, threads)
    }

    /// Pointer to the parameter called `name` (a PyTorch state-dict name).
    func parameter(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        layout.entry(named: name).map { .init(start: parameters.pointer + $0.offset, count: $0.count) }
    }

    /// Pointer to the gradient of the parameter called `name`.
    func gradient(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        layout.entry(named: name).map { .init(start: gradients.pointer + $0.offset, count: $0.count) }
    }
}

/// The hidden (and, for LSTM, cell) state carried between batches: [layers, batch, hidden] each.
final class RecurrentState {
    let layers: Int, batch: Int, hidden: Int
    let h: FloatBuffer
    /// Empty for cells without a cell state.
    let c: FloatBuffer

    init(config: ModelConfig, batch: Int) {
        let count = Self.count(config: config, batch: batch)
        layers = config.layers
        self.batch = batch
        hidden = config.hidden
        h = FloatBuffer(count: count.h)
        c = FloatBuffer(count: count.c)
    }

    /// The state held in `h` and `c` (a training state's carried state, ``TrainingState/h``), shared, not copied;
    /// their sizes must be ``count(config:batch:)``'s.
    init(config: ModelConfig, batch: Int, h: FloatBuffer, c: FloatBuffer) {
        precondition((h.count, c.count) == Self.count(config: config, batch: batch), "the carried state does not fit the model")
        layers = config.layers
        self.batch = batch
        hidden = config.hidden
        self.h = h
        self.c = c
    }

    /// The values `h` and `c` hold for a model of `config` and `batch` streams: L·B·H each, `c` none without a cell state.
    static func count(config: ModelConfig, batch: Int) -> (h: Int, c: Int) {
        let n = config.layers * batch * config.hidden
        return (n, config.cell.hasCellState ? n : 0)
    }

    /// Back to zero, as at the start of an epoch.
    func reset() {
        h.zero()
        c.zero()
    }

    func h(layer k: Int) -> UnsafeMutablePointer<Float> { h.pointer + k * batch * hidden }
    func c(layer k: Int) -> UnsafeMutablePointer<Float> { c.pointer + k * batch * hidden }

    /// Copies streams `first ..< first + piece.batch` of this state into `piece` (`toPiece`), or back from it.
    /// O(L·B′·H).
    func exchangeStreams(with piece: RecurrentState, first: Int, toPiece: Bool) {
        let n = piece.batch * hidden, offset = first * hidden
        for k in 0..<layers {
            if toPiece {
                piece.h(layer: k).update(from: h(layer: k) + offset, count: n)
                if c.count > 0 { piece.c(layer: k).update(from: self.c(layer: k) + offset, count: n) }
            } else {
                (h(layer: k) + offset).update(from: piece.h(layer: k), count: n)
                if c.count > 0 { (self.c(layer: k) + offset).update(from: piece.c(layer: k), count: n) }
            }
        }
    }
}
