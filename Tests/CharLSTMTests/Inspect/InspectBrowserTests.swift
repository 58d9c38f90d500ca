import Foundation
import Testing
@testable import CharLSTM

/// The page in a real browser: headless Chromium runs its script (the DOM it leaves holds every character,
/// as text, in both views) and renders it to a screenshot. Skipped, saying why, where Chromium is absent.
@Suite struct InspectBrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs Chromium headless with `arguments` on `page`; its standard output.
    static func runChromium(_ arguments: [String], page: String, in folder: TemporaryFolder) throws -> ToolRun {
        try ChildProcess.runTool(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                             "--user-data-dir=\(folder.path)/profile", "--virtual-time-budget=5000"]
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
        // The first block of each view became one span per character, in order, holding the character as text.
        let spans = Self.characterSpans(dom.out)
        let shown = Array(text.unicodeScalars).prefix(1000).map { $0 == "\n" ? "↵\n" : String($0) }
        let expected = shown.joined()
        let surprise = spans.prefix(1000).joined(), cells = spans.dropFirst(1000).prefix(1000).joined()
        #expect(surprise == expected && cells == expected, "spans: \(spans.count)")
        #expect(dom.out.contains("background-color: rgba("), "no character was coloured")

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

    /// The texts of the character spans (`<span data-i="…">…</span>`) of a DOM dump, in order, unescaped.
    static func characterSpans(_ dom: String) -> [String] {
        var out: [String] = []
        var rest = dom[...]
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
