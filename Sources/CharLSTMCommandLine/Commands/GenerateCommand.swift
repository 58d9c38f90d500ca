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
        let path = try Paths.checkpointToSample(o.checkpoint)
        let sampler = try Sampler(temperature: Float(o.temperature), topK: o.topK, topP: o.topP.map(Float.init))
        let checkpoint = try Checkpoint.load(path: path)
        if o.samples > 1 { return try runSamples(checkpoint: checkpoint, path: path, sampler: sampler) }
        let weights = o.weights.precision(for: checkpoint.config)
        let generator = try TextGenerator(model: checkpoint.textModel(for: "generating text"), sampler: sampler, seed: o.seed, length: o.length, stop: o.stop,
                                          threads: o.threads ?? ProcessInfo.processInfo.activeProcessorCount, weights: weights)
        generator.planSteps(cache: Paths.planCache())
        // Checked before the first character is written.
        // Without a prime, as after the end of a line: the model starts a fresh one (the newline is not printed).
        try generator.prime(o.prime ?? checkpoint.vocabulary.freshLinePrime)
        let chosen = o.checkpoint == nil
            ? (Paths.isPretrainedFolder(FilePath(path).parent.string) ? "; no run under \(Paths.checkpointsFolder)/, so the shipped model"
                : "; the newest run, --checkpoint chooses another")
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

    /// `--samples N`: N streams of one ``GenerationBatch``, sample i with seed + i (so sample 1 is the text a
    /// single run with the seed gives). Each sample is printed whole under a header line; the first streams
    /// live, the others are held until those before them are done (they are generated all the while).
    private func runSamples(checkpoint: Checkpoint, path: String, sampler: Sampler) throws -> Int32 {
        let o = options, n = o.samples, seed = o.seed ?? TextGenerator.freshSeed()
        let batch = try GenerationBatch(model: checkpoint.textModel(for: "generating text"), capacity: n,
                                        threads: o.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                        weights: o.weights.precision(for: checkpoint.config))
        batch.planSteps(cache: Paths.planCache())
        let prime = o.prime ?? checkpoint.vocabulary.freshLinePrime
        var sampleOf = [GenerationBatch.StreamID: Int]()
        for i in 0..<n {
            sampleOf[try batch.add(GenerationRequest(prime: prime, sampler: sampler, seed: seed &+ UInt64(i),
                                                      length: o.length, stops: o.stop.map { [$0] } ?? []))] = i
        }
        try console.err.write("generating \(n) samples from '\(path)' (seeds \(seed) to \(seed &+ UInt64(n - 1)))\n")
        try console.err.flush()
        var texts = [[Unicode.Scalar]](repeating: [], count: n), done = [Bool](repeating: false, count: n)
        var shown = 0, printed = 0  // the sample being printed, and how many of its characters are out
        func header(_ i: Int) throws {
            try console.out.write((i > 0 ? "\n" : "") + "--- sample \(i + 1) of \(n) (seed \(seed &+ UInt64(i))) ---\n"
                                  + (o.prime ?? ""))
        }
        try header(0)
        while shown < n {
            batch.step { event in
                let i = sampleOf[event.stream]!
                if let c = event.character { texts[i].append(c) }
                if event.finish != nil { done[i] = true }
            }
            // Print what the current sample has new; move on past the finished ones.
            while shown < n {
                let text = texts[shown]
                if text.count > printed {
                    try console.out.write(String(String.UnicodeScalarView(text[printed...])))
                    printed = text.count
                }
                guard done[shown] else { break }
                if let last = text.last ?? o.prime?.unicodeScalars.last, last != "\n" { try console.out.write("\n") }
                shown += 1
                printed = 0
                if shown < n { try header(shown) }
            }
            try console.out.flush()
        }
        return 0
    }
}
