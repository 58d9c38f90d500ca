import CharLSTM

/// A file a command writes beside its work (`export`'s model, `inspect`'s page, `forecast`'s plot), and the rules
/// that keep it from costing the user a file: the path must name a file (`.cannotCreate`, exit 73, for a folder or
/// another kind of entry there); it is never one of the files the command reads, nor one of the files a run writes
/// into the checkpoint's run folder, whatever the options (`.conflict`, exit 78); and a file already there (a symbolic link too, even one
/// that points nowhere) is replaced only when the user says so (`force`; `.conflict` otherwise).
///
/// ``check()`` is called before the work, so that a refusal costs nothing, and ``write(_:)`` checks again just
/// before it writes, atomically (``AtomicFile``).
struct OutputFile {
    /// The path as given.
    let path: String
    /// The command, for messages ("inspect").
    let command: String
    /// How another name is given ("--out"); nil when the path is an argument.
    let option: String?
    /// A name to suggest when the path names no file ("report.html").
    let example: String
    /// The files the command reads, each with what it is ("the text inspected"): never written.
    let inputs: [(path: String, role: String)]
    /// The checkpoint the command reads: the files a run writes into its folder are never written either.
    let checkpoint: String
    /// Whether an existing file may be replaced (`--force`); nil for a command that never replaces one.
    let force: Bool?

    /// Throws unless writing `path` is allowed; see the type's description. Reads only the file system's entries.
    func check() throws(CharLSTMError) {
        let name = FilePath(path)
        let another = option.map { "choose another \($0)" } ?? "choose another name"
        guard name.namesAFile else {
            throw .cannotCreate("'\(path)' does not name a file to write: give a file name such as \(example)")
        }
        for input in inputs where Files.sameFile(path, input.path) {
            throw .conflict("'\(path)' is \(input.role): \(command) never writes over a file it reads; \(another)")
        }
        // The checkpoint's folder is a run's when it holds one of a run's checkpoints.
        let runFolder = RunFolder(holding: checkpoint)
        if let last = name.lastComponent, RunFolder.fileNames.contains(last) || last == RunFolderLock.fileName,
           Files.sameFile(name.parent.string, runFolder.path), Files.exists(runFolder.latest) || Files.exists(runFolder.best) {
            throw .conflict("'\(path)' is a file of the run folder of the checkpoint '\(checkpoint)': \(command) never "
                + "writes over a run's files; \(another)")
        }
        switch Files.kind(path, followingLinks: false) {
        case nil:
            return
        case .regular?, .symbolicLink?:
            guard force == true else {
                throw .conflict(force == nil
                    ? "'\(path)' already exists: \(command) never overwrites a file; remove it or \(another)"
                    : "'\(path)' already exists: \(command) replaces a file only with --force; remove it, \(another), or give --force")
            }
        case let other?:
            throw .cannotCreate("'\(path)' is \(other.described), not a file: give a file name such as \(example)")
        }
    }

    /// Checks again, then replaces (or creates) the file with `bytes` atomically.
    func write(_ bytes: [UInt8]) throws {
        try check()
        try AtomicFile.write(bytes, to: path)
    }
}
