import CharLSTMKernels
import Foundation

/// `charlstm bench`: throughput of the standard configurations, as a table or JSON lines.
struct BenchCommand {
    let options: BenchOptions
    let console: Console

    func run() throws -> Int32 {
        let o = options
        let corpusPath = o.corpus ?? Paths.bundledCorpus
        if o.corpus == nil && !Paths.exists(corpusPath) {
            throw CharLSTMError.noInput("no corpus given and '\(corpusPath)' is not there: name a UTF-8 text file")
        }
        let text = try Corpus.load(path: corpusPath).text
        let threads = o.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let shapes = o.config == .all ? Benchmark.shapes : Benchmark.shapes.filter { $0.name == o.config.rawValue }
        let peak = measurePeakGFLOPS(threads: threads, seconds: 1)
        if !o.json {
            try console.out.write("corpus '\(corpusPath)', \(o.cell.rawValue), dropout \(o.dropout), \(threads) threads; "
                + "machine peak \(String(format: "%.0f", peak)) GFLOP/s (FMA loop), \(o.seconds)s per measurement\n\n")
            try console.out.write(row(["config", "shape", "train chars/s", "GFLOP/s", "% of peak", "generate chars/s", "peak RSS"]))
            try console.out.flush()
        }
        for shape in shapes {
            let r = try Benchmark.run(shape, cell: o.cell, dropout: Float(o.dropout), threads: threads, text: text, seconds: o.seconds)
            if o.json {
                let fields: [(String, JSONValue)] = [
                    ("impl", .string("charlstm")), ("config", .string(shape.name)), ("cell", .string(o.cell.rawValue)),
                    ("layers", .int(shape.layers)), ("hidden", .int(shape.hidden)), ("seq_length", .int(shape.sequenceLength)),
                    ("batch_size", .int(shape.batchSize)), ("dropout", .double(o.dropout)), ("threads", .int(threads)),
                    ("train_chars_per_sec", .double(r.trainCharsPerSecond.rounded())),
                    ("train_gflops", .double((r.trainGFLOPS * 10).rounded() / 10)),
                    ("peak_gflops", .double(peak.rounded())),
                    ("generate_chars_per_sec", .double(r.generateCharsPerSecond.rounded())),
                    ("peak_rss_mib", .double(r.peakRSSMiB.rounded())),
                ]
                // Keys in a fixed, readable order.
                let body = fields.map { "\(JSONValue.string($0.0).encoded): \($0.1.encoded)" }.joined(separator: ", ")
                try console.out.write("{\(body)}\n")
            } else {
                try console.out.write(row([
                    shape.name, "\(shape.layers)×\(shape.hidden), \(shape.sequenceLength)×\(shape.batchSize)",
                    String(format: "%.0f", r.trainCharsPerSecond), String(format: "%.1f", r.trainGFLOPS),
                    String(format: "%.0f%%", 100 * r.trainGFLOPS / peak), String(format: "%.0f", r.generateCharsPerSecond),
                    String(format: "%.0f MiB", r.peakRSSMiB),
                ]))
            }
            try console.out.flush()
        }
        return 0
    }

    private func row(_ cells: [String]) -> String {
        let widths = [6, 20, 14, 8, 10, 17, 10]
        return zip(cells, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
            .joined(separator: " ") + "\n"
    }
}
