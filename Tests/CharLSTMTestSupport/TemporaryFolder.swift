import Foundation

/// A fresh folder under the system's temporary folder, removed with everything in it when released.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "/charlstm-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` in the folder and returns the file's path.
    @discardableResult
    func file(_ name: String, _ bytes: [UInt8]) -> String {
        let file = path + "/" + name
        precondition(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
        return file
    }

    /// The names in the folder, sorted.
    var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    func contents(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path + "/" + name).map { [UInt8]($0) }
    }
}

/// Whether the tests run as root, for whom file permissions do not deny anything.
let runningAsRoot = geteuid() == 0
