import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The HTML page and the JSON: self-contained, text that can never be read as markup, the data the script draws.
@Suite struct InspectionPageTests {
    /// A text that tries to end the data element, open tags and use entities, with emoji and Chinese.
    static let hostile = "</script><script>alert(1)</script> & &amp; <b>bold</b> <!-- x --> \"q\" 'a'\n床前明月光 🙂\u{2028}end\n"

    static func inspection(_ text: String, cell: CellKind = .lstm) throws -> Inspection {
        let vocabulary = Vocabulary(of: text.unicodeScalars)
        let config = ModelConfig(cell: cell, vocabularySize: vocabulary.count, hidden: 8, layers: 2)
        var rng = RandomGenerator(seed: 3)
        let model = RecurrentNetwork(config: config, rng: &rng)
        return try Checkpoint(config: config, vocabulary: vocabulary, parameters: model.parameters).textModel().inspect(Array(text.unicodeScalars))
    }

    /// The text of the page's data element.
    static func dataElement(_ page: String) -> String? {
        guard let open = page.range(of: "<script id=\"data\" type=\"application/json\">"),
              let close = page.range(of: "</script>", range: open.upperBound..<page.endIndex) else { return nil }
        return String(page[open.upperBound..<close.lowerBound])
    }

    @Test func textAndPathsAreNeverMarkup() throws {
        let page = InspectionPage.html(try Self.inspection(Self.hostile), checkpoint: "m<o>&d\".safetensors", file: "a</title><b>.txt")
        // Exactly the page's own two script elements, and none of the text's tags.
        #expect(page.components(separatedBy: "<script").count == 3)
        #expect(page.components(separatedBy: "</script>").count == 3)
        #expect(!page.contains("<b>bold") && !page.contains("alert(1)</") && !page.contains("<!-- x"))
        #expect(page.contains("m&lt;o&gt;&amp;d&quot;.safetensors") && page.contains("a&lt;/title&gt;&lt;b&gt;.txt"))
        // The data element holds the text exactly, as JSON.
        let data = try #require(Self.dataElement(page))
        #expect(!data.contains("<"))
        guard case .object(let fields) = try JSONValue.parse(data) else { Issue.record("data is not an object"); return }
        #expect(fields["text"]?.stringValue == Self.hostile)
    }

    @Test(arguments: CellKind.allCases)
    func thePageIsSelfContainedAndCarriesEveryCell(cell: CellKind) throws {
        let inspection = try Self.inspection(TestCorpus.english(characters: 400), cell: cell)
        let page = InspectionPage.html(inspection, checkpoint: "m.safetensors", file: "t.txt", layer: 1, cell: 5)
        for external in ["http:", "https:", "src=", "href=", "@import", "url(", "//cdn", "@font-face"] {
            #expect(!page.contains(external), "the page refers to '\(external)'")
        }
        let data = try #require(Self.dataElement(page))
        guard case .object(let fields) = try JSONValue.parse(data),
              case .array(let activity)? = fields["activity"], case .array(let surprisal)? = fields["surprisal"],
              case .array(let initial)? = fields["initial"] else { Issue.record("data lacks fields"); return }
        #expect(surprisal.count == 399 && initial.map(\.intValue) == [1, 5])
        // Each layer's activity, base64 of the Int8 values, decodes to what the inspection holds.
        #expect(activity.count == 2)
        for (k, value) in activity.enumerated() {
            let bytes = try #require(Data(base64Encoded: value.stringValue ?? ""))
            #expect([Int8](bytes.map { Int8(bitPattern: $0) }) == inspection.activity[k])
        }
        // One plot and one table row per gate block, per layer.
        #expect(page.components(separatedBy: "<figure class=\"layer\">").count == 3)
        #expect(page.components(separatedBy: "<circle ").count == 1 + 2 * cell.gateCount * 8)
        #expect(page.contains("Pearson"))
    }

    @Test func theJSONHoldsSurprisalRankedCellsAndGates() throws {
        let inspection = try Self.inspection(Self.hostile, cell: .gru)
        let value = InspectionJSON.value(inspection, checkpoint: "m", file: "t")
        let text = value.encoded
        guard case .object(let fields) = try JSONValue.parse(text),
              case .array(let surprisal)? = fields["surprisal_bits"], case .object(let properties)? = fields["properties"],
              case .array(let gates)? = fields["gate_saturation"] else { Issue.record("missing fields: \(text.prefix(300))"); return }
        #expect(surprisal.count == inspection.text.count && surprisal.first == .null)
        #expect(surprisal.dropFirst().map { $0.doubleValue! } == inspection.surprisal)
        #expect(Set(properties.keys) == Set(TextProperty.allCases.map(\.rawValue)))
        #expect(gates.count == 2)
        #expect(fields["bits_per_char"]?.doubleValue == inspection.evaluation.bitsPerCharacter)
        #expect(fields["activity"]?.stringValue == "h" && fields["cell"]?.stringValue == "gru")
    }
}
