import Foundation
import Testing
@testable import CharLSTM

/// Thousands of damaged copies of a real training checkpoint: loading either gives a checkpoint whose every
/// buffer matches its config's ``ParameterLayout`` (and which runs), or throws a `CharLSTMError`; never a trap.
@Suite struct CheckpointFuzzTests {
    /// Seeded mutations of checkpoint bytes, from raw byte damage to structural edits re-encoded with a valid checksum.
    struct Mutator {
        var rng: RandomGenerator
        let original: [UInt8]
        let headerCount: Int

        init(_ original: [UInt8], seed: UInt64) {
            self.original = original
            rng = RandomGenerator(seed: seed)
            headerCount = Int(original[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }

        mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
        mutating func chance(_ p: Double) -> Bool { rng.nextUnitDouble() < p }

        /// One mutated copy; `kind` chooses the family of damage.
        mutating func mutate(kind: Int) -> [UInt8] {
            var bytes = original
            switch kind {
            case 0:  // Byte flips in the header JSON, often to JSON punctuation.
                for _ in 0...below(3) {
                    let at = 8 + below(headerCount)
                    bytes[at] = chance(0.5) ? pick(Array("{}[]\":,0123456789-e. \\".utf8)) : UInt8(truncatingIfNeeded: rng.next())
                }
            case 1:  // Byte flips in the data section: the checksum must catch them.
                for _ in 0...below(3) { bytes[8 + headerCount + below(bytes.count - 8 - headerCount)] ^= UInt8(1 << below(8)) }
            case 2:  // Truncation anywhere.
                bytes.removeLast(1 + below(bytes.count))
            case 3:  // Header-length edits.
                let length: UInt64 = pick([0, 1, 2, 7, UInt64(headerCount - 8), UInt64(headerCount + 8),
                                           UInt64(bytes.count), UInt64(bytes.count - 8), UInt64(100_000_001), .max,
                                           UInt64(headerCount) &+ UInt64(below(64)) &- 32])
                withUnsafeBytes(of: length.littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
            case 4:
                bytes = structural(metadataEdits: 1 + below(2), tensorEdits: 0)
            case 5:
                bytes = structural(metadataEdits: 0, tensorEdits: 1 + below(2))
            default:
                bytes = structural(metadataEdits: 1, tensorEdits: 1)
            }
            return bytes
        }

        /// Decodes the checkpoint, edits metadata and tensors, and re-encodes it (recomputing the checksum).
        mutating func structural(metadataEdits: Int, tensorEdits: Int) -> [UInt8] {
            var file = try! SafeTensors.decode(original)
            for _ in 0..<metadataEdits { editMetadata(&file.metadata) }
            for _ in 0..<tensorEdits { editTensors(&file.tensors) }
            return file.encoded()
        }

        static let junkNumbers: [JSONValue] = [
            .number("-1"), .number("0"), .number("1"), .number("2"), .number("3"), .number("16"), .number("17"),
            .number("8192"), .number("8193"), .number("100000"), .number("1000000000"), .number("1.5"),
            .number("0.5"), .number("-0.0"), .number("1e308"), .number("1e999"), .number("99999999999999999999"),
            .string("16"), .null, .bool(true), .array([]), .object([:]),
        ]
        static let junkStrings = ["", "x", "-1", "0", "1e999", "nan", "{", "[]", "[\"a\"]", "lstm", "gru", "rnn", "2",
                                  "18446744073709551616", "0:0:0:0", "\u{0}", "😀"]

        mutating func editMetadata(_ meta: inout [String: String]) {
            let keys = meta.keys.sorted()
            switch below(5) {
            case 0:  // Drop a key.
                meta[pick(keys)] = nil
            case 1:  // Replace a value with junk.
                meta[pick(keys)] = pick(Self.junkStrings)
            case 2, 3:  // Change a number (or type) inside the config or training JSON object.
                let key = pick(["config", "training"])
                guard let text = meta[key], case .object(var members)? = try? JSONValue.parse(text),
                      !members.isEmpty else { return }
                let member = pick(members.keys.sorted())
                members[member] = chance(0.15) ? nil : pick(Self.junkNumbers)
                meta[key] = JSONValue.object(members).encoded
            default:  // Change the vocabulary: drop, duplicate, swap, widen or replace characters.
                guard let text = meta["vocabulary"], case .array(var items)? = try? JSONValue.parse(text),
                      !items.isEmpty else { return }
                let i = below(items.count), j = below(items.count)
                switch below(6) {
                case 0: items.remove(at: i)
                case 1: items.insert(items[i], at: j)
                case 2: items.swapAt(i, j)
                case 3: items[i] = .string("ab")
                case 4: items[i] = pick([.string(""), .number("7"), .null, .string("\u{10FFFF}")])
                default: items.append(.string("\u{4E00}"))
                }
                meta["vocabulary"] = JSONValue.array(items).encoded
            }
        }

        mutating func editTensors(_ tensors: inout [String: SafeTensors.Tensor]) {
            let name = pick(tensors.keys.sorted())
            let t = tensors[name]!
            switch below(6) {
            case 0:  // Drop it.
                tensors[name] = nil
            case 1:  // Same values, another shape.
                let n = t.values.count
                tensors[name] = .init(shape: pick([[n], [1, n], Array(t.shape.reversed()), t.shape + [1], [n, 1, 1]]),
                                      values: t.values)
            case 2:  // Fewer or more values.
                let n = max(0, t.values.count + below(9) - 4)
                tensors[name] = .init(shape: [n], values: Array(repeating: 0.5, count: n))
            case 3:  // Non-finite values.
                var values = t.values
                if !values.isEmpty { values[below(values.count)] = pick([.nan, .infinity, -.infinity]) }
                tensors[name] = .init(shape: t.shape, values: values)
            case 4:  // Renamed.
                tensors[name] = nil
                tensors[name + pick(["_", ".x", "0"])] = t
            default:  // An extra tensor.
                tensors["extra.\(below(100))"] = .init(shape: [2], values: [1, 2])
            }
        }
    }

    /// Every buffer of `checkpoint` has the size its config asks for, and the model runs a step.
    private func expectConsistent(_ checkpoint: Checkpoint, sourceLocation: SourceLocation = #_sourceLocation) {
        let c = checkpoint.config
        let total = ParameterLayout(c).totalCount
        #expect(checkpoint.parameters.count == total, sourceLocation: sourceLocation)
        #expect(checkpoint.vocabulary.count == c.vocabularySize, sourceLocation: sourceLocation)
        if let t = checkpoint.training {
            #expect(t.m.count == total && t.v.count == total, sourceLocation: sourceLocation)
            #expect(t.h.count == c.layers * t.config.batchSize * c.hidden, sourceLocation: sourceLocation)
            #expect(t.c.count == (c.cell.hasCellState ? t.h.count : 0), sourceLocation: sourceLocation)
            #expect(RandomGenerator(stateString: t.rngState) != nil, sourceLocation: sourceLocation)
        }
        let logits = StepRunner(model: checkpoint.makeModel()).step(0)
        #expect(logits.count == c.vocabularySize, sourceLocation: sourceLocation)
    }

    @Test func mutatedCheckpointsLoadConsistentlyOrThrow() throws {
        var mutator = Mutator(SharedRun.files.latest, seed: 0xF0F0_2024)
        let folder = TemporaryFolder()
        var accepted = 0, rejected = 0
        var messages = Set<String>()
        for i in 0..<2100 {
            let bytes = mutator.mutate(kind: i % 7)
            do {
                // Every 50th copy goes through a file, as the commands read it.
                let checkpoint: Checkpoint
                if i % 50 == 0 {
                    checkpoint = try Checkpoint.load(path: folder.file("fuzz.safetensors", bytes))
                } else {
                    let file = try SafeTensors.decode(bytes)
                    checkpoint = try Checkpoint(file)
                }
                expectConsistent(checkpoint)
                accepted += 1
            } catch let error as CharLSTMError {
                #expect(!error.message.isEmpty && !error.message.contains("\n"))
                messages.insert(String(error.message.prefix(40)))
                rejected += 1
            } catch {
                Issue.record("copy \(i) (kind \(i % 7)) threw \(type(of: error)), not a CharLSTMError: \(error)")
            }
        }
        // Most damage is caught; some structural edits (extra tensors, a changed dropout) are harmless.
        #expect(rejected > 1500, "accepted \(accepted), rejected \(rejected)")
        #expect(accepted > 0)
        #expect(messages.count > 30, "the errors should say what is wrong, not one generic message")
    }

    /// The `CharLSTMError` decoding `bytes` as a checkpoint throws, or nil when it loads.
    static func loadError(_ bytes: [UInt8]) -> CharLSTMError? {
        let file: SafeTensors
        do {
            file = try SafeTensors.decode(bytes)
        } catch let error as CharLSTMError {
            return error
        } catch {
            return CharLSTMError(.io, "not a CharLSTMError: \(error)")
        }
        let result = Result { () throws(CharLSTMError) in try Checkpoint(file) }
        guard case .failure(let error) = result else { return nil }
        return error
    }

    @Test func hugeConfigIsRejectedWithoutAllocatingIt() {
        let started = Date()
        // A config claiming the largest model, with the real (small) tensors: rejected by shape, at once.
        var file = try! SafeTensors.decode(SharedRun.files.latest)
        let vocabulary = SharedRun.latest.config.vocabularySize
        file.metadata["config"] = "{\"cell\":\"lstm\",\"dropout\":0,\"hidden\":8192,\"layers\":16,\"vocab_size\":\(vocabulary)}"
        let hugeModel = Self.loadError(file.encoded())?.message ?? "loaded"
        #expect(hugeModel.contains("expected [32768, \(vocabulary)]"), "\(hugeModel)")
        // The same for training state: a batch size of 100000 with the real state tensors.
        file = try! SafeTensors.decode(SharedRun.files.latest)
        let training = file.metadata["training"]!
        file.metadata["training"] = training.replacingOccurrences(of: "\"batch_size\":4", with: "\"batch_size\":100000")
        let hugeState = Self.loadError(file.encoded())?.message ?? "loaded"
        #expect(hugeState.contains("state.h has shape [1, 4, 16], expected [1, 100000, 16]"), "\(hugeState)")
        #expect(Date().timeIntervalSince(started) < 2)
    }
}
