import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// Real checkpoints (a text model of each cell, and a series model) with every metadata field set in turn to each
/// extreme (``ExtremeValues/texts``): loading either refuses the file with one error naming the field, or
/// gives a checkpoint whose every buffer fits its config, which runs, and which saves into a file that loads again.
/// Then every command that reads checkpoints (`info`, `generate`, `eval`, `inspect`, `export`, `forecast`,
/// `train --resume`, `train --init-from`) reads mutated copies: never a trap or a hang, every failure one error line,
/// and a refused checkpoint's run folder is left as it was.
@Suite(.timeLimit(.minutes(2))) struct CheckpointMetadataFuzzTests {
    /// A checkpoint to mutate and the files its commands read.
    struct Source {
        let name: String
        let bytes: [UInt8]
        let isSeries: Bool
    }

    /// Tiny trained runs: one of each cell on text (with `--patience`, so that every key is there), and a
    /// differenced series model. Made once.
    static let sources: [Source] = {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        var sources: [Source] = []
        for cell in CellKind.allCases {
            let run = Tool.trainTiny(corpus, out: folder.path + "/" + cell.rawValue, steps: 3,
                                     ["--cell", cell.rawValue, "--eval-every", "2", "--patience", "4"])
            precondition(run.code == 0, "\(run)")
            sources.append(Source(name: cell.rawValue, bytes: folder.contents(cell.rawValue + "/latest.safetensors")!, isSeries: false))
        }
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        let run = Tool.run(["train", csv, "--column", "y", "--out", folder.path + "/series", "--steps", "3", "--difference", "1",
                            "--batch-size", "4", "--seq-length", "8"] + TestSeries.tinyModel)
        precondition(run.code == 0, "\(run)")
        sources.append(Source(name: "series", bytes: folder.contents("series/latest.safetensors")!, isSeries: true))
        return sources
    }()

    /// An extreme as a JSON member: a number as a number, NaN and the infinities as Python's `json` writes them
    /// (which is not JSON), a word as a string.
    static func json(_ text: String) -> JSONValue {
        switch text {
        case "nan": .number("NaN")
        case "inf": .number("Infinity")
        case "-inf": .number("-Infinity")
        case "abc": .string("abc")
        default: .number(text)
        }
    }

    /// One mutated copy: the field changed, the extreme it was set to, the file.
    struct Mutation {
        let field: String
        let value: String
        let bytes: [UInt8]
    }

    /// Every metadata field (plain keys, each member of `config`, `training` and `series`, and the optional keys
    /// a file may lack) set to every extreme, nil removing it. The checksum is recomputed, so the checks behind it run.
    static func mutations(of bytes: [UInt8]) -> [[Mutation]] {
        let file = try! SafeTensors.decode(bytes)
        var fields: [[Mutation]] = []
        func field(_ name: String, _ edit: (inout [String: String], String?) -> Void) {
            fields.append(ExtremeValues.texts.map { text in
                var copy = file
                edit(&copy.metadata, text)
                return Mutation(field: name, value: text ?? "(missing)", bytes: copy.encoded())
            })
        }
        for key in Set(file.metadata.keys).union(["patience", "initialised_from"]).sorted() where key != SafeTensors.checksumKey {
            field(key) { meta, text in meta[key] = text }
        }
        for object in ["config", "training", "series"] {
            guard let text = file.metadata[object], case .object(let members)? = try? JSONValue.parse(text) else { continue }
            for member in members.keys.sorted() {
                field("\(object).\(member)") { meta, text in
                    var changed = members
                    if case .array(var items)? = members[member], !items.isEmpty {
                        // Series statistics and names: the first entry.
                        if let text { items[0] = member == "columns" ? .string(text) : json(text) } else { items.removeFirst() }
                        changed[member] = .array(items)
                    } else {
                        changed[member] = text.map(json)
                    }
                    meta[object] = JSONValue.object(changed).encoded
                }
            }
        }
        return fields
    }

    @Test func everyFieldAtEveryExtremeLoadsConsistentlyOrIsRefusedByName() throws {
        let folder = TemporaryFolder()
        let text = Array(TestCorpus.english(characters: 300).unicodeScalars)
        let table = try SeriesTable.parse(Array(TestSeries.sine(count: 60).utf8), columns: ["y"], gaps: .refuse)
        var loaded = 0, refused = 0
        for source in Self.sources {
            for (i, mutation) in Self.mutations(of: source.bytes).joined().enumerated() {
                // Every 16th copy is read from a file, as the commands read it; the others from memory.
                let fromFile = i % 16 == 0
                let path = fromFile ? folder.file("m.safetensors", mutation.bytes) : ""
                let result = Result {
                    if fromFile { return try Checkpoint.load(path: path) }
                    let file = try SafeTensors.decode(mutation.bytes)
                    return try Checkpoint(file)
                }
                guard case .success(let checkpoint) = result else {
                    refused += 1
                    guard case .failure(let error as CharLSTMError) = result else {
                        Issue.record("\(source.name) \(mutation.field)=\(mutation.value): not a CharLSTMError")
                        continue
                    }
                    #expect(error.kind == .invalidData && (!fromFile || error.message.hasPrefix("'\(path)': "))
                            && !error.message.contains("\n"),
                            "\(source.name) \(mutation.field)=\(mutation.value): \(error)")
                    continue
                }
                loaded += 1
                let c = checkpoint.config, t = checkpoint.training
                #expect(checkpoint.parameters.count == c.parameterCount)
                #expect(t.map { $0.h.count == c.layers * $0.config.batchSize * c.hidden } ?? true)
                // It runs, and what was loaded saves (as `save` checks it) into a file that loads again.
                if let series = checkpoint.series {
                    let history = try SeriesTable(columns: series.columns, values: table.values)
                    #expect(try SeriesForecaster(model: checkpoint.seriesModel()).forecast(history, steps: 2).count == 2)
                } else {
                    #expect(try checkpoint.textModel().evaluate(text).bitsPerCharacter.isFinite)
                }
                let again = checkpoint.safeTensors()
                _ = try Checkpoint.Metadata(again.metadata)
                let decoded = try SafeTensors.decode(again.encoded())
                _ = try Checkpoint(decoded)
                if let t { try t.config.validate() }
            }
        }
        #expect(loaded > 100 && refused > 1000, "loaded \(loaded), refused \(refused)")
    }

    /// How each command reads the checkpoint `file` of run folder `run` (a copy of which it may resume), with
    /// outputs going to `outputs`.
    static func commands(file: String, run: String, outputs: String, corpus: String, csv: String, isSeries: Bool) -> [[String]] {
        let resume = isSeries ? ["train", csv, "--column", "y", "--resume", run, "--steps", "4", "--threads", "1"]
            : ["train", corpus, "--resume", run, "--steps", "4", "--threads", "1"]
        return [
            ["info", file],
            ["generate", "--checkpoint", file, "--length", "3", "--seed", "1", "--threads", "1"],
            ["eval", isSeries ? csv : corpus, "--checkpoint", file, "--threads", "1"],
            ["inspect", corpus, "--checkpoint", file, "--out", outputs + "/page.html", "--max-chars", "40", "--threads", "1"],
            ["export", file, outputs + "/export.safetensors"],
            ["forecast", csv, "--checkpoint", file, "--steps", "2", "--threads", "1"],
            resume,
            ["train", corpus, "--init-from", file, "--out", outputs + "/init", "--steps", "1", "--batch-size", "4",
             "--seq-length", "12", "--val-fraction", "0.1", "--threads", "1"],
        ]
    }

    @Test func everyCommandThatReadsCheckpointsReadsMutatedOnesSafely() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        var codes: [String: Set<Int32>] = [:]
        let work = TemporaryFolder()
        let run = work.path + "/run", outputs = work.path + "/out"
        // The cells differ in their tensors, not in their metadata: the LSTM stands for the three here.
        for source in Self.sources where source.name == "lstm" || source.isSeries {
            for (f, mutations) in Self.mutations(of: source.bytes).enumerated() {
                // Every command reads every field, at one of its extremes (in turn over the fields and commands), so
                // that every extreme of every field reaches some command while the suite stays fast.
                for c in 0..<8 {
                    for mutation in [mutations[(3 * f + c) % mutations.count]] {
                        for folder in [run, outputs] {
                            _ = try? FileManager.default.removeItem(atPath: folder)
                            try Files.makeFolders(folder)
                        }
                        let file = work.file("run/latest.safetensors", mutation.bytes)
                        let arguments = Self.commands(file: file, run: run, outputs: outputs, corpus: corpus, csv: csv,
                                                      isSeries: source.isSeries)[c]
                        let before = FileSnapshot.folder(run)
                        let result = Tool.run(arguments)
                        let what = "\(source.name) \(mutation.field)=\(mutation.value): \(arguments.joined(separator: " "))"
                        codes[arguments[0], default: []].insert(result.code)
                        #expect((0..<128).contains(result.code), "\(what): \(result)")
                        guard result.code != 0 else { continue }
                        Tool.expectFailureShape(result, code: nil, mentions: [])
                        if result.code == 65, result.err.contains(file) {
                            // Refused as it was read: nothing was written, in the run folder or elsewhere.
                            #expect(FileSnapshot.folder(run) == before, "\(what)")
                            #expect(Files.names(inFolder: outputs).isEmpty, "\(what): \(Files.names(inFolder: outputs))")
                        }
                    }
                }
            }
        }
        // Every command both succeeded on some copies and refused others.
        for (command, seen) in codes {
            #expect(seen.contains(65) && seen.count >= 2, "\(command): \(seen.sorted())")
        }
        #expect(codes.count == 7, "\(codes.keys.sorted())")  // train stands for --resume and --init-from
    }
}
