import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

/// `CommandLineTool.main` over random argument lists for every command, with missing, garbage and real files
/// at paths of every shape: never a trap, always an exit code in 0..<128, and every failure is one `error:`
/// line.
@Suite struct CommandLinePropertyTests {
    /// Checks one run's outcome and returns its exit code.
    @discardableResult
    private func check(_ arguments: [String], _ run: ToolRun, sourceLocation: SourceLocation = #_sourceLocation) -> Int32 {
        #expect((0..<128).contains(run.code), "\(arguments): \(run)", sourceLocation: sourceLocation)
        if run.code != 0 { Tool.expectFailureShape(run, code: nil, mentions: [], sourceLocation: sourceLocation) }
        return run.code
    }

    @Test func randomArgumentListsNeverTrap() {
        let folder = TemporaryFolder()
        var rng = RandomGenerator(seed: 0xC11_2024)
        var garbage = [UInt8](repeating: 0, count: 300)
        for i in garbage.indices { garbage[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let checkpoint = SharedRun.files.latest
        let files = [
            folder.path + "/missing.safetensors",
            folder.file("garbage.bin", garbage),
            folder.file("empty.txt", []),
            folder.file("text.txt", Array(SharedRun.files.corpus.prefix(300).utf8)),
            folder.file("foreign.txt", Array("naïve 🦓 Ωmega\n".utf8)),
            folder.file("truncated.safetensors", Array(checkpoint.prefix(checkpoint.count / 2))),
            folder.file("model.safetensors", checkpoint),
            folder.path,
            folder.path + "/missing/",
            "", "-", "/", "/dev/null", "/dev/zero", "/dev/urandom",
        ]
        let options = ["--checkpoint", "--json", "--threads", "--length", "--prime", "--temperature", "--top-k", "--top-p",
                       "--seed", "--stop", "--help", "-h", "--version", "--chekpoint", "--lenght", "--", "-x", "--json=1",
                       "--length=3", "--checkpoint=" + files[6], "--steps", "--hidden"]
        let values = ["0", "1", "2", "3", "-1", "0.5", "1.5", "nan", "inf", "1e999", "abc", "", " ", "18446744073709551616",
                      "3.", ".5", "0x10", "+1", "e", "To be", "🦓", "\u{0}", "\t", "--", "ö", "a\nb", "\r\n"]
        var codes = Set<Int32>()
        for _ in 0..<400 {
            let command = ["info", "eval", "generate"][Int(rng.next() % 3)]
            var arguments = [command]
            for _ in 0..<Int(rng.next() % 7) {
                switch rng.next() % 3 {
                case 0: arguments.append(options[Int(rng.next() % UInt64(options.count))])
                case 1: arguments.append(values[Int(rng.next() % UInt64(values.count))])
                default: arguments.append(files[Int(rng.next() % UInt64(files.count))])
                }
            }
            // Keep generation short whatever else was drawn.
            if command == "generate" && !arguments.contains(where: { $0.hasPrefix("--length") }) {
                arguments += ["--length", "20"]
            }
            codes.insert(check(arguments, Tool.run(arguments)))
        }
        // The lists reach both successes and several kinds of failure.
        #expect(codes.contains(0) && codes.contains(64) && codes.contains(65) && codes.contains(66), "\(codes.sorted())")
    }

    /// Random argument lists for each of the eight commands that end by themselves, drawn from the command's own options with the extreme
    /// numbers (``ValueRangeTests/extremes``) and ordinary values, over inputs of every kind: text, a series CSV,
    /// text and series checkpoints and run folders, a named pipe, a device, garbage. Training is capped at a
    /// fraction of a second and tiny models, generation and forecasts at a few values.
    @Test func everyCommandWithExtremeNumbersNeverTraps() {
        let folder = TemporaryFolder()
        let corpus = TestCorpus.write(TestCorpus.english(), in: folder)
        let csv = TestSeries.write(TestSeries.sine(count: 200), in: folder)
        let series = folder.path + "/series-run"
        let trained = Tool.run(["train", csv, "--column", "y", "--out", series, "--steps", "2"] + TestSeries.tinyModel)
        precondition(trained.code == 0, "\(trained)")
        let fifo = folder.path + "/pipe.fifo"
        precondition(mkfifo(fifo, 0o600) == 0)
        var garbage = [UInt8](repeating: 0, count: 200)
        var rng = RandomGenerator(seed: 0xE87_2025)
        for i in garbage.indices { garbage[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let inputs = [corpus, csv, folder.file("text.safetensors", SharedRun.files.latest), series, series + "/latest.safetensors",
                      folder.file("garbage.bin", garbage), fifo, "/dev/zero", folder.path + "/missing", folder.path]
        let ordinary = ["1", "2", "3", "0.5", "0.01", "y", "t"]
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        // Options that set a model's size or a run's length, fixed below instead of drawn.
        let fixed: [String: [String]] = [
            "train": ["--hidden", "8", "--layers", "1", "--seq-length", "8", "--batch-size", "4", "--minutes", "0.002"],
            "generate": ["--length", "4"], "forecast": ["--steps", "3"], "bench": ["--config", "S", "--seconds", "0.05"],
        ]
        var codes = Set<Int32>()
        // serve would serve until a signal: its options are parsed in OptionRangeTests and ParsingErrorTests, and
        // the server is driven over sockets in CharLSTMServerTests.
        for command in OptionRangeTests.commands where command.name != "serve" {
            for round in 0..<(command.name == "bench" ? 1 : 12) {
                let outputs = TemporaryFolder()
                var arguments = [command.name]
                for argument in command.arguments where argument.isRequired || rng.next() % 2 == 0 {
                    arguments.append(argument.name == "output" ? outputs.path + "/model.safetensors" : pick(inputs))
                }
                let drawn = fixed[command.name] ?? []
                for option in command.options where !drawn.contains(option.flagText) && option.name != "threads" {
                    guard option.isRequired || rng.next() % 3 == 0 else { continue }
                    switch option.kind {
                    case .flag: arguments.append(option.flagText)
                    case .integer, .real, .unsigned:
                        arguments += [option.flagText, pick(ExtremeValues.texts + ordinary.map(Optional.some)) ?? "--"]
                    case .choice(let words): arguments += [option.flagText, pick(words + ["x"])]
                    case .text:
                        let writes = ["out", "plot"].contains(option.name)
                        arguments += [option.flagText, writes ? outputs.path + "/" + option.name : pick(inputs + ordinary)]
                    }
                }
                arguments += drawn + (command.options.contains { $0.name == "threads" } ? ["--threads", "1"] : [])
                // Writers write into the round's folder only (inspect's page goes to the current folder by default).
                if ["train", "inspect"].contains(command.name) && !arguments.contains("--out") {
                    arguments += ["--out", outputs.path + "/out\(round)"]
                }
                codes.insert(check(arguments, Tool.run(arguments)))
            }
        }
        #expect(codes.contains(0) && codes.contains(64) && codes.contains(65) && codes.contains(66), "\(codes.sorted())")
    }

    /// A temporary tree of path shapes: files and folders with one-character, spaced and non-ASCII names,
    /// links to files and to folders, a run folder; and paths into it with `.`, `..`, duplicate and trailing
    /// slashes. Every path stays inside the tree (`..` never climbs above its base).
    struct PathShapes {
        let folder = TemporaryFolder()
        let base: String
        /// Paths to read from: corpora, checkpoints, run folders, and things that are none of these.
        let inputs: [String]
        /// Folder names to train into (each new or existing).
        let outputs: [String]

        init() {
            base = folder.path + "/base"
            try! Files.makeFolders(base + "/sub/deeper")
            try! Files.makeFolders(base + "/run ü")
            let text = TestCorpus.english()
            for name in ["c.txt", "sp ace ö.txt", "日本.txt", "q"] { folder.file("base/" + name, Array(text.utf8)) }
            folder.file("base/run ü/latest.safetensors", SharedRun.files.latest)
            folder.file("base/run ü/best.safetensors", SharedRun.files.best)
            folder.file("base/m.safetensors", SharedRun.files.best)
            symlink(base + "/c.txt", base + "/text-link")
            symlink(base + "/run ü", base + "/run-link")
            symlink(base + "/nowhere", base + "/dangling")
            let b = base
            inputs = [
                b + "/c.txt", b + "/sp ace ö.txt", b + "/日本.txt", b + "/q", b + "/text-link", b + "/./c.txt",
                b + "/sub/../c.txt", b + "//c.txt", b + "/c.txt/", b + "/run ü", b + "/run ü/", b + "/run-link",
                b + "/run-link/", b + "/sub/../run ü/./", b + "/run ü/latest.safetensors", b + "/m.safetensors",
                b + "/dangling", b + "/missing", b + "/sub", b + "/sub/..", b + "/.", b + "/q/x", "/dev/zero", "/dev/null",
            ]
            outputs = [
                b + "/o", b + "/o/", b + "/o//p/", b + "/sub/./o", b + "/sub/deeper/../o2", b + "/ö ü", b + "/日本/",
                b + "/run ü", b + "/run-link", b + "/dangling", b + "/q", b + "/q/x", b + "/sub/..", b + "/sub/deeper/..",
                b + "/.", b + "/c.txt",
            ]
        }
    }

    @Test func trainExportAndBenchOnPathsOfEveryShapeNeverTrap() {
        let shapes = PathShapes()
        var rng = RandomGenerator(seed: 0x9A7_4_2025)
        func pick(_ items: [String]) -> String { items[Int(rng.next() % UInt64(items.count))] }
        var codes = Set<Int32>()
        for _ in 0..<60 {
            var arguments = ["train"]
            switch rng.next() % 3 {
            case 0: arguments += [pick(shapes.inputs), "--out", pick(shapes.outputs)]
            case 1: arguments += ["--resume", pick(shapes.inputs), "--out", pick(shapes.outputs)]
            default: arguments += ["--resume", pick(shapes.inputs + shapes.outputs)]
            }
            // A resume into its own folder may only write inside the tree.
            if arguments.count == 3, !FilePath(arguments[2]).normalized.string.hasPrefix(shapes.base) { continue }
            if rng.next() % 4 == 0 { arguments.append("--force") }
            arguments += ["--steps", "\(Int(rng.next() % 3) + 1)"]
            if arguments[1] != "--resume" { arguments += Tool.tinyModel } else { arguments += ["--threads", "1"] }
            codes.insert(check(arguments, Tool.run(arguments)))
        }
        for i in 0..<40 {
            let output = rng.next() % 2 == 0 ? shapes.base + "/export-\(i).safetensors" : pick(shapes.outputs + shapes.inputs)
            let arguments = ["export", pick(shapes.inputs), output]
            codes.insert(check(arguments, Tool.run(arguments)))
        }
        for _ in 0..<4 {
            let arguments = ["bench", pick(shapes.inputs), "--seconds", "0.05", "--config", "S", "--threads", "1"]
            codes.insert(check(arguments, Tool.run(arguments)))
        }
        // Successes and several kinds of failure were reached.
        #expect(codes.contains(0) && codes.contains(65) && codes.contains(66) && codes.contains(73) && codes.contains(78),
                "\(codes.sorted())")
        // Nothing was written outside the tree's base, and no lock or temporary file was left.
        #expect(shapes.folder.names == ["base"])
        var leftovers: [String] = []
        func walk(_ path: String) {
            for name in Files.names(inFolder: path) {
                let child = path + "/" + name
                if name.contains(".tmp-") || name == RunFolderLock.fileName { leftovers.append(child) }
                if Files.kind(child, followingLinks: false) == .folder { walk(child) }
            }
        }
        walk(shapes.base)
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
