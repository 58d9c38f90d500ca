import CharLSTMKernels

extension CharModel {
    /// Loss of the model on `text` read as `batchSize` parallel streams from a zero state (dropout off),
    /// carrying the state from chunk to chunk: how validation is measured during training.
    /// Uses fewer streams, or shorter chunks, when the text is short. O(n·L·G·H²).
    public func evaluateStreams(_ text: [Int32], batchSize: Int, sequenceLength: Int) -> ForwardResult {
        guard text.count >= 2 else { return ForwardResult(nats: 0, correct: 0, count: 0) }
        var B = min(batchSize, (text.count - 1) / sequenceLength), T = sequenceLength
        if B == 0 { B = 1; T = text.count - 1 }
        guard let streams = try? BatchStreams(text: text, batchSize: B, sequenceLength: T) else {
            return ForwardResult(nats: 0, correct: 0, count: 0)
        }
        let ws = Workspace(config: config, sequenceLength: T, batchSize: B)
        let state = RecurrentState(config: config, batch: B)
        var batch = TokenBatch(sequenceLength: T, batchSize: B)
        var total = ForwardResult(nats: 0, correct: 0, count: 0)
        var unused = RandomGenerator(seed: 0)
        for p in 0..<streams.batchesPerEpoch {
            streams.fill(&batch, position: p)
            let r = forward(batch, state: state, workspace: ws, training: false, dropout: &unused)
            total.nats += r.nats
            total.correct += r.correct
            total.count += r.count
        }
        return total
    }

    /// Loss of the model on `text` in one continuous pass from a zero state, predicting characters 2…n
    /// (what `charlstm eval` reports). `chunk` only sets how many steps are run per forward call.
    public func evaluateContinuous(_ text: [Int32], chunk: Int = 256) -> ForwardResult {
        var total = ForwardResult(nats: 0, correct: 0, count: 0)
        guard text.count >= 2 else { return total }
        let state = RecurrentState(config: config, batch: 1)
        var unused = RandomGenerator(seed: 0)
        var ws: Workspace? = nil
        var start = 0
        while start < text.count - 1 {
            let T = min(chunk, text.count - 1 - start)
            if ws?.sequenceLength != T { ws = Workspace(config: config, sequenceLength: T, batchSize: 1) }
            let batch = TokenBatch(sequenceLength: T, batchSize: 1, inputs: Array(text[start..<(start + T)]),
                                   targets: Array(text[(start + 1)...(start + T)]))
            let r = forward(batch, state: state, workspace: ws!, training: false, dropout: &unused)
            total.nats += r.nats
            total.correct += r.correct
            total.count += r.count
            start += T
        }
        return total
    }
}
