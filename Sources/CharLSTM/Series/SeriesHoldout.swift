/// The held-out end of a standardised series and the rows before it that warm the model up: what a series run
/// validates on. Row r's prediction is made after reading rows 0…r−1, from the zero state.
struct SeriesHoldout: Sendable {
    /// Warm-up rows then held-out rows, row-major [warmup + count, F].
    let rows: [Float]
    let width: Int
    /// Rows read before the first held-out one.
    let warmup: Int

    init(rows: [Float], width: Int, warmup: Int) {
        precondition(rows.count % width == 0 && warmup >= 1 && warmup < rows.count / width)
        self.rows = rows
        self.width = width
        self.warmup = warmup
    }

    /// Held-out rows predicted.
    var count: Int { rows.count / width - warmup }

    /// Squared error of the model's one-step-ahead predictions of the held-out rows' first value, computed in
    /// `workspace` (one stream); nil when `shouldStop`, asked between chunks, said to stop. O(rows·L·G·H²).
    func loss(of model: RecurrentNetwork, workspace: InferenceWorkspace, shouldStop: () -> Bool = { false }) -> SeriesLoss? {
        let predictions = SeriesPass.oneStepAhead(model: model, rows: rows, workspace: workspace, shouldStop: shouldStop)
        if shouldStop() { return nil }
        var loss = SeriesLoss()
        for r in warmup..<(rows.count / width) {
            let d = Double(predictions[(r - 1) * width] - rows[r * width])
            loss.add(SeriesLoss(squaredError: d * d, count: 1))
        }
        return loss
    }
}

/// One stream of a series model run over a whole series.
enum SeriesPass {
    /// Predictions [n, F] of the n rows of `rows` read from the zero state: prediction r is the model's
    /// forecast of row r + 1 after reading rows 0…r; `shouldStop` may end the pass early (see
    /// ``RecurrentNetwork/predict(_:rows:state:workspace:prepared:shouldStop:into:)``). O(n·L·G·H²).
    static func oneStepAhead(model: RecurrentNetwork, rows: [Float], workspace: InferenceWorkspace? = nil,
                             shouldStop: () -> Bool = { false }) -> [Float] {
        let ws = workspace ?? InferenceWorkspace(config: model.config, batchSize: 1)
        let state = RecurrentState(config: model.config, batch: 1)
        var predictions = [Float](repeating: 0, count: rows.count)
        rows.withUnsafeBufferPointer { x in
            predictions.withUnsafeMutableBufferPointer { p in
                model.predict(x.baseAddress!, rows: rows.count / model.config.vocabularySize, state: state, workspace: ws,
                              shouldStop: shouldStop, into: p.baseAddress!)
            }
        }
        return predictions
    }
}
