import CharLSTM
import Foundation

/// Small deterministic training texts written into test folders.
enum TestCorpus {
    /// A few lines of Shakespeare-like text (public domain), repeated to about `characters` characters.
    static func english(characters: Int = 3000) -> String {
        let verse = """
            To be, or not to be, that is the question:
            Whether 'tis nobler in the mind to suffer
            The slings and arrows of outrageous fortune,
            Or to take arms against a sea of troubles
            And by opposing end them. To die: to sleep;
            No more; and by a sleep to say we end
            The heart-ache and the thousand natural shocks
            That flesh is heir to.

            """
        var text = ""
        while text.count < characters { text += verse }
        return String(text.prefix(characters))
    }

    /// Tang poems by Li Bai and Du Fu (public domain), repeated to about `characters` characters.
    static func chinese(characters: Int = 1500) -> String {
        let poems = """
            床前明月光，疑是地上霜。举头望明月，低头思故乡。
            朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。
            故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。
            国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。
            烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。
            好雨知时节，当春乃发生。随风潜入夜，润物细无声。

            """
        var text = ""
        while text.count < characters { text += poems }
        return String(text.prefix(characters))
    }

    /// Writes `text` as UTF-8 to `name` in `folder` and returns the path.
    @discardableResult
    static func write(_ text: String, _ name: String = "corpus.txt", in folder: TemporaryFolder) -> String {
        folder.file(name, Array(text.utf8))
    }
}

/// A file's bytes and modification time, to show that a failed command left it alone.
struct FileSnapshot: Equatable {
    let bytes: [UInt8]?
    let modified: Date?

    init(_ path: String) {
        bytes = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// Snapshots of every file in `folder`, by name.
    static func folder(_ folder: String) -> [String: FileSnapshot] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Dictionary(uniqueKeysWithValues: names.map { ($0, FileSnapshot(folder + "/" + $0)) })
    }
}

/// One small training run made once and shared by the tests that only read its checkpoints.
enum SharedRun {
    /// The bytes of `latest.safetensors` and `best.safetensors` of a 20-step tiny LSTM run, and its corpus.
    static let files: (latest: [UInt8], best: [UInt8], corpus: String) = {
        let folder = TemporaryFolder()
        let text = TestCorpus.english()
        let corpus = TestCorpus.write(text, in: folder)
        // What `charlstm train corpus --hidden 16 --layers 1 --batch-size 4 --seq-length 12 --threads 1
        // --val-fraction 0.1 --steps 20 --eval-every 10 --dropout 0.1` trains.
        var configuration = TrainingRun.Configuration(corpus: corpus, folder: folder.path + "/run")
        configuration.hidden = 16
        configuration.layers = 1
        configuration.batchSize = 4
        configuration.sequenceLength = 12
        configuration.threads = 1
        configuration.validationFraction = 0.1
        configuration.evaluateEvery = 10
        configuration.dropout = 0.1
        let outcome = try! TrainingRun(configuration).train(budget: .steps(20))
        precondition(outcome.reason == .budgetSpent, "\(outcome)")
        return (folder.contents("run/latest.safetensors")!, folder.contents("run/best.safetensors")!, text)
    }()

    /// The shared latest checkpoint, decoded.
    static var latest: Checkpoint {
        let folder = TemporaryFolder()
        return try! Checkpoint.load(path: folder.file("latest.safetensors", files.latest))
    }
}
