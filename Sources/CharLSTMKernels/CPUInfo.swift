#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the processor running this process is: its vendor, family, model, name and instruction-set flags,
/// and from them the vector ISA the kernels should target. Read once from /proc/cpuinfo (Linux) or sysctl
/// (Darwin); unknown fields stay empty or 0.
public struct CPUInfo: Sendable, Equatable {
    /// "AuthenticAMD", "GenuineIntel", "Apple", … ("" when unknown).
    public var vendor: String
    /// x86 family (AMD Zen 3 and Zen 4: 25, Zen 5: 26; Intel cores: 6); 0 elsewhere.
    public var family: Int
    /// x86 model number; 0 elsewhere.
    public var model: Int
    /// The marketing name, e.g. "AMD EPYC 9R45" or "Apple M2".
    public var modelName: String
    /// Lower-case feature flags as the OS lists them ("avx2", "fma", "avx512f", "asimd", …).
    public var flags: Set<String>
    /// The machine architecture this binary runs as ("x86_64", "arm64").
    public var architecture: String

    public init(vendor: String, family: Int, model: Int, modelName: String, flags: Set<String>,
                architecture: String) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.modelName = modelName
        self.flags = flags
        self.architecture = architecture
    }

    /// The processor this process runs on.
    public static let current: CPUInfo = detect()

    /// Bytes of level-2 cache of one core (Linux: /sys/devices/system/cpu/cpu0/cache; 1 MiB where it cannot be
    /// read): 2 MiB on the Emerald Rapids Xeon, 1 MiB on Zen 4 and Zen 5, 512 KiB on Zen 3.
    public static let level2CacheBytes: Int = {
        for index in 0..<8 {
            let folder = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let level = try? String(contentsOfFile: folder + "level", encoding: .utf8),
                  level.filter({ !$0.isWhitespace }) == "2",
                  let type = try? String(contentsOfFile: folder + "type", encoding: .utf8),
                  type.filter({ !$0.isWhitespace }) != "Instruction",
                  let size = try? String(contentsOfFile: folder + "size", encoding: .utf8),
                  let bytes = parseCacheSize(size) else { continue }
            return bytes
        }
        return 1 << 20
    }()

    /// "2048K", "1M" or "524288" as bytes; nil for anything else or a size outside 1 KiB … 1 GiB.
    package static func parseCacheSize(_ text: String) -> Int? {
        var digits = String(text.filter { !$0.isWhitespace })
        var unit = 1
        if digits.hasSuffix("K") { unit = 1 << 10; digits.removeLast() }
        else if digits.hasSuffix("M") { unit = 1 << 20; digits.removeLast() }
        guard let value = Int(digits), value > 0, value <= (1 << 30) / unit else { return nil }
        let bytes = value * unit
        return bytes >= 1 << 10 ? bytes : nil
    }

    /// The vector instruction set the kernels use on this processor (see ``VectorISA``).
    public var isa: VectorISA {
        if architecture == "arm64" { return .neon }
        guard architecture == "x86_64", flags.contains("avx2"), flags.contains("fma") else { return .portable }
        guard flags.contains("avx512f"), flags.contains("avx512vl") else { return .avx2 }
        // AMD Zen 4 (family 25 = 0x19) runs each 512-bit operation as two 256-bit halves; Zen 5 (26 = 0x1A)
        // and Intel's AVX-512 cores run them at full width.
        if vendor == "AuthenticAMD" && family == 25 { return .avx512Split }
        return .avx512Full
    }

    /// One line for people: "AMD EPYC 9R45 (AuthenticAMD family 26 model 2)".
    public var summary: String {
        let name = modelName.isEmpty ? architecture : modelName
        if family == 0 && vendor.isEmpty { return name }
        if family == 0 { return "\(name) (\(vendor))" }
        return "\(name) (\(vendor) family \(family) model \(model))"
    }

    /// Parses the first processor block of a Linux /proc/cpuinfo text.
    public static func parse(procCPUInfo text: String, architecture: String) -> CPUInfo {
        var info = CPUInfo(vendor: "", family: 0, model: 0, modelName: "", flags: [], architecture: architecture)
        var seen = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingSpacesAndTabs().isEmpty && !seen.isEmpty { break } // end of CPU 0
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingSpacesAndTabs().lowercased()
            let value = line[line.index(after: colon)...].trimmingSpacesAndTabs()
            guard !seen.contains(key) else { continue }
            seen.insert(key)
            switch key {
            case "vendor_id": info.vendor = value
            case "cpu family": info.family = Int(value) ?? 0
            case "model": info.model = Int(value) ?? 0
            case "model name": info.modelName = value
            case "flags", "features": // x86 / arm64
                info.flags = Set(value.lowercased().split(separator: " ").map(String.init))
            case "cpu implementer": if info.vendor.isEmpty { info.vendor = "implementer \(value)" }
            default: break
            }
        }
        return info
    }

    private static func detect() -> CPUInfo {
        #if arch(x86_64)
        let architecture = "x86_64"
        #elseif arch(arm64)
        let architecture = "arm64"
        #else
        let architecture = "other"
        #endif
        #if os(Linux)
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            return parse(procCPUInfo: text, architecture: architecture)
        }
        return CPUInfo(vendor: "", family: 0, model: 0, modelName: "", flags: [], architecture: architecture)
        #elseif canImport(Darwin)
        var flags = Set<String>()
        if architecture == "arm64" { flags.insert("asimd") }
        for (name, flag) in [("hw.optional.avx2_0", "avx2"), ("hw.optional.fma", "fma"),
                             ("hw.optional.avx512f", "avx512f"), ("hw.optional.avx512vl", "avx512vl")]
        where sysctlInt(name) == 1 {
            flags.insert(flag)
        }
        return CPUInfo(vendor: sysctlString("machdep.cpu.vendor") ?? (architecture == "arm64" ? "Apple" : ""),
                       family: sysctlInt("machdep.cpu.family") ?? 0, model: sysctlInt("machdep.cpu.model") ?? 0,
                       modelName: sysctlString("machdep.cpu.brand_string") ?? "", flags: flags,
                       architecture: architecture)
        #else
        return CPUInfo(vendor: "", family: 0, model: 0, modelName: "", flags: [], architecture: architecture)
        #endif
    }

    #if canImport(Darwin)
    private static func sysctlInt(_ name: String) -> Int? {
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        guard sysctlbyname(name, &value, &size, nil, 0) == 0 else { return nil }
        return size == 4 ? Int(Int32(truncatingIfNeeded: value)) : Int(value)
    }

    private static func sysctlString(_ name: String) -> String? {
        var size = 0
        guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var bytes = [CChar](repeating: 0, count: size)
        guard sysctlbyname(name, &bytes, &size, nil, 0) == 0 else { return nil }
        return String(cString: bytes)
    }
    #endif
}

/// The vector instruction sets the kernels are tuned for.
public enum VectorISA: String, Sendable, CaseIterable {
    /// AVX-512 executed at full width (AMD Zen 5, Intel): 32 registers of 16 floats.
    case avx512Full = "avx512"
    /// AVX-512 executed as two 256-bit halves (AMD Zen 4): 32 registers, best used 8 floats wide.
    case avx512Split = "avx512-split"
    /// AVX2 + FMA (AMD Zen 1–3, Intel Haswell on): 16 registers of 8 floats.
    case avx2
    /// arm64 Advanced SIMD: 32 registers of 4 floats.
    case neon
    /// Anything else: a small tile the compiler maps to whatever it has.
    case portable
}
