import Foundation

/// `charlstm generate`: streams sampled text to standard output.
struct GenerateCommand {
    let options: GenerateOptions
    let console: Console

    func run() throws -> Int32 {
        let o = options
        let path: String
        if let given = o.checkpoint {
            path = try Paths.checkpointFile(given, preferBest: true)
        } else {
            guard let newest = Paths.newestCheckpoint() else {
                throw CharLSTMError.noInput("no checkpoint given and none found under '\(Paths.checkpointsFolder)/': "
                    + "train one with 'charlstm train' or name one with --checkpoint")
            }
            path = newest
        }
        let sampler = try Sampler(temperature: Float(o.temperature), topK: o.topK, topP: o.topP.map(Float.init))
        let checkpoint = try Checkpoint.load(path: path)
        let seed = o.seed ?? UInt64(truncatingIfNeeded: Int64(Date().timeIntervalSince1970 * 1e6)) ^ UInt64(getpid())
        let generator = try Generator(checkpoint: checkpoint, sampler: sampler, seed: seed,
                                      threads: o.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        // Checked before the first character is written.
        if let prime = o.prime {
            try generator.prime(prime)
        } else if checkpoint.vocabulary.index(of: "\n") != nil {
            // As after the end of a line: the model starts a fresh one (the newline itself is not printed).
            try generator.prime("\n")
        }
        try console.err.write("generating from '\(path)' (seed \(seed))\n")
        try console.err.flush()

        let isTerminal = console.out.isTerminal
        if let prime = o.prime { try console.out.write(prime) }
        var pending = String.UnicodeScalarView()
        let stop = o.stop.map { Array($0.unicodeScalars) }
        var tail: [Unicode.Scalar] = []
        var lastFlush = Date()
        for _ in 0..<o.length {
            let s = generator.next()
            pending.append(s)
            var stopped = false
            if let stop {
                tail.append(s)
                if tail.count > stop.count { tail.removeFirst(tail.count - stop.count) }
                stopped = tail.elementsEqual(stop)
            }
            // A person watching a terminal sees every character appear; pipes get larger writes.
            if isTerminal || pending.count >= 256 || stopped || Date().timeIntervalSince(lastFlush) > 0.05 {
                try console.out.write(String(pending))
                try console.out.flush()
                pending.removeAll(keepingCapacity: true)
                lastFlush = Date()
            }
            if stopped { break }
        }
        try console.out.write(String(pending))
        if isTerminal { try console.out.write("\n") }
        try console.out.flush()
        return 0
    }
}
