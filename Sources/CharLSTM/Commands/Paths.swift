/// Where things are by default, and how paths given on the command line are resolved. Paths are split and
/// joined with ``FilePath`` and looked at with ``Files``, so no shape of path can make them trap.
public enum Paths {
    /// The corpus `train` and `bench` use when none is given.
    public static let bundledCorpus = "Corpora/shakespeare.txt"
    /// The folder training runs go under by default.
    public static let checkpointsFolder = "Checkpoints"
    /// The pretrained model shipped with the repository, which training never writes to.
    public static let pretrainedFolder = "Checkpoints/pretrained"

    /// The default run folder for a corpus: `Checkpoints/<file name without extension>` (`Checkpoints/run`
    /// when the name gives nothing usable, such as `..`).
    public static func defaultRunFolder(forCorpus corpus: String) -> String {
        let stem = FilePath(corpus).stem ?? ""
        let usable = !stem.isEmpty && stem != "." && stem != ".." && !stem.utf8.contains(0)
        return FilePath(checkpointsFolder).appending(usable ? stem : "run").string
    }

    static func isDirectory(_ path: String) -> Bool { Files.isFolder(path) }

    static func exists(_ path: String) -> Bool { Files.exists(path) }

    /// Whether `folder` is (lexically, or on disk) the shipped pretrained model's folder.
    static func isPretrainedFolder(_ folder: String) -> Bool {
        let parts = FilePath(folder).normalized.components
        return parts.suffix(2) == FilePath(pretrainedFolder).components[...] || Files.sameFile(folder, pretrainedFolder)
    }

    /// A checkpoint file from a path that is a file, or a folder (then its `best`, else `latest`, which must be
    /// regular files: a symbolic link or anything else there is refused with `.noInput`).
    public static func checkpointFile(_ path: String, preferBest: Bool) throws(CharLSTMError) -> String {
        guard exists(path) else { throw .noInput("no such checkpoint file or folder: '\(path)'") }
        guard isDirectory(path) else { return path }
        let order = preferBest ? ["best.safetensors", "latest.safetensors"] : ["latest.safetensors", "best.safetensors"]
        for name in order {
            let file = FilePath(path).appending(name).string
            switch Files.kind(file, followingLinks: false) {
            case nil: continue
            case .regular?: return file
            case let other?: throw .noInput("'\(file)' is \(other.described): the checkpoints of a run folder must be regular files")
            }
        }
        throw .noInput("the folder '\(path)' holds no checkpoint (no best.safetensors or latest.safetensors)")
    }

    /// The checkpoint a sampling command (`generate`, `serve`) uses: the one `given` (a file, or a folder's best),
    /// else ``newestCheckpoint()``; throws `.noInput` when there is none.
    public static func checkpointToSample(_ given: String?) throws(CharLSTMError) -> String {
        if let given { return try checkpointFile(given, preferBest: true) }
        guard let newest = newestCheckpoint() else {
            throw .noInput("no checkpoint given and none found under '\(checkpointsFolder)/': "
                + "train one with 'charlstm train' or name one with --checkpoint")
        }
        return newest
    }

    /// The folder a checkpoint path given to `--resume` belongs to: the path itself when it is a folder,
    /// else the folder holding the file (written plainly: `r/./latest.safetensors` → `r`). Needs no
    /// checkpoint to exist.
    static func runFolder(ofCheckpoint path: String) -> String {
        isDirectory(path) ? path : FilePath(path).parent.cleaned.string
    }

    /// The most recently written `*.safetensors` of a text model under `Checkpoints/` (any depth 1 folder; series
    /// models are passed over), else the pretrained model; nil when there is neither.
    public static func newestCheckpoint() -> String? {
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
            return exists(bestModel) ? bestModel : best.file
        }
        let pretrained = FilePath(pretrainedFolder).appending("best.safetensors").string
        return exists(pretrained) ? pretrained : nil
    }

    /// Whether the checkpoint at `path` holds a series model, from its header alone; false when it cannot be read.
    static func isSeriesCheckpoint(_ path: String) -> Bool {
        (try? SafeTensorsReader(path: path))?.metadata["series"] != nil
    }

    /// Creates `folder` (and parents) or throws a clear `.cannotCreate` error; checks it is writable.
    static func prepareFolder(_ folder: String) throws(CharLSTMError) {
        try Files.makeFolders(folder, role: "the output folder")
        guard access(folder, W_OK) == 0 else {
            throw .cannotCreate("cannot write to the output folder '\(folder)': permission denied")
        }
    }

    /// Total physical memory in bytes.
    static var physicalMemory: UInt64 { ProcessInfo.processInfo.physicalMemory }

    /// `12.3 MiB`, `1.50 GiB`.
    static func bytes(_ n: Double) -> String { Files.sizeText(n) }
}
