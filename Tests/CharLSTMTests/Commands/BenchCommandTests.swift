import Foundation
import Testing
@testable import CharLSTM

/// `charlstm bench` runs end to end on a tiny budget (its figures are measured elsewhere, not asserted here).
@Suite struct BenchCommandTests {
    @Test func smallConfigurationRunsAsTableAndAsJSON() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 20_000), in: folder)
        let table = Tool.run(["bench", corpus, "--seconds", "0.05", "--config", "S", "--threads", "1"])
        #expect(table.code == 0 && table.err.isEmpty, "\(table)")
        let lines = table.out.split(separator: "\n")
        #expect(lines.first?.contains("corpus '\(corpus)'") == true, "\(table.out)")
        #expect(lines.contains { $0.hasPrefix("config ") } && lines.last?.hasPrefix("S ") == true, "\(table.out)")

        let json = Tool.run(["bench", corpus, "--seconds", "0.05", "--config", "S", "--threads", "1", "--json"])
        #expect(json.code == 0, "\(json)")
        guard case .object(let fields) = try JSONValue.parse(json.out.trimmingCharacters(in: .newlines)) else {
            Issue.record("bench --json printed \(json.out)")
            return
        }
        #expect(fields["config"]?.stringValue == "S" && fields["threads"]?.intValue == 1)
        #expect((fields["train_chars_per_sec"]?.doubleValue ?? 0) > 0 && (fields["generate_chars_per_sec"]?.doubleValue ?? 0) > 0)
    }
}
