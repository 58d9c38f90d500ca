import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `train --init-from`: a new run from another model's weights, its vocabulary grown; clear errors for
/// conflicting shapes and for files that are not models; the origin recorded in every checkpoint.
@Suite struct InitFromTests {
    /// German-flavoured text: characters the shared English model lacks ('ä', 'ö', 'ü', 'ß').
    static let german = String(repeating: "Da steh ich nun, ich armer Tor! Und bin so klug als wie zuvor; "
        + "heiße Magister, heiße Doktor gar, über Bücher gebückt, ich möchte schier verzweifeln, Mädchen.\n", count: 12)

    /// The shared tiny English model (LSTM, 1 × 16, dropout 0.1) and a German corpus, in `folder`.
    private func files(in folder: TemporaryFolder) -> (model: String, corpus: String) {
        (folder.file("english.safetensors", SharedRun.files.latest), TestCorpus.write(Self.german, "german.txt", in: folder))
    }

    private func configuration(_ corpus: String, _ model: String, out: String) -> TrainingRun.Configuration {
        var c = TrainingRun.Configuration(corpus: corpus, folder: out)
        c.initFrom = model
        c.batchSize = 4
        c.sequenceLength = 12
        c.threads = 1
        c.evaluateEvery = 2
        return c
    }

    @Test func aRunStartsNewFromTheModelWithItsShapeAndAGrownVocabulary() throws {
        let folder = TemporaryFolder()
        let (model, corpus) = files(in: folder)
        do {
            let source = SharedRun.latest
            let run = try TrainingRun(configuration(corpus, model, out: folder.path + "/de"))
            #expect(run.step == 0 && run.textTrainer!.state.optimizer.step == 0 && run.epoch == 0)
            #expect(run.model.hidden == 16 && run.model.layers == 1 && run.model.cell == .lstm && run.model.dropout == source.config.dropout)
            #expect(run.initialisedFrom == model && run.resumedFrom == nil)
            let growth = try #require(run.vocabularyGrowth)
            let lacking = Set(Self.german.unicodeScalars).subtracting(source.vocabulary.scalars)
            #expect(Set(growth.added.map(\.character)) == lacking && lacking.isSuperset(of: ["ä", "ö", "ü", "ß"]))
            #expect(run.vocabulary == growth.new && run.vocabulary!.count == source.vocabulary.count + lacking.count)
            // The weights are the source's, moved: the decoder bias of 'e' is where 'e' now is.
            let e = try #require(source.vocabulary.index(of: "e")), eNow = try #require(run.vocabulary!.index(of: "e"))
            let layout = ParameterLayout(source.config), grown = run.textTrainer!.model
            #expect(grown.parameter("decoder.bias")![Int(eNow)] == source.parameters[layout.decoder.bias + Int(e)])
            #expect(!Files.exists(folder.path + "/de/latest.safetensors"))

            let outcome = try run.train(budget: .steps(4))
            #expect(outcome.reason == .budgetSpent && outcome.step == 4)
            for file in [outcome.latest, try #require(outcome.best)] {
                let checkpoint = try Checkpoint.load(path: file)
                #expect(checkpoint.initialisedFrom == model && checkpoint.vocabulary == run.vocabulary)
            }
        }
        try resumeAndExport(folder: folder, model: model)
    }

    /// A resumed run keeps the record of where the run started; an exported model too.
    private func resumeAndExport(folder: TemporaryFolder, model: String) throws {
        let resumed = try TrainingRun(TrainingRun.Configuration(resume: folder.path + "/de"))
        #expect(resumed.initialisedFrom == model && resumed.vocabularyGrowth == nil)
        let outcome = try resumed.train(budget: .steps(6))
        #expect(try Checkpoint.load(path: outcome.latest).initialisedFrom == model)
        let exported = folder.path + "/de.safetensors"
        #expect(Tool.run(["export", folder.path + "/de", exported]).code == 0)
        #expect(try Checkpoint.load(path: exported).initialisedFrom == model)
    }

    @Test func theFineTunedModelLoadsInEvalAndInfo() throws {
        let folder = TemporaryFolder()
        let (model, corpus) = files(in: folder)
        let out = folder.path + "/de"
        // The tiny options say --hidden 16 --layers 1: the checkpoint's own shape, so allowed.
        let train = Tool.trainTiny(corpus, out: out, steps: 3, ["--init-from", model])
        #expect(train.code == 0, "\(train)")
        #expect(train.out.hasPrefix("training a new model from '\(model)': lstm, 1 layer × 16"), "\(train.out)")
        let lacking = Set(Self.german.unicodeScalars).subtracting(SharedRun.latest.vocabulary.scalars).count
        #expect(train.out.contains("added \(lacking) characters to the model's \(SharedRun.latest.vocabulary.count): "), "\(train.out)")
        let eval = Tool.run(["eval", corpus, "--checkpoint", out, "--threads", "1"])
        #expect(eval.code == 0 && eval.err.isEmpty, "\(eval)")
        let info = Tool.run(["info", out])
        #expect(info.out.contains("started from  \(model) (--init-from)"), "\(info)")
        let json = try JSONValue.parse(Tool.run(["info", out, "--json"]).out.trimmingCharacters(in: .newlines))
        guard case .object(let fields) = json else { return }
        #expect(fields["initialised_from"]?.stringValue == model)
    }

    @Test func conflictingShapesAndFilesThatAreNotModelsAreClearErrors() {
        let folder = TemporaryFolder()
        let (model, corpus) = files(in: folder)
        let out = folder.path + "/de"
        let train = ["train", corpus, "--out", out, "--steps", "2", "--threads", "1", "--init-from"]
        Tool.expectFailure(train + [model, "--hidden", "32", "--cell", "gru"], code: 78,
                           mentions: ["cannot start from '\(model)' with --cell gru (checkpoint: lstm), --hidden 32 (checkpoint: 16)",
                                      "leave these options out"])
        Tool.expectFailure(train + [model, "--layers", "2"], code: 78, mentions: ["--layers 2 (checkpoint: 1)"])
        Tool.expectFailure(train + [corpus], code: 65, mentions: ["--init-from needs a CharLSTM model: '\(corpus)'"])
        let notOurs = folder.file("other.safetensors", SafeTensors(tensors: ["w": .init(shape: [1], values: [0])]).encoded())
        Tool.expectFailure(train + [notOurs], code: 65, mentions: ["--init-from needs a CharLSTM model", "not a CharLSTM checkpoint"])
        Tool.expectFailure(train + [folder.path + "/missing"], code: 66, mentions: ["no such checkpoint file or folder"])
        Tool.expectFailure(train + [model, "--resume", model], code: 64, mentions: ["--resume and --init-from cannot be combined"])
        #expect(!Files.exists(out))
    }

    @Test func checkpointsWrittenBeforeTheseFieldsStillLoad() throws {
        var file = try SafeTensors.decode(SharedRun.files.latest)
        for key in ["initialised_from", "validations_without_improvement", "lowest_scheduled_val_bpc", "patience"] {
            file.metadata[key] = nil
        }
        let checkpoint = try Checkpoint(file)
        #expect(checkpoint.initialisedFrom == nil)
        let state = try #require(checkpoint.training)
        #expect(state.patience == nil && state.streak == ValidationStreak(withoutImprovement: 0, lowest: state.bestValidationLoss))
        // And a written streak reads back as written.
        file.metadata["validations_without_improvement"] = "2"
        file.metadata["lowest_scheduled_val_bpc"] = "3.25"
        file.metadata["patience"] = "4"
        let again = try #require(try Checkpoint(file).training)
        #expect(again.streak == ValidationStreak(withoutImprovement: 2, lowest: 3.25) && again.patience == 4)
        file.metadata["patience"] = "0"
        #expect(throws: CharLSTMError.self) { try Checkpoint(file) }
    }
}
