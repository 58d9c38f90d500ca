import Foundation
import Synchronization
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The real file system with injected failures.
struct FaultyFileSystem: FileSystem {
    var failCreate: Int32? = nil
    /// Writes past this many bytes of the file fail with ENOSPC (after writing up to the limit).
    var diskSpace: Int? = nil
    var failSync: Int32? = nil
    var failRename: Int32? = nil
    /// The process "dies" before renaming: rename, remove and folder sync never happen.
    var crashBeforeRename = false
    let real = POSIXFileSystem()

    func create(_ path: String) throws(SystemCallError) -> Int32 {
        if let code = failCreate { throw SystemCallError(code) }
        return try real.create(path)
    }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        guard let space = diskSpace else { return try real.write(descriptor, bytes) }
        let free = space - Int(lseek(descriptor, 0, SEEK_CUR))
        guard free > 0 else { throw SystemCallError(ENOSPC) }
        return try real.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes.prefix(free)))
    }

    func sync(_ descriptor: Int32) throws(SystemCallError) {
        if let code = failSync { throw SystemCallError(code) }
        try real.sync(descriptor)
    }

    func close(_ descriptor: Int32) throws(SystemCallError) { try real.close(descriptor) }

    func rename(_ source: String, _ destination: String) throws(SystemCallError) {
        if crashBeforeRename { return }
        if let code = failRename { throw SystemCallError(code) }
        try real.rename(source, destination)
    }

    func remove(_ path: String) { if !crashBeforeRename { real.remove(path) } }

    func syncFolder(_ path: String) throws(SystemCallError) {
        if !crashBeforeRename { try real.syncFolder(path) }
    }
}

@Suite struct AtomicFileTests {
    let old = sampleSafeTensors().encoded()
    let new = SafeTensors(tensors: ["w": .init(shape: [1000], values: (0..<1000).map(Float.init))]).encoded()

    /// A folder holding `latest.safetensors` with the old checkpoint.
    func folderWithOldCheckpoint() -> (TemporaryFolder, String) {
        let folder = TemporaryFolder()
        return (folder, folder.file("latest.safetensors", old))
    }

    @Test func replacesTheFileAndLeavesNothingBehind() throws {
        let (folder, path) = folderWithOldCheckpoint()
        try AtomicFile.write(new, to: path)
        #expect(folder.contents("latest.safetensors") == new)
        #expect(folder.names == ["latest.safetensors"])
    }

    @Test func createsANewFile() throws {
        let folder = TemporaryFolder()
        try AtomicFile.write([1, 2, 3], to: folder.path + "/fresh.bin")
        #expect(folder.contents("fresh.bin") == [1, 2, 3])
    }

    @Test func diskFullMidWriteKeepsTheOldFile() throws {
        let (folder, path) = folderWithOldCheckpoint()
        let error = #expect(throws: CharLSTMError.self) {
            try AtomicFile.write(new, to: path, fileSystem: FaultyFileSystem(diskSpace: 1000))
        }
        #expect(error?.kind == .io)
        #expect(error?.message == "cannot write '\(path)': \(SystemCallError(ENOSPC))")
        #expect(error?.message.hasSuffix("No space left on device") == true)
        #expect(folder.names == ["latest.safetensors"])
        #expect(try SafeTensors.load(path: path).tensors == sampleSafeTensors().tensors)
    }

    @Test(arguments: [
        FaultyFileSystem(failSync: EIO), FaultyFileSystem(failRename: EIO), FaultyFileSystem(failRename: EXDEV),
    ])
    func failedSyncOrRenameKeepsTheOldFile(_ fileSystem: FaultyFileSystem) throws {
        let (folder, path) = folderWithOldCheckpoint()
        let error = #expect(throws: CharLSTMError.self) { try AtomicFile.write(new, to: path, fileSystem: fileSystem) }
        #expect(error?.kind == .io)
        #expect(error?.message.hasPrefix("cannot write '\(path)': ") == true)
        #expect(folder.names == ["latest.safetensors"])
        #expect(folder.contents("latest.safetensors") == old)
    }

    @Test func uncreatableTemporaryFileIsReported() {
        let (folder, path) = folderWithOldCheckpoint()
        let error = #expect(throws: CharLSTMError.self) {
            try AtomicFile.write(new, to: path, fileSystem: FaultyFileSystem(failCreate: EACCES))
        }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.message.contains("Permission denied") == true)
        #expect(folder.contents("latest.safetensors") == old)
    }

    @Test func missingFolderIsReported() {
        let folder = TemporaryFolder()
        let error = #expect(throws: CharLSTMError.self) { try AtomicFile.write(new, to: folder.path + "/no/x.bin") }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.message.contains("No such file or directory") == true)
    }

    @Test func targetThatIsAFolderIsReported() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path + "/dir", withIntermediateDirectories: false)
        let error = #expect(throws: CharLSTMError.self) { try AtomicFile.write(new, to: folder.path + "/dir") }
        #expect(error?.kind == .io)
        #expect(folder.names == ["dir"])
    }

    @Test func crashBetweenWriteAndRenameLeavesTheOldFileLoadable() throws {
        let (folder, path) = folderWithOldCheckpoint()
        try AtomicFile.write(new, to: path, fileSystem: FaultyFileSystem(crashBeforeRename: true))
        let names = folder.names
        #expect(names.count == 2)
        let temporary = try #require(names.first { $0.hasPrefix(".latest.safetensors.tmp-\(getpid())-") })
        #expect(folder.contents(temporary) == new)
        #expect(try SafeTensors.load(path: path).tensors == sampleSafeTensors().tensors)
        // The next run writes through a fresh temporary file and succeeds despite the leftover.
        try AtomicFile.write(new, to: path)
        #expect(folder.contents("latest.safetensors") == new)
    }

    @Test func temporaryFilesAreHiddenSiblingsWithUniqueNames() {
        let a = AtomicFile.temporaryPath(for: "/x/y/latest.safetensors")
        #expect(a.hasPrefix("/x/y/.latest.safetensors.tmp-\(getpid())-"))
        #expect(AtomicFile.temporaryPath(for: "/x/y/latest.safetensors") != a)
        #expect(AtomicFile.temporaryPath(for: "m.bin").hasPrefix(".m.bin.tmp-"))
        #expect(AtomicFile.temporaryPath(for: "/m.bin").hasPrefix("/.m.bin.tmp-"))
        #expect(AtomicFile.temporaryPath(for: "a//ü é.bin").hasPrefix("a//.ü é.bin.tmp-"))
    }

    @Test func pathsThatNameNoFileAreRefused() {
        let folder = TemporaryFolder()
        for path in [folder.path + "/", folder.path + "/x/", folder.path + "/.", folder.path + "/..", "", "/", "a\u{0}b"] {
            let error = #expect(throws: CharLSTMError.self) { try AtomicFile.write([1], to: path) }
            #expect(error?.kind == .cannotCreate, "\(path)")
            #expect(error?.message.contains("does not name a file") == true, "\(path): \(error?.message ?? "")")
        }
        #expect(folder.names.isEmpty)
    }

    @Test func writesInPiecesFromTheProducer() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/pieces.bin"
        try AtomicFile.write(to: path) { output in
            for piece: [UInt8] in [[1, 2], [], [3], Array(repeating: 4, count: 70_000)] { try piece.withUnsafeBytes(output) }
        }
        #expect(folder.contents("pieces.bin") == [1, 2, 3] + Array(repeating: 4, count: 70_000))
        // A producer that fails leaves the old file and no temporary file.
        struct Refusal: Error {}
        #expect(throws: CharLSTMError.self) {
            try AtomicFile.write(to: path) { output in
                try [9, 9].withUnsafeBytes(output)
                throw Refusal()
            }
        }
        #expect(folder.names == ["pieces.bin"])
        #expect(folder.contents("pieces.bin")?.count == 70_003)
    }

    @Test func aTemporaryFileIsNeverOpenedThroughALinkOrOverAnExistingFile() throws {
        let folder = TemporaryFolder()
        let victim = folder.file("victim", Array("keep me".utf8))
        let fileSystem = POSIXFileSystem()
        // A link planted at the name, to an existing file or to nothing, and a file already there.
        let link = folder.path + "/.latest.safetensors.tmp-1-1"
        #expect(symlink(victim, link) == 0)
        #expect(throws: SystemCallError(EEXIST)) { _ = try fileSystem.create(link) }
        let dangling = folder.path + "/.latest.safetensors.tmp-1-2"
        #expect(symlink(folder.path + "/created-through-link", dangling) == 0)
        #expect(throws: SystemCallError(EEXIST)) { _ = try fileSystem.create(dangling) }
        #expect(throws: SystemCallError(EEXIST)) { _ = try fileSystem.create(victim) }
        #expect(folder.contents("victim") == Array("keep me".utf8))
        #expect(!Files.exists(folder.path + "/created-through-link"))
    }

    @Test func aLinkPlantedAtTheTemporaryNameIsSteppedOver() throws {
        let folder = TemporaryFolder()
        let victim = folder.file("victim", Array("keep me".utf8))
        let path = folder.path + "/latest.safetensors"
        let planting = PlantingFileSystem(target: victim, plants: 3)
        try AtomicFile.write(new, to: path, fileSystem: planting)
        #expect(folder.contents("latest.safetensors") == new)
        #expect(folder.contents("victim") == Array("keep me".utf8))
        // The planted links are left alone (the write removes only what it created) and no temporary file stays.
        let links = folder.names.filter { $0.contains(".tmp-") }
        #expect(links.count == 3)
        #expect(links.allSatisfy { Files.kind(folder.path + "/" + $0, followingLinks: false) == .symbolicLink })
        #expect(planting.attempts == 4)
    }

    @Test func aFolderFullOfTakenNamesIsAClearError() throws {
        let folder = TemporaryFolder()
        let victim = folder.file("victim", [1])
        let error = #expect(throws: CharLSTMError.self) {
            try AtomicFile.write(new, to: folder.path + "/x.bin", fileSystem: PlantingFileSystem(target: victim, plants: 1000))
        }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.message.contains("\(AtomicFile.temporaryNameAttempts) temporary names") == true, "\(error?.message ?? "")")
        #expect(folder.contents("victim") == [1])
    }
}

/// The real file system, except that before each of its first `plants` creations it plants a symbolic link
/// to `target` at the name to be created, as an attacker who predicts temporary names would.
final class PlantingFileSystem: FileSystem {
    let target: String
    let plants: Int
    private let count = Mutex(0)
    private let real = POSIXFileSystem()

    init(target: String, plants: Int) {
        self.target = target
        self.plants = plants
    }

    /// How many creations were asked for.
    var attempts: Int { count.withLock { $0 } }

    func create(_ path: String) throws(SystemCallError) -> Int32 {
        if plantsBefore() { symlink(target, path) }
        return try real.create(path)
    }

    /// Counts a creation; whether a link is to be planted before it.
    private func plantsBefore() -> Bool {
        count.withLock { n in
            n += 1
            return n <= plants
        }
    }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        try real.write(descriptor, bytes)
    }
    func sync(_ descriptor: Int32) throws(SystemCallError) { try real.sync(descriptor) }
    func close(_ descriptor: Int32) throws(SystemCallError) { try real.close(descriptor) }
    func rename(_ source: String, _ destination: String) throws(SystemCallError) { try real.rename(source, destination) }
    func remove(_ path: String) { real.remove(path) }
    func syncFolder(_ path: String) throws(SystemCallError) { try real.syncFolder(path) }
}
