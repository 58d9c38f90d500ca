#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder a training run writes into, and the rules that keep one run from overwriting another.
///
/// It holds `latest.safetensors` (saved every few steps, at the end and when stopped), `best.safetensors` (the
/// lowest validation loss), `metrics.csv` and `loss.svg`. One process at a time writes into a run folder: the
/// run holds its ``RunFolderLock`` from ``prepare(continuing:overwrite:)`` until it is released.
public struct RunFolder: Equatable, Sendable {
    /// The folder's path as given, without trailing slashes.
    public let path: String

    /// The run folder at `path` (nothing is read or created).
    public init(_ path: String) {
        self.path = FilePath(path).withoutTrailingSlashes.string
    }

    /// The checkpoint of the most recent save.
    public var latest: String { file("latest.safetensors") }
    /// The checkpoint with the lowest validation loss.
    public var best: String { file("best.safetensors") }
    /// One row per logged step, appended across resumes.
    public var metrics: String { file("metrics.csv") }
    /// The learning curves, redrawn at every validation.
    public var plot: String { file("loss.svg") }

    /// The files a run writes into its folder: ``latest``, ``best``, ``metrics`` and ``plot``.
    package var files: [String] { Self.fileNames.map(file) }
    /// The names of ``files``.
    package static let fileNames = ["latest.safetensors", "best.safetensors", "metrics.csv", "loss.svg"]

    private func file(_ name: String) -> String { FilePath(path).appending(name).string }

    /// The folder a checkpoint path belongs to: the path itself when it is a folder, else the folder holding the
    /// file (written plainly: `r/./latest.safetensors` → `r`). Needs no checkpoint to exist.
    package init(holding checkpoint: String) {
        self.init(Files.isFolder(checkpoint) ? checkpoint : FilePath(checkpoint).parent.cleaned.string)
    }

    /// The checkpoint file a path names: the path when it is a file; for a run folder its `best.safetensors`, else
    /// its `latest.safetensors` (the other order when `preferBest` is false), which must be regular files (a symbolic
    /// link or anything else there is refused with `.noInput`). Throws `.noInput` when there is none.
    package static func checkpointFile(_ path: String, preferBest: Bool) throws(CharLSTMError) -> String {
        guard Files.exists(path) else { throw .noInput("no such checkpoint file or folder: '\(path)'\(InputFile.missingNameNote(path))") }
        guard Files.isFolder(path) else { return path }
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

    /// `best` when a validation has saved it, else nil.
    var bestIfSaved: String? { Files.exists(best) ? best : nil }

    /// Whether `path` is this folder on disk (through links, `.` and `..`).
    func isSameFolder(as path: String) -> Bool { Files.sameFile(path, self.path) }

    /// Refuses a folder another training process holds (`.busy`, naming its process id). Creates and changes nothing.
    func checkUsable() throws(CharLSTMError) {
        try RunFolderLock.checkFree(path)
    }

    /// The folder's lock, when the folder exists: taken before anything in it is read (a checkpoint to resume),
    /// so that two runs resuming one folder can never both train. Nil for a folder not made yet, which holds
    /// nothing to read (``prepare(continuing:overwrite:holding:)`` makes it and takes the lock). Throws `.busy`
    /// when another process holds the lock, `.cannotCreate` when the lock file cannot be made.
    func lockIfPresent() throws(CharLSTMError) -> RunFolderLock? {
        guard Files.isFolder(path) else { return nil }
        return try RunFolderLock(folder: path)
    }

    /// Creates the folder, takes its lock (unless `held` is it already) and makes it ready for a run: the first
    /// time any file in it is written.
    ///
    /// A run that continues in its own folder (`continuing`) keeps everything. Any other run needs a folder
    /// holding none of the files a run writes (``files``), or `overwrite`; without it the folder is refused
    /// (`.conflict`), whether they are an old run's or files of the same names put there otherwise. The old run's
    /// files stay as they are here: a run with `overwrite` replaces them when it saves its first checkpoint
    /// (``finishReplacing(saved:stagedMetrics:fileSystem:)``), so that stopping it before then loses nothing.
    /// Temporary files that a crash left of the run's own files are removed (``isStaleTemporary(_:)``). Returns
    /// the lock, which the caller holds for as long as it writes into the folder.
    func prepare(continuing: Bool, overwrite: Bool, holding held: RunFolderLock? = nil) throws(CharLSTMError) -> RunFolderLock {
        try Files.makeFolders(path, role: "the output folder")
        guard access(path, W_OK) == 0 else {
            throw .cannotCreate("cannot write to the output folder '\(path)': permission denied")
        }
        let lock: RunFolderLock
        if let held { lock = held } else { lock = try RunFolderLock(folder: path) }
        if !continuing && !overwrite {
            for file in [latest, best] where Files.exists(file) {
                lock.release()
                throw .conflict("'\(path)' already holds a training run (\(FilePath(file).lastComponent ?? file)): continue it "
                    + "with '\(setting: .resume) \(path)', choose another \(setting: .folder), or start over with \(setting: .overwrite)")
            }
            // A file of the name of one the run writes, without a checkpoint (a user's own, or what a run stopped
            // before its first save left): a new run would replace or append to it, so it is the user's to give up.
            for file in [metrics, plot] where Files.kind(file, followingLinks: false) == .regular {
                lock.release()
                throw .conflict("'\(file)' already exists, and a new run writes a file of that name: move it away, choose "
                    + "another \(setting: .folder), or replace it with \(setting: .overwrite)")
            }
        }
        // Its files are written by renaming over them and read without following links: each must be a regular
        // file, so that nothing planted there (a link to /dev/zero, a pipe) is read or kept.
        for file in files {
            if let kind = Files.kind(file, followingLinks: false), kind != .regular {
                lock.release()
                throw .cannotCreate("'\(file)' is \(kind.described): the files of a run folder must be regular files; move it away")
            }
        }
        for name in Files.names(inFolder: path) where Self.isStaleTemporary(name) {
            Files.remove(self.file(name))
        }
        return lock
    }

    /// Whether the folder holds any of a run's files (`latest.safetensors`, `best.safetensors`, `metrics.csv`,
    /// `loss.svg`): what a run with `overwrite` replaces.
    var holdsRunFiles: Bool {
        files.contains { Files.kind($0, followingLinks: false) != nil }
    }

    /// Replaces the files of the run a run with `overwrite` starts over from, once the new run has saved its first
    /// checkpoint to `saved`: the other checkpoint and the plot of the old run are removed, and the new run's
    /// metrics, logged until then to `stagedMetrics` (a temporary name of `metrics.csv`), are renamed to
    /// `metrics.csv` (an open log keeps appending to them). Throws `.io` when the rename fails.
    func finishReplacing(saved: String, stagedMetrics: String, fileSystem: some FileSystem) throws(CharLSTMError) {
        for file in [latest, best, plot] where file != saved { fileSystem.remove(file) }
        do {
            try fileSystem.rename(stagedMetrics, metrics)
            try fileSystem.syncFolder(path)
        } catch {
            throw .io("saved '\(saved)' but cannot move this run's metrics from '\(stagedMetrics)' to '\(metrics)': \(error)")
        }
    }

    /// Whether `name` is a temporary file (``AtomicFile``: `.<name>.tmp-<pid>-<n>`) of one of the files a run
    /// writes (`latest.safetensors`, `best.safetensors`, `loss.svg`, and `metrics.csv`, rewritten on a resume and
    /// logged to a temporary name by a run that replaces another until it first saves) whose writing process has
    /// ended: what a crash or a `kill -9` leaves. Another program's temporary file in the folder (an `export`
    /// into it), and one a live process is writing, are not.
    static func isStaleTemporary(_ name: String) -> Bool {
        for file in fileNames where name.hasPrefix(".\(file).tmp-") {
            let parts = name.dropFirst(file.count + 6).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, pid != getpid(), UInt(parts[1]) != nil else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        return false
    }
}
