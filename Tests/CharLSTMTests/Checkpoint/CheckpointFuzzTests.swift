import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// Thousands of damaged copies of a real training checkpoint: loading either gives a checkpoint whose every
/// buffer matches its config's ``ParameterLayout`` (and which runs), or throws a `CharLSTMError`; never a trap.
@Suite struct CheckpointFuzzTests {
    /// Every buffer of `checkpoint` has the size its config asks for, and the model runs a step.
    private func expectConsistent(_ checkpoint: Checkpoint, sourceLocation: SourceLocation = #_sourceLocation) {
        let c = checkpoint.config
        let total = ParameterLayout(c).totalCount
        #expect(checkpoint.parameters.count == total, sourceLocation: sourceLocation)
        #expect(checkpoint.vocabulary.count == c.vocabularySize, sourceLocation: sourceLocation)
        if let t = checkpoint.training {
            #expect(t.optimizer.m.count == total && t.optimizer.v.count == total, sourceLocation: sourceLocation)
            #expect(t.h.count == c.layers * t.config.batchSize * c.hidden, sourceLocation: sourceLocation)
            #expect(t.c.count == (c.cell.hasCellState ? t.h.count : 0), sourceLocation: sourceLocation)
        }
        let logits = StepRunner(model: checkpoint.makeNetwork()).step(0)
        #expect(logits.count == c.vocabularySize, sourceLocation: sourceLocation)
    }

    @Test func mutatedCheckpointsLoadConsistentlyOrThrow() throws {
        var mutator = CheckpointMutator(SharedRun.files.latest, seed: 0xF0F0_2024)
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
