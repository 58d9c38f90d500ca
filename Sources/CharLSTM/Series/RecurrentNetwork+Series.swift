import CharLSTMKernels

/// The loss of a series model: squared errors of its standardised predictions, over all the columns it predicts
/// (the loss trained on) and over the series' own column (the first), which is what is reported.
struct SeriesLoss: Equatable, Sendable {
    /// Σ (prediction − target)² over the predictions, in standardised units.
    var squaredError: Double
    /// Values predicted.
    var count: Int
    /// The part of ``squaredError`` and ``count`` that is the first column's (all of it for one column).
    var seriesSquaredError: Double, seriesCount: Int

    init(squaredError: Double = 0, count: Int = 0) {
        self.init(squaredError: squaredError, count: count, seriesSquaredError: squaredError, seriesCount: count)
    }

    init(squaredError: Double, count: Int, seriesSquaredError: Double, seriesCount: Int) {
        self.squaredError = squaredError
        self.count = count
        self.seriesSquaredError = seriesSquaredError
        self.seriesCount = seriesCount
    }

    /// The first column's root mean squared error, standardised.
    var seriesRootMeanSquaredError: Double { (seriesSquaredError / Double(max(seriesCount, 1))).squareRoot() }

    /// The mean squared error, the loss trained on.
    var meanSquaredError: Double { squaredError / Double(max(count, 1)) }
    /// Root mean squared error in standardised units.
    var rootMeanSquaredError: Double { meanSquaredError.squareRoot() }

    /// Adds `other`'s sums to these.
    mutating func add(_ other: SeriesLoss) {
        squaredError += other.squaredError
        count += other.count
        seriesSquaredError += other.seriesSquaredError
        seriesCount += other.seriesCount
    }
}

// A series model is a ``RecurrentNetwork`` whose vocabulary size is the number of columns F it reads: the same
// recurrent layers fed rows of F real values through W_ih [G, F] (no one-hot lookup), and the same linear
// decoder [F, H] + [F] as a regression head that predicts the next row, with the mean squared error
//     loss = 1/(T·B·F) Σ_{t,b,j} (ŷ_{t,b,j} − y_{t,b,j})²,   ∂loss/∂ŷ = 2(ŷ − y)/(T·B·F).
// Its PyTorch twin is nn.LSTM(F, H) (or GRU/RNN) + nn.Linear(H, F) + nn.MSELoss, with the same tensor names.
extension RecurrentNetwork {
    /// Runs the batch forward from `state`, keeping what the backward needs in `ws`, leaves the final state in
    /// `state`, and returns the squared error of the predictions. With `training`, dropout is applied (masks
    /// from `rng`) and the predictions are replaced by ∂(mean squared error)/∂predictions for
    /// ``backward(_:workspace:accumulate:)-(SeriesBatch,_,_)``, the mean taken over the F values of `gradientRows`
    /// rows (default: this batch's T·B; a batch taken in pieces of streams passes the whole batch's).
    /// O(T·B·L·G·H²), no allocation.
    @discardableResult
    func forward(_ batch: SeriesBatch, state: RecurrentState, workspace ws: Workspace,
                 training: Bool, dropout rng: inout RandomGenerator, gradientRows: Int? = nil) -> SeriesLoss {
        let T = batch.sequenceLength, B = batch.batchSize, F = config.vocabularySize, n = T * B * F
        precondition(batch.width == F && ws.sequenceLength == T && ws.batchSize == B && state.batch == B,
                     "workspace does not fit the batch")
        let applyDropout = training && config.dropout > 0
        batch.inputs.withUnsafeBufferPointer { x in
            runLayers(first: .values(x.baseAddress!), steps: T, batch: B, state: state, workspace: ws,
                      applyDropout: applyDropout, rng: &rng)
        }
        writeLogits(input: ws.layerOutput(dropout: applyDropout), rows: T * B, into: ws.logits)
        return batch.targets.withUnsafeBufferPointer { y in
            var first = 0.0  // the series' own column, before the predictions become gradients
            if F > 1 {
                for r in 0..<(T * B) {
                    let d = Double(ws.logits[r * F] - y[r * F])
                    first += d * d
                }
            }
            let gradientScale = training ? 1 / Float((gradientRows ?? T * B) * F) : nil
            let sse = squaredError(predictions: ws.logits, targets: y.baseAddress!, count: n, gradientScale: gradientScale)
            return SeriesLoss(squaredError: sse, count: n, seriesSquaredError: F > 1 ? first : sse, seriesCount: T * B)
        }
    }

    /// Backpropagation through time over the batch of the preceding training forward: overwrites ``gradients``
    /// with ∂(mean squared error)/∂parameters, or adds it to them with `accumulate` (a batch taken in pieces), the
    /// gradient cut at the carried-in state. O(T·B·L·G·H²).
    func backward(_ batch: SeriesBatch, workspace ws: Workspace, accumulate: Bool = false) {
        batch.inputs.withUnsafeBufferPointer { x in
            backpropagate(first: .values(x.baseAddress!), steps: batch.sequenceLength, batch: batch.batchSize, workspace: ws,
                          accumulate: accumulate)
        }
    }

    /// The forward-only pass of one stream over `rows` standardised input rows [rows, F] from `state` (dropout
    /// off): writes the prediction of each next row into `predictions` [rows, F] and leaves the final state in
    /// `state` (batch 1). `prepared`: the workspace's ``prepareEvaluation(_:)`` for the weights as they are (made
    /// here when nil); `shouldStop`, asked between chunks, may end the pass early (the predictions after it unset).
    /// O(rows·L·G·H²), no allocation beyond a preparation.
    func predict(_ inputs: UnsafePointer<Float>, rows: Int, state: RecurrentState, workspace ws: InferenceWorkspace,
                 prepared: PreparedEvaluation? = nil, shouldStop: () -> Bool = { false },
                 into predictions: UnsafeMutablePointer<Float>) {
        let F = config.vocabularySize
        runChunks(first: .values(inputs), steps: rows, batch: 1, state: state, workspace: ws, prepared: prepared,
                  shouldStop: shouldStop) { firstRow, count, outputs in
            (predictions + firstRow * F).update(from: outputs, count: count * F)
        }
    }
}
