import Foundation
import Testing
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// The `charlstm` executable links FoundationEssentials only: full Foundation, FoundationInternationalization and
/// the ICU data library cost every process about 8 MiB of resident memory (issue 13's peak-RSS target).
struct ExecutableLinkingTests {
    #if os(Linux)
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ldd")))
    func linksNoFullFoundation() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let ldd = try ChildProcess.runTool("/usr/bin/ldd", [executable], in: folder.path)
        #expect(ldd.code == 0, "\(ldd)")
        let libraries = ldd.out.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) }
        #expect(libraries.contains("libFoundationEssentials.so"), "\(ldd.out)")
        for heavy in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!libraries.contains(heavy), "charlstm links \(heavy):\n\(ldd.out)")
        }
    }
    #endif
}
