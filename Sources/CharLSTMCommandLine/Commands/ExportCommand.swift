import CharLSTM
/// `charlstm export`: a model-only copy of a checkpoint, keeping what it says about its training (step,
/// validation loss, time) so that `info` can still tell how good the model is.
struct ExportCommand {
    let options: ExportOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try RunFolder.checkpointFile(options.checkpoint, preferBest: true)
        let output = options.output
        try OutputFile(path: output, command: "export", option: nil, example: "model.safetensors",
                       inputs: [(path, "the checkpoint exported")], checkpoint: path, force: nil).check()
        try Checkpoint.load(path: path).modelOnly.save(to: output)
        try console.out.write("wrote '\(output)': the model of '\(path)' without training state\n")
        return 0
    }
}
