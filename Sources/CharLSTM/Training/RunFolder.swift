/// The folder a training run writes into, and the rules that keep one run from overwriting another.
///
/// It holds `latest.safetensors` (saved every few steps, at the end and when stopped), `best.safetensors` (the
/// lowest validation loss), `metrics.csv` and `loss.svg`. One process at a time writes into a run folder: the
/// run holds its ``RunFolderLock`` from ``prepare(continuing:overwrite:)`` until it is released.
public struct RunFolder: Equatable, Sendable {
    /// The folder's path as given, without trailing slashes.
    public let path: String

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

    private func file(_ name: String) -> String { FilePath(path).appending(name).string }

    /// Whether `path` is this folder on disk (through links, `.` and `..`).
    func isSameFolder(as path: String) -> Bool { Files.sameFile(path, self.path) }

    /// Refuses the shipped pretrained model's folder, which no run writes to, and a folder another training
    /// process holds (`.busy`, naming its process id). Creates and changes nothing.
    func checkUsable() throws(CharLSTMError) {
        if Paths.isPretrainedFolder(path) {
            throw .conflict("'\(path)' holds the shipped pretrained model, which training never overwrites: choose another --out")
        }
        try RunFolderLock.checkFree(path)
    }

    /// Creates the folder, takes its lock and makes it ready for a run: the first time any file in it is touched.
    ///
    /// A run that continues in its own folder (`continuing`) keeps everything. Any other run needs a folder
    /// without checkpoints: with `overwrite` the old run's files are deleted, without it the folder is refused.
    /// Temporary files of writes that a crash interrupted are removed. Returns the lock, which the caller holds
    /// for as long as it writes into the folder.
    func prepare(continuing: Bool, overwrite: Bool) throws(CharLSTMError) -> RunFolderLock {
        try Paths.prepareFolder(path)
        let lock = try RunFolderLock(folder: path)
        if !continuing && !overwrite {
            for file in [latest, best] where Paths.exists(file) {
                lock.release()
                throw .conflict("'\(path)' already holds a training run (\(FilePath(file).lastComponent ?? file)): continue it "
                    + "with '--resume \(path)', choose another --out, or start over with --force")
            }
        }
        if !continuing && overwrite {
            for file in [latest, best, metrics, plot] { Files.remove(file) }
        }
        for name in Files.names(inFolder: path) where name.hasPrefix(".") && name.contains(".tmp-") {
            Files.remove(self.file(name))
        }
        return lock
    }
}
