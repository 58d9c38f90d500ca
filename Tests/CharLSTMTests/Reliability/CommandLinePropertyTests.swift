import Foundation
import Testing
@testable import CharLSTM

/// `CommandLineTool.main` over random argument lists for `info`, `eval` and `generate`, with missing, garbage
/// and real files: never a trap, always an exit code in 0..<128, and every failure is one `error:` line.
@Suite struct CommandLinePropertyTests {
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
            "", "-", "/", "/dev/null",
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
            let run = Tool.run(arguments)
            codes.insert(run.code)
            #expect((0..<128).contains(run.code), "\(arguments): \(run)")
            if run.code != 0 { Tool.expectFailureShape(run, code: nil, mentions: []) }
        }
        // The lists reach both successes and several kinds of failure.
        #expect(codes.contains(0) && codes.contains(64) && codes.contains(65) && codes.contains(66), "\(codes.sorted())")
    }
}
