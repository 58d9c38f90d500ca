import CharLSTM
import CharLSTMKernels
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `charlstm bench`: throughput of the standard configurations, as a table or JSON lines, with the plan of each
/// configuration's matrix products (which kernel and blocking each got, and what every candidate measured).
struct BenchCommand {
    let options: BenchOptions
    let console: Console
    /// Where plans are remembered; tests inject a temporary folder. The CLI uses the user's cache folder.
    var planCache: PlanCache? = Paths.planCache()

    func run() throws -> Int32 {
        let o = options
        let corpusPath = o.corpus ?? Paths.bundledCorpus
        if o.corpus == nil && !Files.exists(corpusPath) {
            throw CharLSTMError.noInput("no corpus given and '\(corpusPath)' is not there: name a UTF-8 text file")
        }
        // Read as `train` reads it (one scan, then streamed), so the peak RSS is that of a train run.
        let corpus = try CorpusFile.scan(path: corpusPath)
        let vocabulary = try Vocabulary(scalars: corpus.scalars)
        let threads = o.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let shapes = o.config == .all ? Benchmark.shapes : Benchmark.shapes.filter { $0.name == o.config.rawValue }
        try Benchmark.requireCorpus(characters: corpus.characterCount, for: shapes)
        if let name = GemmKernel.overrideName, GemmKernel.named(name) == nil {
            throw CharLSTMError.usage("\(GemmKernel.overrideVariable)='\(name)' names no SGEMM kernel; use one of "
                + "\(GemmKernel.all.map(\.name).joined(separator: ", "))")
        }
        let cpu = CPUInfo.current
        let peak = measurePeakGFLOPS(threads: threads, seconds: 1)
        let vocabularySize = vocabulary.count
        let gemmSeconds = min(0.5, max(0.05, o.seconds / 20))
        let planner = GemmPlanner(cache: o.replan ? nil : planCache)
        if !o.json {
            let kernels = GemmKernel.forced.map { "SGEMM kernel \($0.name) (\($0.mr)×\($0.nr), from \(GemmKernel.overrideVariable))" }
                ?? "SGEMM kernels planned among " + planner.kernels.map(\.name).joined(separator: ", ")
            try console.out.write("CPU \(cpu.summary), ISA \(cpu.isa.rawValue); \(kernels)\n")
            try console.out.write("corpus '\(corpusPath)', \(o.cell.rawValue), dropout \(o.dropout), \(threads) threads; "
                + "machine peak \(String(peak, fractionDigits: 0)) GFLOP/s (FMA loop), \(o.seconds)s per measurement\n")
            try console.out.flush()
        }
        for shape in shapes {
            // The plan of this configuration's products (measured now, or from the cache), then SGEMM alone on each.
            // Those of both ways of sharing the recurrence; then the faster of the two, timed; then the products
            // of that one's step.
            let toPlan = Benchmark.products(shape, cell: o.cell, vocabulary: vocabularySize, threads: threads, toPlan: true)
            let clock = ContinuousClock(), planStart = clock.now
            var plan = planner.plan(toPlan.map(\.problem))
            if o.replan, let planCache { planCache.store(plan.entries.filter { !$0.value.candidates.isEmpty }, kernels: planner.kernels) }
            for p in toPlan where plan.entries[p.problem] == nil {
                plan.entries[p.problem] = GemmPlan.Entry(choice: .fallback(for: p.problem), candidates: [])
            }
            GemmPlan.activate(plan)
            // Half a second for it (train gives it a third of its 0.6 s): more rounds, a steadier choice.
            let recurrence = Benchmark.planRecurrenceSplit(shape, cell: o.cell, dropout: Float(o.dropout), vocabulary: vocabularySize,
                                                           threads: threads, budget: .milliseconds(500), cache: planCache,
                                                           remeasure: o.replan)
            let planSeconds = (clock.now - planStart).seconds
            let products = Benchmark.products(shape, cell: o.cell, vocabulary: vocabularySize, threads: threads,
                                              split: recurrence.choice)
            let fromCache = plan.entries.values.allSatisfy(\.fromCache) && recurrence.source != .timed
            let rates = products.map { Benchmark.measure($0.problem, threads: threads, seconds: gemmSeconds) }
            if !o.json {
                try console.out.write("\n\(shape.name): SGEMM on the training step's products (% of peak), "
                    + (fromCache ? "plan from the cache '\(planCache?.path ?? "")'" : "planned in \(String(planSeconds, fractionDigits: 2)) s") + "\n")
                for (product, rate) in zip(products, rates) {
                    let p = product.problem
                    let dims = "\(p.m)×\(p.n)×\(p.k) \(p.transA ? "T" : "N")\(p.transB ? "T" : "N")"
                        + (p.prepackedB ? " packed" : "") + (p.threads < threads ? ", one per thread" : "")
                    let entry = plan.entries[p]!
                    try console.out.write("  " + row([product.name, dims, entry.choice.description, String(rate, fractionDigits: 0) + " GFLOP/s",
                                                      String(100 * rate / peak, fractionDigits: 0) + "%"], widths: [18, 36, 44, 14, 5]))
                    if !entry.candidates.isEmpty {
                        try console.out.write("      candidates (GFLOP/s): " + entry.candidates.map {
                            "\(Self.short($0.choice)) \(String($0.gflops, fractionDigits: 0))"
                        }.joined(separator: ", ") + "\n")
                    }
                }
                try console.out.write("  recurrence split: " + Self.describe(recurrence) + "\n")
                try console.out.write(row(["config", "shape", "train chars/s", "GFLOP/s", "% of peak", "generate chars/s", "peak RSS"]))
                try console.out.flush()
            }
            let r = try Benchmark.run(shape, cell: o.cell, dropout: Float(o.dropout), threads: threads,
                                     corpus: corpus, vocabulary: vocabulary, seconds: o.seconds,
                                     planCache: o.replan ? nil : planCache, recurrence: recurrence,
                                     weights: o.weights.precision(for:))
            if o.json {
                let planJSON: [String: JSONValue] = Dictionary(uniqueKeysWithValues: zip(products, rates).map { product, rate in
                    let entry = plan.entries[product.problem]!
                    return (product.name, JSONValue.object([
                        "problem": .string(product.problem.description),
                        "choice": .string(entry.choice.description), "kernel": .string(entry.choice.kernel.name),
                        "kc": .int(entry.choice.kc), "mc": .int(entry.choice.mc), "nc": .int(entry.choice.nc),
                        "split": .string(entry.choice.split.rawValue), "gflops": .double(rate.rounded()),
                        "candidates": .array(entry.candidates.map {
                            .object(["choice": .string($0.choice.description), "gflops": .double(($0.gflops * 10).rounded() / 10)])
                        }),
                    ]))
                })
                let largest = products.max { $0.problem.flops * Double($0.callsPerPass) < $1.problem.flops * Double($1.callsPerPass) }!
                let fields: [(String, JSONValue)] = [
                    ("impl", .string("charlstm")), ("config", .string(shape.name)), ("cell", .string(o.cell.rawValue)),
                    ("layers", .int(shape.layers)), ("hidden", .int(shape.hidden)), ("seq_length", .int(shape.sequenceLength)),
                    ("batch_size", .int(shape.batchSize)), ("dropout", .double(o.dropout)), ("threads", .int(threads)),
                    ("train_chars_per_sec", .double(r.trainCharsPerSecond.rounded())),
                    ("train_gflops", .double((r.trainGFLOPS * 10).rounded() / 10)),
                    ("peak_gflops", .double(peak.rounded())),
                    ("train_percent_of_peak", .double((1000 * r.trainGFLOPS / peak).rounded() / 10)),
                    ("cpu", .string(cpu.summary)), ("isa", .string(cpu.isa.rawValue)),
                    ("kernel", .string(plan.entries[largest.problem]!.choice.kernel.name)),
                    ("kernel_forced", .bool(GemmKernel.forced != nil)),
                    ("plan_seconds", .double((planSeconds * 1000).rounded() / 1000)), ("plan_from_cache", .bool(fromCache)),
                    ("plan", .object(planJSON)),
                    ("recurrence_split", recurrence.choiceName.map(JSONValue.string) ?? .null),
                    ("recurrence_split_candidates", .array(recurrence.measurements.map {
                        .object(["split": .string($0.split), "chars_per_sec": .double($0.charsPerSecond.rounded())])
                    })),
                    ("sgemm_percent_of_peak", .object(Dictionary(uniqueKeysWithValues: zip(products, rates).map {
                        ($0.0.name, JSONValue.double((1000 * $0.1 / peak).rounded() / 10))
                    }))),
                    ("generate_chars_per_sec", .double(r.generateCharsPerSecond.rounded())),
                    ("generate_weights", .string(r.generationWeights.rawValue)),
                    ("generate_chunking", r.generationPlan.chosen.map { .string($0.label) } ?? .null),
                    ("generate_chunking_candidates", .array(r.generationPlan.ranked.map {
                        .object(["chunking": .string($0.label), "steps_per_sec": .double($0.stepsPerSecond.rounded())])
                    })),
                    ("peak_rss_mib", .double(r.peakRSSMiB.rounded())),
                ]
                // Keys in a fixed, readable order.
                let body = fields.map { "\(JSONValue.string($0.0).encoded): \($0.1.encoded)" }.joined(separator: ", ")
                try console.out.write("{\(body)}\n")
            } else {
                try console.out.write(row([
                    shape.name, "\(shape.layers)×\(shape.hidden), \(shape.sequenceLength)×\(shape.batchSize)",
                    String(r.trainCharsPerSecond, fractionDigits: 0), String(r.trainGFLOPS, fractionDigits: 1),
                    String(100 * r.trainGFLOPS / peak, fractionDigits: 0) + "%",
                    String(r.generateCharsPerSecond, fractionDigits: 0) + " (\(r.generationWeights.rawValue))",
                    String(r.peakRSSMiB, fractionDigits: 0) + " MiB",
                ]))
                try console.out.write("  generation step: " + Self.describe(r.generationPlan) + "\n")
            }
            try console.out.flush()
        }
        return 0
    }

    /// "columns (timed now: columns 16984, streams 16149 chars/s)", or why nothing was timed.
    static func describe(_ recurrence: RecurrenceSplitPlan) -> String {
        let figures = recurrence.measurements.map { "\($0.split) \(String($0.charsPerSecond, fractionDigits: 0))" }
            .joined(separator: ", ")
        switch recurrence.source {
        case .timed, .cache:
            return "\(recurrence.choiceName ?? "") (\(source(fromCache: recurrence.fromCache, runs: recurrence.runs)): \(figures) chars/s)"
        case .noChoice:
            return "nothing to choose (one thread, fewer than 8 streams a thread, or a GRU)"
        case .noTime:
            return "by the L2 rule (two rounds of timing did not fit the time)"
        }
    }

    /// "chunks of 256 KiB in each thread's own runs (timed now: 256 KiB own 5714, 128 KiB own 5656, … steps/s)",
    /// or that there was nothing to share.
    static func describe(_ plan: StepChunkPlan) -> String {
        guard let chosen = plan.chosen else { return "on one thread (nothing to share)" }
        let figures = plan.ranked.map {
            "\($0.size)\($0.ownRuns ? " own" : "") \(String($0.stepsPerSecond, fractionDigits: 0))"
        }.joined(separator: ", ")
        return "chunks of \(chosen.description) (\(source(fromCache: plan.fromCache, runs: plan.runs)): \(figures) steps/s)"
    }

    /// "from the cache", "timed now", or "timed now, best of 2 runs" (a plan the cache holds earlier timings of).
    static func source(fromCache: Bool, runs: Int) -> String {
        fromCache ? "from the cache" : runs > 1 ? "timed now, best of \(runs) runs" : "timed now"
    }

    /// "zmm-12x32 kc256 mc144" (the kernel, its blocking, and the split when it is not the default).
    static func short(_ c: GemmChoice) -> String {
        let name = c.kernel.name.hasPrefix("avx512-") ? String(c.kernel.name.dropFirst(7)) : c.kernel.name
        return "\(name) kc\(c.kc) mc\(c.mc)" + (c.split == .larger ? "" : " \(c.split.rawValue)")
    }

    private func row(_ cells: [String], widths: [Int] = [6, 20, 14, 8, 10, 17, 10]) -> String {
        return zip(cells, widths).map { $0 + String(repeating: " ", count: max(0, $1 - $0.count)) }
            .joined(separator: " ") + "\n"
    }
}
