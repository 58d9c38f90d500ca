#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An ``Inspection`` as one self-contained HTML page (`charlstm inspect`): no network, no external scripts,
/// styles or fonts; it opens from disk in any browser.
///
/// The page shows a header (checkpoint, model, text, bits/char, accuracy), the text coloured by surprisal with
/// the model's top predictions for a character on hover or focus, the text coloured by a chosen cell's activity
/// with a cell picker, the cells that follow simple properties of the text ranked by correlation (each
/// clickable), and the gate saturation of every layer. The text and data travel as JSON in an inert
/// `application/json` script (every `<` escaped, so no text can end it); the page's script puts characters
/// in with `textContent` only, so no text is ever read as HTML. Large texts stay responsive: characters are
/// drawn in blocks, and a block gets its coloured spans only when it scrolls into view.
package enum InspectionPage {
    /// The page for `inspection`, naming the checkpoint and text paths as given. `layer` and `cell` choose
    /// the cell shown first (default: the best-correlated cell, in `layer` when given).
    package static func html(_ inspection: Inspection, checkpoint: String, file: String,
                            layer: Int? = nil, cell: Int? = nil) -> String {
        let i = inspection, c = i.config
        let best = layer.flatMap { i.bestCell(inLayer: $0) } ?? (layer == nil ? i.bestCell : nil)
        let shownLayer = layer ?? best?.layer ?? c.layers - 1, shownCell = cell ?? best?.cell ?? 0
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="charlstm inspect">
        <title>\(escape("inspect: " + (FilePath(file).lastComponent ?? file)))</title>
        <style>\(style)</style>
        </head>
        <body>
        <header>
        <h1>Inside the model, over <code>\(escape(FilePath(file).lastComponent ?? file))</code></h1>
        <dl class="facts">
        <div><dt>checkpoint</dt><dd><code>\(escape(checkpoint))</code></dd></div>
        <div><dt>model</dt><dd>\(c.cell.rawValue) · \(c.layers) layer\(c.layers == 1 ? "" : "s") × \(c.hidden) · \(c.vocabularySize) characters</dd></div>
        <div><dt>text</dt><dd><code>\(escape(file))</code>: \(textFacts(i))</dd></div>
        <div><dt>bits/char</dt><dd>\(String(i.evaluation.bitsPerCharacter, fractionDigits: 4))</dd></div>
        <div><dt>accuracy</dt><dd>\(String(100 * i.evaluation.accuracy, fractionDigits: 2))% of \(grouped(i.evaluation.predictions)) predictions ranked first</dd></div>
        </dl>
        <noscript><p class="warn">This page draws the text with JavaScript: allow it to see the coloured text.</p></noscript>
        </header>
        <main>
        <section id="surprise">
        <h2>Surprise</h2>
        <p class="note">Each character coloured by how surprised the model was to see it, −log₂ p in bits (the first
        character is not predicted). Point at a character, or click into the text and use the arrow keys, to see
        what the model expected there (Esc hides it).</p>
        <div class="legend"><span>0 bits</span><span class="ramp surprise-ramp"></span><span>≥ \(Int(maxBits)) bits</span></div>
        <div class="text" id="surprise-text" tabindex="0" aria-label="the text coloured by surprisal"></div>
        </section>
        <section id="cells">
        <h2>Cell activity</h2>
        <div class="controls">
        <label>layer <select id="layer"></select></label>
        <label>cell <input id="cell" type="number" min="0" max="\(c.hidden - 1)" step="1"></label>
        <button id="prev" type="button" aria-label="previous cell">◀</button><button id="next" type="button" aria-label="next cell">▶</button>
        <span id="cell-note"></span>
        </div>
        <div class="legend"><span>−1</span><span class="ramp cell-ramp"></span><span>+1</span><span class="muted">\(escape(i.activityName)) of the cell after reading each character</span></div>
        <div class="text" id="cell-text" tabindex="0" aria-label="the text coloured by the chosen cell"></div>
        </section>

        """
        page += foundCells(i)
        page += gateSection(i)
        page += """
        </main>
        <div id="info" role="status" aria-live="polite"></div>
        <script id="data" type="application/json">\(data(i, layer: shownLayer, cell: shownCell))</script>
        <script>\(script)</script>
        </body>
        </html>

        """
        return page
    }

    /// Surprisal drawn at full colour from this many bits on.
    static let maxBits = 8.0

    /// `s` safe in the page (``Markup/escape(_:)``).
    static func escape(_ s: String) -> String { Markup.escape(s) }

    /// `12,345`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (k, d) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }

    package static func textFacts(_ i: Inspection) -> String {
        i.isCut ? "the first \(grouped(i.text.count)) of \(grouped(i.totalCharacters)) characters (raise the cap with --max-chars)"
            : "\(grouped(i.text.count)) characters"
    }

    /// `+0.62`.
    package static func signed(_ r: Double) -> String { String(r, fractionDigits: 2, alwaysSigned: true) }

    static func foundCells(_ i: Inspection) -> String {
        var rows = ""
        for entry in i.cellsByProperty {
            let cells = entry.varies
                ? (entry.cells.isEmpty ? "<span class=\"muted\">no cell varies</span>" : entry.cells.map { cell in
                    "<button type=\"button\" class=\"pick\" data-layer=\"\(cell.layer)\" data-cell=\"\(cell.cell)\">"
                        + "L\(cell.layer) · \(cell.cell) <b>\(signed(cell.correlation))</b></button>"
                }.joined(separator: " "))
                : "<span class=\"muted\">does not change in this text</span>"
            rows += "<tr><th scope=\"row\">\(escape(entry.property.label))<div class=\"muted\">\(escape(entry.property.meaning))</div></th>"
                + "<td>\(cells)</td></tr>\n"
        }
        return """
        <section id="found">
        <h2>Cells that follow the text</h2>
        <p class="note">For each property of the text, the cells whose \(escape(i.activityName)) correlates with it most
        (Pearson's r over the \(grouped(max(i.text.count - 1, 0))) characters the model read; layers and cells count
        from 0). Click one to draw it above. A cell with r near ±1 tracks the property: it keeps
        a memory of being inside a quotation, or counts along the line.</p>
        <table class="found">
        \(rows)</table>
        </section>

        """
    }

    /// Colours of the gate blocks in the saturation plots, in block order.
    static let gateColours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]

    static func gateSection(_ i: Inspection) -> String {
        var plots = ""
        for (k, gates) in i.gateSaturation.layers.enumerated() {
            let size = 240.0, pad = 34.0, side = size - 2 * pad
            var svg = "<svg viewBox=\"0 0 \(Int(size)) \(Int(size))\" width=\"\(Int(size))\" height=\"\(Int(size))\" role=\"img\" "
                + "aria-label=\"gate saturation of layer \(k)\">"
            svg += "<rect x=\"\(pad)\" y=\"\(pad)\" width=\"\(side)\" height=\"\(side)\" class=\"frame\"/>"
            svg += "<line x1=\"\(pad)\" y1=\"\(pad)\" x2=\"\(pad + side)\" y2=\"\(pad + side)\" class=\"diag\"/>"
            for (g, gate) in gates.enumerated() {
                let colour = gateColours[g % gateColours.count]
                for j in gate.left.indices {
                    let x = pad + gate.left[j] * side, y = pad + (1 - gate.right[j]) * side
                    svg += "<circle cx=\"\(String(x, fractionDigits: 1))\" cy=\"\(String(y, fractionDigits: 1))\" r=\"2.2\" fill=\"\(colour)\"/>"
                }
            }
            svg += "<text x=\"\(size / 2)\" y=\"\(size - 8)\" class=\"axis\">fraction left-saturated</text>"
            svg += "<text x=\"12\" y=\"\(size / 2)\" class=\"axis\" transform=\"rotate(-90 12 \(size / 2))\">fraction right-saturated</text>"
            svg += "<text x=\"\(pad)\" y=\"\(pad + side + 12)\" class=\"tick\">0</text><text x=\"\(pad + side)\" y=\"\(pad + side + 12)\" class=\"tick\">1</text>"
            svg += "<text x=\"\(pad - 8)\" y=\"\(pad + 4)\" class=\"tick\">1</text>"
            svg += "</svg>"
            var table = "<table class=\"gates\"><tr><th>gate</th><th>left</th><th>right</th>"
                + "<th>cells &gt; ½ left</th><th>cells &gt; ½ right</th></tr>"
            for (g, gate) in gates.enumerated() {
                let mostlyLeft = gate.left.filter { $0 > 0.5 }.count, mostlyRight = gate.right.filter { $0 > 0.5 }.count
                table += "<tr><td><span class=\"dot\" style=\"background:\(gateColours[g % gateColours.count])\"></span>"
                    + "\(escape(gate.block.name)) <span class=\"muted\">\(gate.block.squash.rawValue)</span></td>"
                    + "<td>\(String(100 * gate.meanLeft, fractionDigits: 1))%</td><td>\(String(100 * gate.meanRight, fractionDigits: 1))%</td>"
                    + "<td>\(mostlyLeft)</td><td>\(mostlyRight)</td></tr>"
            }
            table += "</table>"
            plots += "<figure class=\"layer\"><figcaption>layer \(k)</figcaption>\(svg)\(table)</figure>\n"
        }
        return """
        <section id="gates">
        <h2>Gate saturation</h2>
        <p class="note">How often each gate of each cell is saturated: left below 0.1, right above 0.9 (for the tanh
        blocks, \(i.config.cell.gateBlocks.filter { $0.squash == .tanh }.map { escape($0.name) }.joined(separator: ", ")),
        the same on (a + 1) / 2). One dot per cell and gate; in the table, the share of the steps a gate is
        saturated, averaged over the layer's cells, and how many cells are saturated more than half of the time. A forget gate that is often right-saturated keeps its
        cell's content for long: such cells carry information over many characters. Gates near the origin act by
        degrees, not as switches.</p>
        <div class="plots">
        \(plots)</div>
        </section>

        """
    }

    /// The data the page's script draws from, as JSON that cannot end its script element.
    static func data(_ i: Inspection, layer: Int, cell: Int) -> String {
        let n = i.surprisal.count
        let fixed = { (x: Double, digits: Int) -> JSONValue in .number(String(x, fractionDigits: digits)) }
        let activity = i.activity.map { values in
            values.withUnsafeBytes { JSONValue.string(Data($0).base64EncodedString()) }
        }
        let correlations = i.correlations.map { rs in
            JSONValue.array(rs.map { $0.map { fixed($0, 3) } ?? .null })
        }
        let value = JSONValue.object([
            "text": .string(String(String.UnicodeScalarView(i.text))),
            "vocabulary": .array(i.vocabulary.scalars.map { .string(String($0)) }),
            "surprisal": .array((0..<n).map { fixed(i.surprisal[$0], 3) }),
            "top": .array(i.topCharacters.map { .int(Int($0)) }),
            "topP": .array(i.topProbabilities.map { fixed(Double($0), 4) }),
            "k": .int(Inspection.topCount),
            "layers": .int(i.config.layers), "hidden": .int(i.config.hidden),
            "activityName": .string(i.activityName),
            "activity": .array(activity),
            "properties": .array(TextProperty.allCases.map { .string($0.label) }),
            "correlations": .array(correlations),
            "maxBits": .double(maxBits),
            "initial": .array([.int(layer), .int(cell)]),
        ])
        return Markup.scriptJSON(value)
    }
}
