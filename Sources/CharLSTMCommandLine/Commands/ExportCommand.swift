import CharLSTM
/// `charlstm export`: a model-only copy of a checkpoint, keeping what it says about its training (step,
/// validation loss, time) so that `info` can still tell how good the model is.
struct ExportCommand {
    let options: ExportOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try RunFolder.checkpointFile(options.checkpoint, preferBest: true)
        let output = options.output
        guard FilePath(output).namesAFile else {
            throw CharLSTMError.cannotCreate("'\(output)' does not name a file to write: give a file name such as model.safetensors")
        }
        // A symbolic link counts as taken, even one that points nowhere.
        guard Files.kind(output, followingLinks: false) == nil else {
            throw CharLSTMError.conflict("'\(output)' already exists: export never overwrites a file; remove it or choose another name")
        }
        try Checkpoint.load(path: path).modelOnly.save(to: output)
        try console.out.write("wrote '\(output)': the model of '\(path)' without training state\n")
        return 0
    }
}
