import CharLSTMKernels
import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where things are by default, and how paths given on the command line are resolved. Paths are split and
/// joined with ``FilePath`` and looked at with ``Files``, so no shape of path can make them trap.
enum Paths {
    /// The corpus `train` and `bench` use when none is given.
    static let bundledCorpus = "Corpora/shakespeare.txt"
    /// The folder training runs go under by default.
    static let checkpointsFolder = "Checkpoints"
    /// The pretrained model shipped with the repository, which training never writes to.
    static let pretrainedFolder = "Checkpoints/pretrained"

    /// Where measured plans are remembered: the user's cache folder (`$XDG_CACHE_HOME/charlstm` or
    /// `~/.cache/charlstm`), for this version of the program; nil when there is none.
    static func planCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> PlanCache? {
        PlanCache.defaultDirectory(environment: environment).map { PlanCache(directory: $0, build: CharLSTMVersion.current) }
    }

    /// The default run folder for a corpus: `Checkpoints/<file name without extension>` (`Checkpoints/run`
    /// when the name gives nothing usable, such as `..`).
    static func defaultRunFolder(forCorpus corpus: String) -> String {
        let stem = FilePath(corpus).stem ?? ""
        let usable = !stem.isEmpty && stem != "." && stem != ".." && !stem.utf8.contains(0)
        return FilePath(checkpointsFolder).appending(usable ? stem : "run").string
    }

    /// Whether `folder` is (lexically, or on disk) the shipped pretrained model's folder.
    static func isPretrainedFolder(_ folder: String) -> Bool {
        let parts = FilePath(folder).normalized.components
        return parts.suffix(2) == FilePath(pretrainedFolder).components[...] || Files.sameFile(folder, pretrainedFolder)
    }

    /// `configuration` with the command line's defaults filled in: a new run trains on ``bundledCorpus`` (which must
    /// be there) into ``defaultRunFolder(forCorpus:)``, a resumed one in the checkpoint's folder. Refuses the
    /// pretrained model's folder, which training never writes to. Reads nothing but the file system's entries.
    static func withDefaults(_ configuration: TrainingRun.Configuration) throws(CharLSTMError) -> TrainingRun.Configuration {
        var filled = configuration
        if filled.corpus == nil && filled.resume == nil {
            guard Files.exists(bundledCorpus) else {
                throw .noInput("no corpus given and '\(bundledCorpus)' is not there: name a UTF-8 text file, "
                    + "e.g. 'charlstm train my.txt' (run from the repository folder to use the bundled corpus)")
            }
            filled.corpus = bundledCorpus
        }
        if filled.folder == nil && filled.resume == nil {
            filled.folder = defaultRunFolder(forCorpus: filled.corpus ?? bundledCorpus)
        }
        let folder = filled.folder ?? filled.resume.map { RunFolder(holding: $0).path } ?? ""
        if isPretrainedFolder(folder) {
            throw .conflict("'\(RunFolder(folder).path)' holds the shipped pretrained model, which training never overwrites: "
                + "choose another --out")
        }
        return filled
    }

    /// The checkpoint a sampling command (`generate`, `serve`) uses: the one `given` (a file, or a folder's best),
    /// else ``newestCheckpoint()``; throws `.noInput` when there is none.
    static func checkpointToSample(_ given: String?) throws(CharLSTMError) -> String {
        if let given { return try RunFolder.checkpointFile(given, preferBest: true) }
        guard let newest = newestCheckpoint() else {
            throw .noInput("no checkpoint given and none found under '\(checkpointsFolder)/': "
                + "train one with 'charlstm train' or name one with --checkpoint")
        }
        return newest
    }

    /// The most recently written `*.safetensors` of a text model under `Checkpoints/` (any depth 1 folder; series
    /// models are passed over), else the pretrained model; nil when there is neither.
    static func newestCheckpoint() -> String? {
        var best: (folder: FilePath, file: String, time: Double)? = nil
        for name in Files.names(inFolder: checkpointsFolder).sorted() where name != "pretrained" {
            let folder = FilePath(checkpointsFolder).appending(name)
            for file in ["best.safetensors", "latest.safetensors"] {
                let path = folder.appending(file).string
                if let time = Files.modificationTime(path), Files.kind(path) == .regular, time > (best?.time ?? -.infinity),
                   !isSeriesCheckpoint(path) {
                    best = (folder, path, time)
                }
            }
        }
        if let best {
            // A run's best model beats its latest, when the run has one.
            let bestModel = best.folder.appending("best.safetensors").string
            return Files.exists(bestModel) ? bestModel : best.file
        }
        let pretrained = FilePath(pretrainedFolder).appending("best.safetensors").string
        return Files.exists(pretrained) ? pretrained : nil
    }

    /// Whether the checkpoint at `path` holds a series model, from its header alone; false when it cannot be read.
    static func isSeriesCheckpoint(_ path: String) -> Bool {
        (try? SafeTensorsReader(path: path))?.metadata["series"] != nil
    }
}
