import CharLSTMKernels

/// One matrix product a training step makes: its name, the problem as `sgemm` sees it, and how often a pass
/// over the streams makes it. What the planner times (``GemmPlanner``) and `charlstm bench` reports.
package struct TrainingProduct: Sendable {
    package let name: String
    package let problem: GemmProblem
    /// Calls per pass (the per-step products: per stream group, of which one runs on each thread).
    package let callsPerPass: Int

    /// The products of a training step of `config` on batches of `batchSize` streams × `sequenceLength` steps
    /// with `threads` threads, in the order of their share of the step's work: those of one pass over the streams
    /// a pass takes (``Workspace/streamsPerPass(config:sequenceLength:batchSize:)``), the per-step ones split as
    /// the recurrence splits them (``RecurrenceSplit``: each direction as `split` chooses, where there is a choice;
    /// by its rule when nil). Character models. O(layers).
    package static func ofTrainingStep(config: ModelConfig, sequenceLength T: Int, batchSize: Int, threads: Int,
                                       split choice: RecurrenceSplitChoice? = nil) -> [TrainingProduct] {
        let streams = Workspace.streamsPerPass(config: config, sequenceLength: T, batchSize: batchSize)
        let H = config.hidden, G = config.cell.gateCount * H, V = config.vocabularySize, L = config.layers
        let TB = T * streams, separate = config.cell.separateRecurrentGates * H, shared = G - separate
        func split(forward: Bool) -> RecurrenceSplit {
            RecurrenceSplit(cell: config.cell, batch: streams, hidden: H, threads: threads,
                            measured: choice?.direction(forward: forward))
        }
        let forward = split(forward: true).products(batch: streams, columns: G)
        let backward = split(forward: false).products(batch: streams, columns: H)
        func product(_ name: String, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, stepThreads: Int? = nil,
                     calls: Int) -> TrainingProduct {
            TrainingProduct(name: name, problem: GemmProblem(transA: transA, transB: transB, m: m, n: n, k: k,
                                                             prepackedB: stepThreads != nil, threads: stepThreads ?? threads),
                            callsPerPass: calls)
        }
        // Above the first layer, a cell that fuses its weight gradients makes both as one product of 2H columns
        // (see the backward); then only the first layer's recurrent one is dGᵀ·h.
        let fused = config.cell.fusesWeightGradients && L > 1
        var products = [
            product("recurrent h·Whhᵀ", false, true, forward.rows, forward.columns, H, stepThreads: forward.threads, calls: T * L),
            product("recurrent dG·Whh", false, false, backward.rows, backward.columns, G, stepThreads: backward.threads,
                    calls: (T - 1) * L),
            product("weights dGᵀ·h", true, false, shared, H, TB, calls: fused ? 1 : 2 * L - 1),
        ]
        if fused { products.append(product("weights dGᵀ·[h x]", true, false, shared, 2 * H, TB, calls: L - 1)) }
        if L > 1 {
            products.append(product("input x·Wihᵀ", false, true, TB, G, H, calls: L - 1))
            products.append(product("input dG·Wih", false, false, TB, H, G, calls: L - 1))
        }
        if separate > 0 { products.append(product("weights dNᵀ·h", true, false, separate, H, TB, calls: L)) }
        products += [
            product("decoder x·Wdᵀ", false, true, TB, V, H, calls: 1),
            product("decoder dZᵀ·h", true, false, V, H, TB, calls: 1),
            product("decoder dZ·Wd", false, false, TB, H, V, calls: 1),
        ]
        return products
    }

    /// The products to plan before a run: those of ``ofTrainingStep(config:sequenceLength:batchSize:threads:split:)``
    /// for every split there is a choice of (the per-step products of both, so that the split can then be timed
    /// with each one's own plan, ``RecurrentNetwork/planRecurrenceSplit(streams:steps:budget:cache:remeasure:)``), each once.
    /// O(layers).
    package static func toPlan(config: ModelConfig, sequenceLength T: Int, batchSize: Int, threads: Int) -> [TrainingProduct] {
        var products: [TrainingProduct] = []
        for split in RecurrenceSplit.Kind.allCases {
            for product in ofTrainingStep(config: config, sequenceLength: T, batchSize: batchSize, threads: threads,
                                          split: .both(split))
            where !products.contains(where: { $0.problem == product.problem }) {
                products.append(product)
            }
        }
        return products
    }
}
