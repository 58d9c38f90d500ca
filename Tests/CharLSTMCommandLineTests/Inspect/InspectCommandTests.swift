import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `charlstm inspect` from the command line: the page, the JSON, eval's numbers, the cap, and refusals.
@Suite struct InspectCommandTests {
    @Test func thePageAndTheJSONCarryEvalsNumbers() throws {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        let file = TestCorpus.write(TestCorpus.english(characters: 700), "held-out.txt", in: folder)
        let page = folder.path + "/report.html"

        let run = Tool.run(["inspect", file, "--checkpoint", checkpoint, "--out", page, "--threads", "1"])
        #expect(run.code == 0 && run.err.isEmpty, "\(run)")
        #expect(run.out.hasPrefix("wrote '\(page)': 700 characters, "))
        for property in TextProperty.allCases { #expect(run.out.contains("  \(property.label): "), "\(run.out)") }
        let html = String(decoding: try #require(folder.contents("report.html")), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))

        let eval = try JSONValue.parse(Tool.run(["eval", file, "--checkpoint", checkpoint, "--json"]).out.trimmingCharacters(in: .newlines))
        let json = Tool.run(["inspect", file, "--checkpoint", checkpoint, "--json"])
        #expect(json.code == 0 && json.err.isEmpty, "\(json)")
        let value = try JSONValue.parse(json.out.trimmingCharacters(in: .newlines))
        #expect(json.out == value.encoded + "\n")
        guard case .object(let fields) = value, case .object(let evalFields) = eval,
              case .array(let surprisal)? = fields["surprisal_bits"] else { Issue.record("\(json.out.prefix(500))"); return }
        // eval's figures, and the surprisal's mean is eval's bits/char.
        for key in ["bits_per_char", "accuracy", "predictions", "chars", "checkpoint", "file"] {
            #expect(fields[key] == evalFields[key], "\(key)")
        }
        let bits = surprisal.compactMap(\.doubleValue)
        #expect(surprisal.count == 700 && bits.count == 699)
        let bpc = try #require(evalFields["bits_per_char"]?.doubleValue)
        #expect(abs(bits.reduce(0, +) / 699 - bpc) < 1e-12 * bpc)
        // --json alone writes no page.
        #expect(folder.names == ["held-out.txt", "model.safetensors", "report.html"])
    }

    @Test func theCapCutsTheTextAndSaysSo() throws {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        let file = TestCorpus.write(TestCorpus.english(characters: 900), "long.txt", in: folder)
        let run = Tool.run(["inspect", file, "--checkpoint", checkpoint, "--max-chars", "300", "--json", "--out", folder.path + "/p.html"])
        #expect(run.code == 0, "\(run)")
        guard case .object(let fields) = try JSONValue.parse(run.out.trimmingCharacters(in: .newlines)) else { return }
        #expect(fields["chars"]?.intValue == 300 && fields["total_chars"]?.intValue == 900 && fields["predictions"]?.intValue == 299)
        let html = String(decoding: try #require(folder.contents("p.html")), as: UTF8.self)
        #expect(html.contains("the first 300 of 900 characters"))
    }

    @Test func theDefaultPageIsNamedAfterTheTextInTheCurrentFolder() {
        #expect(InspectCommand.defaultOutput(for: "/some/where/held-out.txt") == "held-out.inspect.html")
        #expect(InspectCommand.defaultOutput(for: "notes") == "notes.inspect.html")
        #expect(InspectCommand.defaultOutput(for: "/dev/stdin") == "stdin.inspect.html")
        #expect(InspectCommand.defaultOutput(for: "..") == "text.inspect.html")
        #expect(InspectCommand.defaultOutput(for: "/x/.hidden") == "text.inspect.html")
    }

    @Test func badRequestsAreOneErrorLineAndWriteNothing() {
        let folder = TemporaryFolder()
        let checkpoint = folder.file("model.safetensors", SharedRun.files.latest)
        let file = TestCorpus.write(TestCorpus.english(characters: 200), "t.txt", in: folder)
        let page = folder.path + "/p.html"
        Tool.expectFailure(["inspect", file, "--checkpoint", checkpoint, "--out", page, "--layer", "1"], code: 64,
                           mentions: ["'--layer' must be from 0 to 0 for this model (1 layer), got 1"])
        Tool.expectFailure(["inspect", file, "--checkpoint", checkpoint, "--out", page, "--cell", "16"], code: 64,
                           mentions: ["'--cell' must be from 0 to 15"])
        Tool.expectFailure(["inspect", file, "--checkpoint", checkpoint, "--out", page, "--max-chars", "1"], code: 64,
                           mentions: ["'--max-chars' must be from 2 to 200000, got 1"])
        let odd = TestCorpus.write("To be ß", "odd.txt", in: folder)
        Tool.expectFailure(["inspect", odd, "--checkpoint", checkpoint, "--out", page], code: 65,
                           mentions: ["'\(odd)' has a character that is not in the model's vocabulary: 'ß' (U+00DF)"])
        Tool.expectFailure(["inspect", file, "--checkpoint", folder.path + "/none", "--out", page], code: 66)
        Tool.expectFailure(["inspect", file, "--checkpoint", checkpoint, "--out", folder.path + "/no/such/p.html"])
        #expect(folder.names == ["model.safetensors", "odd.txt", "t.txt"])
    }
}

/// The figures docs/inspect.md quotes, on the shipped model and the corpus's last 20,000 bytes
/// (`tail -c 20000 Corpora/shakespeare.txt`, ASCII, so as many characters).
@Suite struct InspectReadmeTests {
    @Test func theShippedModelsCellsAreTheOnesTheReadmeNames() throws {
        let root = Executable.packageRoot
        let corpus = try Corpus.load(path: root + "/Corpora/shakespeare.txt").text
        let checkpoint = try Checkpoint.load(path: root + "/Checkpoints/pretrained/best.safetensors")
        let inspection = try checkpoint.textModel().inspect(Array(corpus.suffix(20_000)), threads: 2)
        let page = InspectionPage.html(inspection, checkpoint: "Checkpoints/pretrained/best.safetensors", file: "held-out.txt", layer: 1, cell: 30)
        #expect(inspection.isCut && inspection.text.count == 5_000)
        func r(_ property: TextProperty, _ layer: Int, _ cell: Int) -> Double? {
            inspection.correlations[TextProperty.allCases.firstIndex(of: property)!][layer * 256 + cell]
        }
        func best(_ property: TextProperty) -> CorrelatedCell? { inspection.cellsByProperty.first { $0.property == property }?.cells.first }
        #expect(best(.positionInLine).map { [$0.layer, $0.cell] } == [1, 30] && abs(r(.positionInLine, 1, 30)! + 0.789) < 0.005)
        #expect(best(.upperCase).map { [$0.layer, $0.cell] } == [1, 199] && abs(r(.upperCase, 1, 199)! - 0.638) < 0.005)
        #expect(best(.insideBrackets).map { [$0.layer, $0.cell] } == [1, 155] && abs(r(.insideBrackets, 1, 155)! + 0.597) < 0.005)
        #expect(inspection.cellsByProperty.first { $0.property == .insideQuotes }?.varies == false)
        // "3.8 MB" for the default cap.
        #expect((3_750_000..<3_850_000).contains(page.utf8.count), "\(page.utf8.count) bytes")
    }
}
