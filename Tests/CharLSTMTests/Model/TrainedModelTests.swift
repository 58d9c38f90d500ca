import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// A checkpoint gives a typed model: text or series, each with its own operations, and the wrong kind is refused
/// in one error that names both.
@Suite struct TrainedModelTests {
    private static func textCheckpoint() throws -> Checkpoint {
        var rng = RandomGenerator(seed: 3)
        let vocabulary = try Vocabulary(scalars: Array(" abc".unicodeScalars))
        let config = ModelConfig(cell: .gru, vocabularySize: vocabulary.count, hidden: 6, layers: 1, dropout: 0)
        return try Checkpoint(config: config, vocabulary: vocabulary, parameters: RecurrentNetwork(config: config, rng: &rng).parameters)
    }

    /// `body` throws the one error that names the kind found and the kind needed.
    private static func expectRefusal(found: ModelKind, needed: ModelKind, saying message: String,
                                      sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("\(found.described) was used as \(needed.described)", sourceLocation: sourceLocation)
        } catch {
            let error = error as? CharLSTMError
            #expect(error?.reason == .wrongModelKind(found: found, needed: needed), sourceLocation: sourceLocation)
            #expect(error?.message.contains(message) == true, sourceLocation: sourceLocation)
        }
    }

    @Test func aTextCheckpointGivesATextModelAndRefusesSeriesUse() throws {
        let checkpoint = try Self.textCheckpoint()
        guard case .text(let model) = checkpoint.model else { Issue.record("expected a text model"); return }
        #expect(checkpoint.kind == .text && checkpoint.model.kind == .text)
        #expect(model.vocabulary == checkpoint.vocabulary && model.config == checkpoint.config)
        #expect(model.parameters === checkpoint.parameters, "the model shares the checkpoint's parameters")
        #expect(try model.evaluate(Array("abc abc cab".unicodeScalars)).bitsPerCharacter.isFinite)
        Self.expectRefusal(found: .text, needed: .series, saying: "not a series model: forecasting needs a model trained on a series") {
            _ = try checkpoint.seriesModel(for: "forecasting")
        }
    }

    @Test func aModelOnlyCopyKeepsTheModelAndTheSummaryAndDropsTheTrainingState() throws {
        let folder = TemporaryFolder()
        let (checkpoint, _, _) = try sineSeriesRun(in: folder)
        let copy = checkpoint.modelOnly
        #expect(checkpoint.training != nil && copy.training == nil)
        #expect(copy.parameters === checkpoint.parameters && copy.series == checkpoint.series && copy.config == checkpoint.config)
        let summary = try #require(checkpoint.trainingSummary)
        #expect(copy.trainingSummary == summary)
        let path = folder.path + "/model.safetensors"
        try copy.save(to: path)
        let loaded = try Checkpoint.load(path: path)
        #expect(loaded.training == nil && loaded.trainingSummary == summary && loaded.kind == .series)
        #expect(loaded.parameters.array == checkpoint.parameters.array)
    }

    @Test func aSeriesCheckpointGivesASeriesModelAndRefusesTextUse() throws {
        let folder = TemporaryFolder()
        let (checkpoint, _, csv) = try sineSeriesRun(in: folder)
        guard case .series(let model) = checkpoint.model else { Issue.record("expected a series model"); return }
        #expect(checkpoint.kind == .series && model.scaling.columns == ["y"] && model.config.vocabularySize == 1)
        let forecast = try SeriesForecaster(model: model).forecast(try SeriesTable.load(path: csv, columns: ["y"]), steps: 4)
        #expect(forecast.count == 4 && forecast.allSatisfy(\.isFinite))
        Self.expectRefusal(found: .series, needed: .text,
                           saying: "series model (column 'y'), not a text model: generating text needs a model trained on text") {
            _ = try checkpoint.textModel(for: "generating text")
        }
    }

    @Test func aSeriesCheckpointNamesItsLossesInItsUnitAndReadsTheOlderNames() throws {
        let folder = TemporaryFolder()
        let (checkpoint, path, _) = try sineSeriesRun(in: folder)
        let state = try #require(checkpoint.training)
        let validation = try #require(state.validationLoss)
        var file = try SafeTensors.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(file.metadata["val_rmse"] == String(validation))
        #expect(file.metadata["best_val_rmse"] != nil && file.metadata["lowest_scheduled_val_rmse"] != nil)
        #expect(file.metadata["val_bpc"] == nil && file.metadata["best_val_bpc"] == nil)
        // A series checkpoint written before the losses had their own names kept them under `_bpc`.
        for name in ["val", "best_val", "lowest_scheduled_val"] {
            file.metadata["\(name)_bpc"] = file.metadata.removeValue(forKey: "\(name)_rmse")
        }
        let older = try #require(try Checkpoint(file).training)
        #expect(older.validationLoss == validation && older.bestValidationLoss == state.bestValidationLoss)
        #expect(older.streak == state.streak)
        // A text checkpoint's are bits per character.
        var text = try Self.textCheckpoint()
        text.summary = TrainingSummary(step: 5, validationLoss: 2.5, bestValidationLoss: 2.25, elapsedSeconds: 1)
        let metadata = text.safeTensors().metadata
        #expect(metadata["val_bpc"] == "2.5" && metadata["best_val_bpc"] == "2.25" && metadata["val_rmse"] == nil)
    }
}
