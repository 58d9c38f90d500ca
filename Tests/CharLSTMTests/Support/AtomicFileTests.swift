import Foundation
import Testing
@testable import CharLSTM

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
        #expect(AtomicFile.split("m.bin") == (folder: ".", name: "m.bin"))
        #expect(AtomicFile.split("/m.bin") == (folder: "/", name: "m.bin"))
    }

    @Test func readsWholeFiles() throws {
        let folder = TemporaryFolder()
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        #expect(try AtomicFile.readFile(folder.file("big", big)) == big)
        #expect(try AtomicFile.withContents(of: folder.path + "/big") { Array($0) } == big)
    }

    @Test func readingReportsMissingFoldersAndEmptyFiles() throws {
        let folder = TemporaryFolder()
        let missing = folder.path + "/missing"
        #expect(throws: CharLSTMError.noInput("'\(missing)': no such file")) { try AtomicFile.readFile(missing) }
        #expect(throws: CharLSTMError.noInput("'\(folder.path)' is a folder, not a file")) {
            try AtomicFile.readFile(folder.path)
        }
        let empty = folder.file("empty", [])
        #expect(throws: CharLSTMError.invalidData("'\(empty)' is empty")) { try AtomicFile.readFile(empty) }
        #expect(throws: CharLSTMError.invalidData("'\(empty)' is empty")) {
            try AtomicFile.withContents(of: empty) { _ in }
        }
    }

    @Test(.enabled(if: !runningAsRoot, "root reads any file"))
    func readingReportsPermissionDenied() throws {
        let folder = TemporaryFolder()
        let path = folder.file("secret", [1])
        chmod(path, 0)
        #expect(throws: CharLSTMError.noInput("'\(path)': permission denied")) { try AtomicFile.readFile(path) }
    }
}
