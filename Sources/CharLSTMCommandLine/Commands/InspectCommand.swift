import CharLSTM
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `charlstm inspect`: runs a model over a text as `eval` does and writes what it sees as one self-contained
/// HTML page (``InspectionPage``), or prints it as JSON (``InspectionJSON``).
struct InspectCommand {
    let options: InspectOptions
    let console: Console

    func run() throws -> Int32 {
        let path = try RunFolder.checkpointFile(options.checkpoint, preferBest: true)
        let page = (options.out ?? (options.json ? nil : Self.defaultOutput(for: options.file))).map {
            OutputFile(path: $0, command: "inspect", option: "--out", example: "report.html",
                       inputs: [(options.file, "the text inspected"), (path, "the checkpoint")], checkpoint: path, force: options.force)
        }
        try page?.check()
        let checkpoint = try Checkpoint.load(path: path)
        let config = checkpoint.config
        if let layer = options.layer, layer >= config.layers {
            throw CharLSTMError.usage("'--layer' must be from 0 to \(config.layers - 1) for this model (\(config.layers) layer\(config.layers == 1 ? "" : "s")), got \(layer)")
        }
        if let cell = options.cell, cell >= config.hidden {
            throw CharLSTMError.usage("'--cell' must be from 0 to \(config.hidden - 1) for this model (\(config.hidden) cells a layer), got \(cell)")
        }
        let text = try Corpus.load(path: options.file).text
        let inspection = try checkpoint.textModel(for: "inspecting a text").inspect(text, named: "'\(options.file)'", limit: options.maxCharacters, unknown: options.unknown,
                                                threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        if let note = EvalCommand.unknownNote(inspection.evaluation.unknown, options.unknown) { try console.err.write(note + "\n") }
        if let page {
            let html = InspectionPage.html(inspection, checkpoint: path, file: options.file, layer: options.layer, cell: options.cell)
            try page.write(Array(html.utf8))
        }
        if options.json {
            try console.out.write(InspectionJSON.value(inspection, checkpoint: path, file: options.file).encoded + "\n")
        } else {
            try console.out.write(summary(inspection, page: page?.path ?? ""))
        }
        return 0
    }

    /// `<file name without extension>.inspect.html` in the current folder (`text.inspect.html` when the name gives nothing).
    static func defaultOutput(for file: String) -> String {
        let stem = FilePath(file).stem ?? ""
        let usable = !stem.isEmpty && stem != "." && stem != ".." && !stem.hasPrefix(".")
        return (usable ? stem : "text") + ".inspect.html"
    }

    /// What was written, the header numbers and the best cell per property, for the terminal.
    func summary(_ i: Inspection, page: String) -> String {
        var lines = ["wrote '\(page)': \(InspectionPage.textFacts(i)), "
            + String(i.evaluation.bitsPerCharacter, fractionDigits: 4) + " bits/char, "
                + String(100 * i.evaluation.accuracy, fractionDigits: 2) + "% ranked first"]
        for entry in i.cellsByProperty {
            let best = entry.cells.first.map { "layer \($0.layer) cell \($0.cell), r = \(InspectionPage.signed($0.correlation))" }
            lines.append("  \(entry.property.label): " + (entry.varies ? best ?? "no cell varies" : "does not change in this text"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
