import Foundation

/// Where things are by default, and how paths given on the command line are resolved.
public enum Paths {
    /// The corpus `train` and `bench` use when none is given.
    public static let bundledCorpus = "Corpora/shakespeare.txt"
    /// The folder training runs go under by default.
    public static let checkpointsFolder = "Checkpoints"
    /// The pretrained model shipped with the repository, which training never writes to.
    public static let pretrainedFolder = "Checkpoints/pretrained"

    /// The default run folder for a corpus: `Checkpoints/<file name without extension>`.
    public static func defaultRunFolder(forCorpus corpus: String) -> String {
        let name = (corpus as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        return checkpointsFolder + "/" + (stem.isEmpty ? "run" : stem)
    }

    static func isDirectory(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// A checkpoint file from a path that is a file, or a folder (then its `best`, else `latest`).
    public static func checkpointFile(_ path: String, preferBest: Bool) throws(CharLSTMError) -> String {
        guard exists(path) else { throw .noInput("no such checkpoint file or folder: '\(path)'") }
        guard isDirectory(path) else { return path }
        let order = preferBest ? ["best.safetensors", "latest.safetensors"] : ["latest.safetensors", "best.safetensors"]
        for name in order where exists(path + "/" + name) { return path + "/" + name }
        throw .noInput("the folder '\(path)' holds no checkpoint (no best.safetensors or latest.safetensors)")
    }

    /// The most recently written `*.safetensors` under `Checkpoints/` (any depth 1 folder), else the
    /// pretrained model; nil when there is neither.
    public static func newestCheckpoint() -> String? {
        let fm = FileManager.default
        var best: (path: String, date: Date)? = nil
        let folders = (try? fm.contentsOfDirectory(atPath: checkpointsFolder)) ?? []
        for folder in folders where folder != "pretrained" {
            let dir = checkpointsFolder + "/" + folder
            for name in ["best.safetensors", "latest.safetensors"] {
                let path = dir + "/" + name
                if let date = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                   best == nil || date > best!.date {
                    best = (path, date)
                }
            }
        }
        if let best {
            // A run's best model beats its latest, when the run has one.
            let dir = (best.path as NSString).deletingLastPathComponent
            return exists(dir + "/best.safetensors") ? dir + "/best.safetensors" : best.path
        }
        let pretrained = pretrainedFolder + "/best.safetensors"
        return exists(pretrained) ? pretrained : nil
    }

    /// Creates `folder` (and parents) or throws a clear `.cannotCreate` error; checks it is writable.
    static func prepareFolder(_ folder: String) throws(CharLSTMError) {
        var probe = folder
        while !probe.isEmpty && probe != "." && probe != "/" {
            if exists(probe) && !isDirectory(probe) {
                throw .cannotCreate("cannot use '\(folder)' as the output folder: '\(probe)' is a file")
            }
            probe = (probe as NSString).deletingLastPathComponent
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate("cannot create the output folder '\(folder)': \(error.localizedDescription)")
        }
        guard access(folder, W_OK) == 0 else {
            throw .cannotCreate("cannot write to the output folder '\(folder)': permission denied")
        }
    }

    /// Total physical memory in bytes.
    static var physicalMemory: UInt64 { ProcessInfo.processInfo.physicalMemory }

    /// `12.3 MiB`, `1.50 GiB`.
    static func bytes(_ n: Double) -> String {
        let mib = 1_048_576.0
        return n >= 1024 * mib ? String(format: "%.2f GiB", n / (1024 * mib)) : String(format: "%.1f MiB", n / mib)
    }
}
