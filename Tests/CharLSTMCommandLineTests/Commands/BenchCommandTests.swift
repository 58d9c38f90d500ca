import Foundation
import Testing
@testable import CharLSTM
import CharLSTMKernels
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `charlstm bench` runs end to end on a tiny budget (its figures are measured elsewhere, not asserted here).
@Suite struct BenchCommandTests {
    @Test func smallConfigurationRunsAsTableAndAsJSON() throws {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 20_000), in: folder)
        let table = Tool.run(["bench", corpus, "--seconds", "0.05", "--config", "S", "--threads", "1"])
        #expect(table.code == 0 && table.err.isEmpty, "\(table)")
        let lines = table.out.split(separator: "\n")
        // The machine first: CPU, ISA and the kernels the planner times, then the plan and SGEMM table of the config:
        // each product's choice, its speed, and what every candidate measured.
        #expect(lines.first?.hasPrefix("CPU \(CPUInfo.current.summary), ISA \(CPUInfo.current.isa.rawValue); "
            + "SGEMM kernels planned among " + GemmKernel.candidates(for: CPUInfo.current.isa)[0].name) == true, "\(table.out)")
        #expect(lines.count > 1 && lines[1].contains("corpus '\(corpus)'"), "\(table.out)")
        #expect(lines.contains { $0.hasPrefix("S: SGEMM on the training step's products") && ($0.contains("planned in") || $0.contains("from the cache")) },
                "\(table.out)")
        #expect(lines.contains { $0.contains("recurrent h·Whhᵀ") && $0.contains("GFLOP/s") && $0.contains(", kc ") }, "\(table.out)")
        #expect(lines.contains { $0.contains("candidates (GFLOP/s): ") }, "\(table.out)")
        #expect(lines.contains { $0.hasPrefix("config ") } && lines.dropLast().last?.hasPrefix("S ") == true, "\(table.out)")
        // And how generation shares a step: on one thread it does not.
        #expect(lines.last == "  generation step: on one thread (nothing to share)", "\(table.out)")
        // On one thread there is no split of the recurrence to time.
        #expect(lines.contains { $0.hasPrefix("  recurrence split: nothing to choose (one thread, ") }, "\(table.out)")

        let json = Tool.run(["bench", corpus, "--seconds", "0.05", "--config", "S", "--threads", "1", "--json"])
        #expect(json.code == 0, "\(json)")
        guard case .object(let fields) = try JSONValue.parse(json.out.trimmingCharacters(in: .newlines)) else {
            Issue.record("bench --json printed \(json.out)")
            return
        }
        #expect(fields["config"]?.stringValue == "S" && fields["threads"]?.intValue == 1)
        #expect((fields["train_chars_per_sec"]?.doubleValue ?? 0) > 0 && (fields["generate_chars_per_sec"]?.doubleValue ?? 0) > 0)
        #expect(fields["kernel"].flatMap(\.stringValue).flatMap(GemmKernel.named) != nil
                && fields["isa"]?.stringValue == CPUInfo.current.isa.rawValue)
        #expect(["f32", "bf16", "int8"].contains(fields["generate_weights"]?.stringValue ?? ""))
        #expect(fields["generate_chunking"] == .null && fields["generate_chunking_candidates"] == .array([]), "\(json.out)")
        guard case .object(let plan)? = fields["plan"], case .object(let recurrent)? = plan["recurrent h·Whhᵀ"] else {
            Issue.record("no plan in \(json.out)")
            return
        }
        // Nine products: two per-step recurrent ones, the first layer's weight gradient and the layer above's two
        // as one, two input products, the decoder's three.
        #expect(plan.count == 9 && plan["weights dGᵀ·[h x]"] != nil && recurrent["kernel"]?.stringValue != nil && recurrent["kc"]?.intValue != nil, "\(plan)")
        #expect(fields["cpu"]?.stringValue == CPUInfo.current.summary && (fields["peak_rss_mib"]?.doubleValue ?? 0) > 0)
        #expect(fields["recurrence_split"] == .null && fields["recurrence_split_candidates"] == .array([]), "\(json.out)")
        guard case .object(let sgemm)? = fields["sgemm_percent_of_peak"] else {
            Issue.record("no sgemm_percent_of_peak in \(json.out)")
            return
        }
        #expect(sgemm.count == 9 && sgemm.values.allSatisfy { ($0.doubleValue ?? 0) > 0 }, "\(sgemm)")
    }

    /// On two threads both ways of sharing the recurrence are timed and the faster reported, and the generation
    /// step's chunkings; the next two runs time them again (best of 2, then of 3 runs), and the fourth reads them
    /// from the cache.
    @Test func theRecurrenceSplitIsTimedThenCached() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 20_000), in: folder)
        let script = "XDG_CACHE_HOME=\"$2\" exec \"$0\" bench \"$1\" --seconds 0.05 --config S --threads 2"
        for expected in ["timed now", "timed now, best of 2 runs", "timed now, best of 3 runs", "from the cache"] {
            let run = try ChildProcess.runTool("/bin/sh", ["-c", script, executable, corpus, folder.path + "/cache"], in: folder.path)
            let line = run.out.split(separator: "\n").first { $0.hasPrefix("  recurrence split: ") } ?? ""
            // The choice: one way for both directions, or each direction's named (timed apart, they may differ).
            let choices = ["columns", "streams", "columns forward, streams backward", "streams forward, columns backward"]
            #expect(run.code == 0 && choices.contains { line.hasPrefix("  recurrence split: \($0) (\(expected): ") }, "\(run)")
            #expect(line.contains("columns ") && line.contains("streams ") && line.hasSuffix(" chars/s)"), "\(line)")
            // So is the generation step's chunking.
            let generation = run.out.split(separator: "\n").first { $0.hasPrefix("  generation step: ") } ?? ""
            #expect(generation.hasPrefix("  generation step: chunks of ") && generation.contains(" (\(expected): ")
                    && generation.contains(" KiB own ") && generation.hasSuffix(" steps/s)"), "\(generation)")
        }
    }

    @Test func kernelOverrideIsUsedOrRefused() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(characters: 20_000), in: folder)
        let script = "XDG_CACHE_HOME=\"$3\" CHARLSTM_SGEMM_KERNEL=\"$1\" exec \"$0\" bench \"$2\" --seconds 0.05 --config S --threads 1"
        let portable = try ChildProcess.runTool("/bin/sh", ["-c", script, executable, "portable-4x8", corpus, folder.path + "/cache"], in: folder.path)
        #expect(portable.code == 0 && portable.out.hasPrefix("CPU ") && portable.out.contains("SGEMM kernel portable-4x8 (4×8, "),
                "\(portable)")
        // Every product planned with that kernel only.
        #expect(portable.out.split(separator: "\n").filter { $0.contains(" GFLOP/s ") && $0.contains(", kc ") }
            .allSatisfy { $0.contains("portable-4x8, kc ") }, "\(portable)")
        let unknown = try ChildProcess.runTool("/bin/sh", ["-c", script, executable, "avx1024", corpus, folder.path + "/cache"], in: folder.path)
        #expect(unknown.code == 64 && unknown.out.isEmpty, "\(unknown)")
        #expect(unknown.err.hasPrefix("error: CHARLSTM_SGEMM_KERNEL='avx1024' names no SGEMM kernel; use one of avx2-6x16, "),
                "\(unknown)")
    }

    /// A corpus too short for a configuration is refused before anything is measured, in one line naming the
    /// configuration and what it needs (not options bench lacks); one of exactly that length is measured.
    @Test func aCorpusTooShortIsRefusedBeforeMeasuring() throws {
        let executable = try #require(Executable.path, "\(Executable.missing)")
        let folder = TemporaryFolder()
        let small = try #require(Benchmark.shapes.first { $0.name == "S" })
        let needed = Benchmark.charactersNeeded(small)
        #expect(needed == 2632)
        let text = TestCorpus.english(characters: needed)
        let short = TestCorpus.write(String(String.UnicodeScalarView(text.unicodeScalars.dropLast())), "short.txt", in: folder)
        let enough = TestCorpus.write(text, "enough.txt", in: folder)
        let script = "XDG_CACHE_HOME=\"$2\" exec \"$0\" bench \"$1\" --seconds 0.05 --config S --threads 1"
        let refused = try ChildProcess.runTool("/bin/sh", ["-c", script, executable, short, folder.path + "/cache"], in: folder.path)
        #expect(refused.code == 65 && refused.out.isEmpty, "\(refused)")
        #expect(refused.err == "error: the corpus has \(needed - 1) characters; configuration S (2×128, 50 streams × 50 characters) "
                + "needs at least \(needed): measure on a longer corpus\n", "\(refused)")
        let measured = try ChildProcess.runTool("/bin/sh", ["-c", script, executable, enough, folder.path + "/cache"], in: folder.path)
        #expect(measured.code == 0, "\(measured)")
    }
}
