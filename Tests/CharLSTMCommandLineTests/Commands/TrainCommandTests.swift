import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `charlstm train` end to end (in-process), and what `eval` and `info` say about its checkpoints.
@Suite struct TrainCommandTests {
    /// The lines of `text` that are start tags, end tags or self-closing tags are balanced: a small
    /// well-formedness check (no XML library is allowed). Returns the element names in document order.
    static func xmlElements(_ text: String) throws -> [String] {
        var stack: [String] = [], names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { throw XMLError("unclosed tag") }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("?") || tag.hasPrefix("!") { continue }
            if tag.hasPrefix("/") {
                guard stack.popLast() == String(tag.dropFirst()) else { throw XMLError("mismatched </\(tag.dropFirst())>") }
                continue
            }
            let name = String(tag.prefix { !$0.isWhitespace && $0 != "/" })
            guard !name.isEmpty else { throw XMLError("empty tag name") }
            guard tag.filter({ $0 == "\"" }).count % 2 == 0 else { throw XMLError("unbalanced quotes in <\(name)>") }
            names.append(name)
            if !tag.hasSuffix("/") { stack.append(name) }
        }
        guard stack.isEmpty else { throw XMLError("unclosed elements \(stack)") }
        return names
    }

    struct XMLError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func trainWritesMetricsPlotCheckpointsThatEvalAndInfoAgreeWith() throws {
        let folder = TemporaryFolder()
        let text = TestCorpus.english()
        let corpus = TestCorpus.write(text, in: folder)
        let run = folder.path + "/run"
        let result = Tool.trainTiny(corpus, out: run, steps: 30, ["--eval-every", "10", "--log-every", "5",
                                                                   "--checkpoint-every", "10", "--learning-rate", "0.01"])
        #expect(result.code == 0, "\(result)")
        #expect(result.err.isEmpty)
        #expect(result.out.contains("done at step 30"))

        // metrics.csv: the header, steps increasing, val_bpc exactly at the eval steps.
        let csv = String(decoding: folder.contents("run/metrics.csv") ?? [], as: UTF8.self)
        #expect(csv.hasPrefix(MetricsLog.header + "\n") && csv.hasSuffix("\n"))
        let rows = try MetricsLog.read(path: run + "/metrics.csv")
        #expect(rows.map(\.step) == [5, 10, 15, 20, 25, 30])
        #expect(rows.map { $0.validationLoss != nil } == rows.map { $0.step % 10 == 0 })
        #expect(rows.allSatisfy { $0.trainLoss.isFinite && $0.trainLoss > 0 && $0.epoch > 0 })
        // The default schedule: warming up over the first 20 steps, then the base rate, then down towards zero over the last 20%.
        let rates = rows.map(\.learningRate), schedule = LearningRateSchedule.standard
        #expect(rates == rows.map { row in
            Double("\(Float(Double(Float(0.01)) * schedule.factor(stepsDone: row.step - 1, progress: Double(row.step - 1) / 30)))")
        })
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.epoch < $1.epoch && $0.elapsedSeconds <= $1.elapsedSeconds })

        // loss.svg: well-formed, one svg root, a training and a validation series.
        let svg = String(decoding: folder.contents("run/loss.svg") ?? [], as: UTF8.self)
        let elements = try Self.xmlElements(svg)
        #expect(elements.first == "svg")
        #expect(svg.contains("<polyline id=\"train\"") && svg.contains("<polyline id=\"val\""))

        // best.safetensors holds the lowest validation loss, at or below latest's.
        let best = try #require(try Checkpoint.load(path: run + "/best.safetensors").training)
        let latest = try #require(try Checkpoint.load(path: run + "/latest.safetensors").training)
        let measured = rows.compactMap { row in row.validationLoss.map { (row.step, $0) } }
        let lowest = try #require(measured.min { $0.1 < $1.1 })
        #expect(best.step == lowest.0)
        #expect(abs(try #require(best.validationLoss) - lowest.1) < 1e-12)
        #expect(try #require(best.validationLoss) <= (try #require(latest.validationLoss)))
        #expect(latest.step == 30 && latest.bestValidationLoss == best.validationLoss)

        // eval --json agrees with the library on the same file.
        let eval = Tool.run(["eval", corpus, "--checkpoint", run + "/latest.safetensors", "--json", "--threads", "1"])
        #expect(eval.code == 0, "\(eval)")
        guard case .object(let fields) = try JSONValue.parse(eval.out.trimmingCharacters(in: .newlines)) else {
            Issue.record("eval --json printed \(eval.out)")
            return
        }
        let checkpoint = try Checkpoint.load(path: run + "/latest.safetensors")
        let expected = checkpoint.makeNetwork(threads: 1).evaluateContinuous(try checkpoint.vocabulary.encode(text.unicodeScalars))
        #expect(abs(try #require(fields["bits_per_char"]?.doubleValue) - expected.bitsPerCharacter) <= 1e-6)
        #expect(abs(try #require(fields["accuracy"]?.doubleValue) - Double(expected.correct) / Double(expected.count)) <= 1e-9)
        #expect(fields["chars"]?.intValue == text.unicodeScalars.count)

        // info names the config, the step and the parameter count.
        let parameters = ParameterLayout(checkpoint.config).totalCount
        let info = Tool.run(["info", run])
        #expect(info.code == 0, "\(info)")
        for line in ["checkpoint    \(run)/latest.safetensors", "model         lstm, 1 layer × 16 hidden, dropout 0.0",
                     "parameters    \(parameters)", "vocabulary    \(checkpoint.vocabulary.count) characters",
                     "trained       step 30, epoch", "corpus        \(corpus)", "4 streams × 12 characters, learning rate 0.01"] {
            #expect(info.out.contains(line), "'\(line)' not in:\n\(info.out)")
        }
        let json = Tool.run(["info", run + "/best.safetensors", "--json"])
        guard case .object(let infoFields) = try JSONValue.parse(json.out.trimmingCharacters(in: .newlines)) else {
            Issue.record("info --json printed \(json.out)")
            return
        }
        #expect(infoFields["step"]?.intValue == best.step)
        #expect(infoFields["hidden"]?.intValue == 16 && infoFields["layers"]?.intValue == 1)
        #expect(infoFields["parameters"]?.intValue == parameters)
        #expect(infoFields["cell"]?.stringValue == "lstm")
    }

    @Test func resumingGivesBitIdenticalWeights() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        // A constant rate (after the warm-up): a decaying one would follow each call's budget, 8 then 16.
        let options = ["--dropout", "0.2", "--eval-every", "3", "--checkpoint-every", "5", "--cell", "gru",
                       "--lr-schedule", "constant", "--warmup", "4"]
        let straight = Tool.trainTiny(corpus, out: folder.path + "/straight", steps: 16, options)
        #expect(straight.code == 0, "\(straight)")
        let half = Tool.trainTiny(corpus, out: folder.path + "/halves", steps: 8, options)
        #expect(half.code == 0, "\(half)")
        let rest = Tool.run(["train", "--resume", folder.path + "/halves", "--steps", "16", "--threads", "1"])
        #expect(rest.code == 0, "\(rest)")

        let a = try SafeTensors.load(path: folder.path + "/straight/latest.safetensors")
        let b = try SafeTensors.load(path: folder.path + "/halves/latest.safetensors")
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() { #expect(a.tensors[name] == b.tensors[name], "tensor \(name) differs") }
        for key in ["step", "epoch", "data_position", "rng_state", "training", "config", "vocabulary"] {
            #expect(a.metadata[key] == b.metadata[key], "metadata \(key) differs")
        }
        #expect(a.metadata["step"] == "16")
    }
}
