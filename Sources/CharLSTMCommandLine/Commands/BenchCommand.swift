import CharLSTM
import CharLSTMKernels
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `charlstm bench`: throughput of the standard configurations, as a table or JSON lines.
struct BenchCommand {
    let options: BenchOptions
    let console: Console

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
        if let name = GemmKernel.overrideName, GemmKernel.named(name) == nil {
            throw CharLSTMError.usage("\(GemmKernel.overrideVariable)='\(name)' names no SGEMM kernel; use one of "
                + "\(GemmKernel.all.map(\.name).joined(separator: ", "))")
        }
        let cpu = CPUInfo.current, kernel = GemmKernel.selected
        let peak = measurePeakGFLOPS(threads: threads, seconds: 1)
        let vocabularySize = vocabulary.count
        let gemmSeconds = min(0.5, max(0.05, o.seconds / 20))
        if !o.json {
            try console.out.write("CPU \(cpu.summary), ISA \(cpu.isa.rawValue), SGEMM kernel \(kernel.name) "
                + "(\(kernel.mr)×\(kernel.nr)\(GemmKernel.overrideName == nil ? "" : ", from \(GemmKernel.overrideVariable)"))\n")
            try console.out.write("corpus '\(corpusPath)', \(o.cell.rawValue), dropout \(o.dropout), \(threads) threads; "
                + "machine peak \(String(peak, fractionDigits: 0)) GFLOP/s (FMA loop), \(o.seconds)s per measurement\n")
            try console.out.flush()
        }
        for shape in shapes {
            // SGEMM alone on the products of this configuration's training step.
            let products = Benchmark.gemmShapes(shape, cell: o.cell, vocabulary: vocabularySize, threads: threads)
            let rates = products.map { Benchmark.measure($0, threads: threads, seconds: gemmSeconds) }
            if !o.json {
                try console.out.write("\n\(shape.name): SGEMM on the training step's products (% of peak)\n")
                for (product, rate) in zip(products, rates) {
                    let dims = "\(product.m)×\(product.n)×\(product.k) \(product.transA ? "T" : "N")\(product.transB ? "T" : "N")"
                        + (product.prepacked ? " packed" : "") + (product.threads < threads ? ", one per thread" : "")
                    try console.out.write("  " + row([product.name, dims, String(rate, fractionDigits: 0) + " GFLOP/s",
                                                      String(100 * rate / peak, fractionDigits: 0) + "%"], widths: [18, 36, 14, 5]))
                }
                try console.out.write(row(["config", "shape", "train chars/s", "GFLOP/s", "% of peak", "generate chars/s", "peak RSS"]))
                try console.out.flush()
            }
            let r = try Benchmark.run(shape, cell: o.cell, dropout: Float(o.dropout), threads: threads,
                                     corpus: corpus, vocabulary: vocabulary, seconds: o.seconds)
            if o.json {
                let fields: [(String, JSONValue)] = [
                    ("impl", .string("charlstm")), ("config", .string(shape.name)), ("cell", .string(o.cell.rawValue)),
                    ("layers", .int(shape.layers)), ("hidden", .int(shape.hidden)), ("seq_length", .int(shape.sequenceLength)),
                    ("batch_size", .int(shape.batchSize)), ("dropout", .double(o.dropout)), ("threads", .int(threads)),
                    ("train_chars_per_sec", .double(r.trainCharsPerSecond.rounded())),
                    ("train_gflops", .double((r.trainGFLOPS * 10).rounded() / 10)),
                    ("peak_gflops", .double(peak.rounded())),
                    ("train_percent_of_peak", .double((1000 * r.trainGFLOPS / peak).rounded() / 10)),
                    ("cpu", .string(cpu.summary)), ("isa", .string(cpu.isa.rawValue)), ("kernel", .string(kernel.name)),
                    ("sgemm_percent_of_peak", .object(Dictionary(uniqueKeysWithValues: zip(products, rates).map {
                        ($0.0.name, JSONValue.double((1000 * $0.1 / peak).rounded() / 10))
                    }))),
                    ("generate_chars_per_sec", .double(r.generateCharsPerSecond.rounded())),
                    ("peak_rss_mib", .double(r.peakRSSMiB.rounded())),
                ]
                // Keys in a fixed, readable order.
                let body = fields.map { "\(JSONValue.string($0.0).encoded): \($0.1.encoded)" }.joined(separator: ", ")
                try console.out.write("{\(body)}\n")
            } else {
                try console.out.write(row([
                    shape.name, "\(shape.layers)×\(shape.hidden), \(shape.sequenceLength)×\(shape.batchSize)",
                    String(r.trainCharsPerSecond, fractionDigits: 0), String(r.trainGFLOPS, fractionDigits: 1),
                    String(100 * r.trainGFLOPS / peak, fractionDigits: 0) + "%", String(r.generateCharsPerSecond, fractionDigits: 0),
                    String(r.peakRSSMiB, fractionDigits: 0) + " MiB",
                ]))
            }
            try console.out.flush()
        }
        return 0
    }

    private func row(_ cells: [String], widths: [Int] = [6, 20, 14, 8, 10, 17, 10]) -> String {
        return zip(cells, widths).map { $0 + String(repeating: " ", count: max(0, $1 - $0.count)) }
            .joined(separator: " ") + "\n"
    }
}
