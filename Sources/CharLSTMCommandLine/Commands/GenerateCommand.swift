import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `charlstm generate`: streams the characters of a ``TextGenerator`` to standard output.
struct GenerateCommand {
    let options: GenerateOptions
    let console: Console

    func run() throws -> Int32 {
        let o = options
        let path: String
        if let given = o.checkpoint {
            path = try RunFolder.checkpointFile(given, preferBest: true)
        } else {
            guard let newest = Paths.newestCheckpoint() else {
                throw CharLSTMError.noInput("no checkpoint given and none found under '\(Paths.checkpointsFolder)/': "
                    + "train one with 'charlstm train' or name one with --checkpoint")
            }
            path = newest
        }
        let sampler = try Sampler(temperature: Float(o.temperature), topK: o.topK, topP: o.topP.map(Float.init))
        let checkpoint = try Checkpoint.load(path: path)
        let generator = try TextGenerator(checkpoint: checkpoint, sampler: sampler, seed: o.seed, length: o.length, stop: o.stop,
                                          threads: o.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        // Checked before the first character is written.
        if let prime = o.prime {
            try generator.prime(prime)
        } else if checkpoint.vocabulary.index(of: "\n") != nil {
            // As after the end of a line: the model starts a fresh one (the newline itself is not printed).
            try generator.prime("\n")
        }
        let chosen = o.checkpoint == nil
            ? (Paths.isPretrainedFolder(FilePath(path).parent.string) ? "; no run under \(Paths.checkpointsFolder)/, so the shipped model" : "; the newest run, --checkpoint chooses another")
            : ""
        try console.err.write("generating from '\(path)' (seed \(generator.seed)\(chosen))\n")
        try console.err.flush()

        let isTerminal = console.out.isTerminal
        var last = o.prime?.unicodeScalars.last
        if let prime = o.prime { try console.out.write(prime) }
        var pending = String.UnicodeScalarView()
        var lastFlush = Date()
        for scalar in generator {
            pending.append(scalar)
            last = scalar
            // A person watching a terminal sees every character appear; pipes get larger writes.
            if isTerminal || pending.count >= 256 || generator.isFinished || Date().timeIntervalSince(lastFlush) > 0.05 {
                try console.out.write(String(pending))
                try console.out.flush()
                pending.removeAll(keepingCapacity: true)
                lastFlush = Date()
            }
        }
        try console.out.write(String(pending))
        // On a terminal the output ends with a line break, so the prompt starts on a line of its own.
        if isTerminal, let last, last != "\n" { try console.out.write("\n") }
        try console.out.flush()
        return 0
    }
}
