#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plans remembered between runs, in one JSON file (`plans.json` in a folder of the caller's choosing, e.g. the
/// user's cache folder, ``defaultDirectory(environment:)``), so that a later run on the same machine and build
/// starts at once.
///
/// Each record is keyed by the machine (CPU vendor, family, model, name and vector ISA), the build (the kernel
/// catalogue, the planner's format and a string the caller gives, such as its version) and the problem. A file
/// that cannot be read or parsed, or is not ours, is ignored and replaced on the next store; a file that cannot
/// be written is not an error (the plan is simply measured again next time). Records of other machines and
/// builds are kept (a home folder shared between machines), up to ``maximumRecords``, oldest dropped first.
///
/// A record settles over runs. Another process on the machine can only slow a timing down, never speed it up, so
/// a plan timed while the machine was busy may have ranked its candidates by the load rather than by their speed
/// (on the Emerald Rapids, a recurrence split timed so made S train 20% slower in every later run). So each record
/// counts the runs whose timings it holds; until it holds ``runsToSettle``, the planners time it again when they
/// meet it and keep each candidate's best figure of all those runs (``merged(_:_:)``), and only then take it as it is.
public final class PlanCache: @unchecked Sendable {
    /// The cache file.
    public let path: String
    /// What identifies this build beyond the kernel catalogue (the caller's version string).
    public let build: String
    /// Most records kept in the file.
    public static let maximumRecords = 512
    /// Runs whose timings a record holds before the planners take it without timing it again.
    public let runsToSettle: Int

    /// A cache in `directory`/plans.json (the folder is created when first written), whose records settle after
    /// `runsToSettle` runs (at least 1).
    public init(directory: String, build: String = "", runsToSettle: Int = 3) {
        path = directory.hasSuffix("/") ? directory + "plans.json" : directory + "/plans.json"
        self.build = build
        self.runsToSettle = max(1, runsToSettle)
    }

    /// Whether a record holding the timings of `runs` runs is final (``runsToSettle``).
    public func isSettled(runs: Int) -> Bool { runs >= runsToSettle }

    /// Two rankings of (label, figure, higher is faster) merged: each label's best figure of both, fastest first.
    public static func merged(_ a: [(label: String, value: Double)], _ b: [(label: String, value: Double)])
        -> [(label: String, value: Double)] {
        bestFigures(a + b)
    }

    /// The per-user cache folder for CharLSTM: `$XDG_CACHE_HOME/charlstm`, else `$HOME/.cache/charlstm`
    /// (nil when neither is set to an absolute path).
    public static func defaultDirectory(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/charlstm" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/charlstm" }
        return nil
    }

    // MARK: Matrix products

    /// The cached plan of `problem` timed among `kernels`, if this machine and build have one.
    public func entry(for problem: GemmProblem, kernels: [GemmKernel]) -> GemmPlan.Entry? {
        guard let record = load()[key(gemm: problem, kernels: kernels)], let coded = record.gemm else { return nil }
        let measurements = coded.compactMap { m in m.choice.decoded.map { GemmPlan.Measurement(choice: $0, gflops: m.gflops) } }
        guard measurements.count == coded.count, let first = measurements.first,
              kernels.contains(first.choice.kernel) else { return nil }
        return GemmPlan.Entry(choice: first.choice, candidates: measurements, fromCache: true, runs: record.runCount)
    }

    /// Remembers `entries` (timed among `kernels`). Returns whether the file was written.
    @discardableResult
    public func store(_ entries: [GemmProblem: GemmPlan.Entry], kernels: [GemmKernel]) -> Bool {
        update(entries.map { problem, entry in
            Record(key: key(gemm: problem, kernels: kernels),
                   gemm: ([entry.choice] + entry.candidates.map(\.choice).filter { $0 != entry.choice }).map { choice in
                       CodedMeasurement(choice: CodedChoice(choice),
                                        gflops: entry.candidates.first { $0.choice == choice }?.gflops ?? 0)
                   }, runs: entry.runs)
        })
    }

    // MARK: Anything else planned (generation's chunk size)

    /// A cached list of (label, figure) measurements under `key`, best first, and the runs whose timings it holds.
    public func measurements(forKey key: String) -> (values: [(label: String, value: Double)], runs: Int)? {
        guard let record = load()[machineKey + "|" + key], let values = record.values else { return nil }
        return (values.map { ($0.label, $0.value) }, record.runCount)
    }

    /// Remembers `measurements` under `key`, holding the timings of `runs` runs. Returns whether the file was written.
    @discardableResult
    public func store(_ measurements: [(label: String, value: Double)], forKey key: String, runs: Int = 1) -> Bool {
        update([Record(key: machineKey + "|" + key, values: measurements.map { CodedValue(label: $0.label, value: $0.value) },
                       runs: runs)])
    }

    // MARK: The file

    /// Machine and build, the part of every key that says where it was measured.
    var machineKey: String {
        let cpu = CPUInfo.current
        return "\(cpu.vendor) f\(cpu.family) m\(cpu.model) \(cpu.modelName) \(cpu.isa.rawValue)|planner \(Self.format)|"
            + GemmKernel.all.map(\.name).joined(separator: ",") + "|" + build
    }

    private func key(gemm problem: GemmProblem, kernels: [GemmKernel]) -> String {
        machineKey + "|gemm " + problem.description + " among " + kernels.map(\.name).joined(separator: ",")
    }

    static let format = 1

    struct File: Codable {
        var format: String
        var version: Int
        var records: [Record]
    }

    struct Record: Codable {
        var key: String
        var gemm: [CodedMeasurement]? = nil
        var values: [CodedValue]? = nil
        /// The runs whose timings the record holds (nil, as records written before it was counted: one).
        var runs: Int? = nil
        /// `runs`, from 1 to a million whatever the file says (it is added to).
        var runCount: Int { min(max(runs ?? 1, 1), 1_000_000) }
    }

    struct CodedMeasurement: Codable {
        var choice: CodedChoice
        var gflops: Double
    }

    struct CodedValue: Codable {
        var label: String
        var value: Double
    }

    struct CodedChoice: Codable {
        var kernel: String, kc: Int, mc: Int, nc: Int, split: String
        init(_ c: GemmChoice) {
            kernel = c.kernel.name
            kc = c.kc
            mc = c.mc
            nc = c.nc
            split = c.split.rawValue
        }
        /// The choice, if it names a kernel of this build and fits the workspace.
        var decoded: GemmChoice? {
            guard let kernel = GemmKernel.named(kernel), let split = GemmChoice.Split(rawValue: split) else { return nil }
            var choice = GemmChoice(kernel: kernel, split: split)
            choice.kc = kc
            choice.mc = mc
            choice.nc = nc
            return choice.isValid ? choice : nil
        }
    }

    /// The records of the file by key; empty when it is missing, unreadable, corrupt or not ours.
    private func load() -> [String: Record] {
        var records: [String: Record] = [:]
        for record in fileRecords() { records[record.key] = record }
        return records
    }

    /// The file's records in order; none when it is missing, unreadable, corrupt or not ours.
    private func fileRecords() -> [Record] {
        guard let data = FileManager.default.contents(atPath: path),
              let file = try? JSONDecoder().decode(File.self, from: data),
              file.format == "charlstm-plans", file.version == Self.format else { return [] }
        return file.records
    }

    /// Replaces or adds `records` and writes the file (atomically: a temporary file renamed over it).
    private func update(_ new: [Record]) -> Bool {
        var kept = fileRecords()
        let keys = Set(new.map(\.key))
        kept.removeAll { keys.contains($0.key) }
        kept += new
        if kept.count > Self.maximumRecords { kept.removeFirst(kept.count - Self.maximumRecords) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(File(format: "charlstm-plans", version: Self.format, records: kept)) else { return false }
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        do {
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
            let temporary = path + ".\(getpid()).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: data) else { return false }
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                return false
            }
            return true
        } catch {
            return false
        }
    }
}

/// Each key's best (largest) figure among `items`, fastest first: several timings of the same candidates as one.
/// O(n²) for a plan's few candidates.
func bestFigures<Key: Equatable>(_ items: [(Key, Double)]) -> [(Key, Double)] {
    var best: [(Key, Double)] = []
    for (key, value) in items {
        if let i = best.firstIndex(where: { $0.0 == key }) {
            best[i].1 = max(best[i].1, value)
        } else {
            best.append((key, value))
        }
    }
    return best.sorted { $0.1 > $1.1 }
}
