import Foundation

/// The folder a training run writes into, and the rules that keep one run from overwriting another.
///
/// It holds `latest.safetensors` (saved every few steps, at the end and when stopped), `best.safetensors` (the
/// lowest validation loss), `metrics.csv` and `loss.svg`.
public struct RunFolder: Equatable, Sendable {
    /// The folder's path as given.
    public let path: String

    public init(_ path: String) {
        self.path = path
    }

    /// The checkpoint of the most recent save.
    public var latest: String { path + "/latest.safetensors" }
    /// The checkpoint with the lowest validation loss.
    public var best: String { path + "/best.safetensors" }
    /// One row per logged step, appended across resumes.
    public var metrics: String { path + "/metrics.csv" }
    /// The learning curves, redrawn at every validation.
    public var plot: String { path + "/loss.svg" }

    /// Whether `path` names this folder (after resolving `.`, `..` and repeated slashes).
    func isSameFolder(as path: String) -> Bool {
        (path as NSString).standardizingPath == (self.path as NSString).standardizingPath
    }

    /// Refuses the shipped pretrained model's folder, which no run writes to.
    func refuseProtected() throws(CharLSTMError) {
        let normalized = (path as NSString).standardizingPath
        if normalized == Paths.pretrainedFolder || normalized.hasSuffix("/" + Paths.pretrainedFolder) {
            throw .conflict("'\(path)' holds the shipped pretrained model, which training never overwrites: choose another --out")
        }
    }

    /// Creates the folder and makes it ready for a run; the first time any file in it is touched.
    ///
    /// A run that continues in its own folder (`continuing`) keeps everything. Any other run needs a folder
    /// without checkpoints: with `overwrite` the old run's files are deleted, without it the folder is refused.
    /// Temporary files of writes that a crash interrupted are removed.
    func prepare(continuing: Bool, overwrite: Bool) throws(CharLSTMError) {
        try Paths.prepareFolder(path)
        if !continuing && !overwrite {
            for file in [latest, best] where Paths.exists(file) {
                throw .conflict("'\(path)' already holds a training run (\((file as NSString).lastPathComponent)): continue it "
                    + "with '--resume \(path)', choose another --out, or start over with --force")
            }
        }
        let fileManager = FileManager.default
        if !continuing && overwrite {
            for file in [latest, best, metrics, plot] { try? fileManager.removeItem(atPath: file) }
        }
        for name in (try? fileManager.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            try? fileManager.removeItem(atPath: path + "/" + name)
        }
    }
}
