import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The page in a real browser: headless Chromium runs its script (the DOM it leaves holds every character,
/// as text, in both views) and renders it to a screenshot. Skipped, saying why, where Chromium is absent.
@Suite struct InspectBrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs Chromium headless with `arguments` on `page`; its standard output.
    static func runChromium(_ arguments: [String], page: String, in folder: TemporaryFolder) throws -> ToolRun {
        try ChildProcess.runTool(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                             "--user-data-dir=\(folder.path)/profile"]
                                    + arguments + ["file://" + page], in: folder.path, timeout: 120)
    }

    @Test(.enabled(if: chromium != nil, "Chromium is not installed (Debian: apt-get install chromium)"))
    func chromiumRunsThePageAndRendersIt() throws {
        let folder = TemporaryFolder()
        let text = InspectionPageTests.hostile + TestCorpus.english(characters: 2500) + TestCorpus.chinese(characters: 300)
        let inspection = try InspectionPageTests.inspection(text)
        let page = folder.file("report.html", Array(InspectionPage.html(inspection, checkpoint: "m.safetensors", file: "t.txt").utf8))

        let dom = try Self.runChromium(["--dump-dom"], page: page, in: folder)
        #expect(dom.code == 0, "\(dom.err.suffix(2000))")
        #expect(dom.out.contains("data-ready=\"1\""), "the page's script did not finish: \(dom.err.suffix(2000))")
        #expect(!dom.out.contains("<b>bold"), "text was read as markup")
        // Each view's first block (at least) became one span per character, in order, holding the character as text.
        let shown = Array(text.unicodeScalars).map { $0 == "\n" ? "↵\n" : String($0) }
        let views = try #require(Self.views(dom.out))
        for spans in [views.surprise, views.cells] {
            #expect(spans.count >= 1000 && spans == Array(shown.prefix(spans.count)), "\(spans.count) spans")
        }
        #expect(dom.out.contains("background-color: rgba("), "no character was coloured")

        // Focus and keys show a character's predictions; a property's cell button draws that cell.
        let driven = InspectionPage.html(inspection, checkpoint: "m.safetensors", file: "t.txt").replacingOccurrences(of: "</body>", with: """
            <script>
            document.getElementById("surprise-text").focus();
            for (const key of ["ArrowRight", "ArrowRight", "ArrowLeft"])
              document.getElementById("surprise-text").dispatchEvent(new KeyboardEvent("keydown", { key: key, bubbles: true }));
            document.querySelectorAll("button.pick")[1].click();
            </script>
            </body>
            """)
        let interactive = try Self.runChromium(["--dump-dom"], page: folder.file("driven.html", Array(driven.utf8)), in: folder)
        let second = try #require(inspection.cellsByProperty.flatMap(\.cells).dropFirst().first)
        let info = try #require(interactive.out.range(of: "<div id=\"info\"").map { interactive.out[$0.lowerBound...].prefix(2000) })
        #expect(info.hasPrefix("<div id=\"info\" role=\"status\" aria-live=\"polite\" class=\"on\">"), "\(info)")
        #expect(info.contains("character 2 of \(inspection.text.count)"), "\(info)")
        #expect(info.contains(String(format: "%.2f bits", inspection.surprisal[0])) && info.contains("expected: "), "\(info)")
        #expect(info.contains("layer \(second.layer) cell \(second.cell): tanh(c) = "), "\(info)")
        #expect(interactive.out.contains("class=\"pick on\" data-layer=\"\(second.layer)\" data-cell=\"\(second.cell)\""))

        let screenshot = folder.path + "/out.png"
        let shot = try Self.runChromium(["--screenshot=\(screenshot)", "--window-size=1200,900", "--hide-scrollbars"], page: page, in: folder)
        #expect(shot.code == 0, "\(shot.err.suffix(2000))")
        let png = try #require(folder.contents("out.png"), "no screenshot: \(shot.err.suffix(2000))")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // IHDR: width and height, big-endian, at bytes 16 and 20.
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1200 && height == 900)
        // A blank page compresses to a few KB; coloured text does not.
        #expect(png.count > 40_000, "\(png.count) bytes")
    }

    /// The character spans of the two text views in a DOM dump.
    static func views(_ dom: String) -> (surprise: [String], cells: [String])? {
        guard let surprise = dom.range(of: "id=\"surprise-text\""), let cells = dom.range(of: "id=\"cell-text\"") else { return nil }
        return (characterSpans(dom[surprise.upperBound..<cells.lowerBound]), characterSpans(dom[cells.upperBound...]))
    }

    /// The texts of the character spans (`<span data-i="…">…</span>`) of a DOM dump, in order, unescaped.
    static func characterSpans(_ dom: Substring) -> [String] {
        var out: [String] = []
        var rest = dom
        while let open = rest.range(of: "data-i=\"") {
            guard let tagEnd = rest.range(of: ">", range: open.upperBound..<rest.endIndex),
                  let close = rest.range(of: "</span>", range: tagEnd.upperBound..<rest.endIndex) else { break }
            let inner = rest[tagEnd.upperBound..<close.lowerBound]
            out.append(inner.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&nbsp;", with: "\u{a0}")
                .replacingOccurrences(of: "&amp;", with: "&"))
            rest = rest[close.upperBound...]
        }
        return out
    }
}
