import Testing
@testable import CharLSTMKernels

@Suite struct CPUInfoTests {
    /// The start of a /proc/cpuinfo with two processors; only the first is read.
    private func cpuinfo(vendor: String, family: Int, model: Int, name: String, flags: String) -> String {
        let block = """
            processor\t: 0
            vendor_id\t: \(vendor)
            cpu family\t: \(family)
            model\t\t: \(model)
            model name\t: \(name)
            stepping\t: 1
            flags\t\t: fpu vme sse sse2 \(flags)

            """
        return block + block.replacingOccurrences(of: "processor\t: 0", with: "processor\t: 1")
            .replacingOccurrences(of: flags, with: "")
    }

    @Test func x86MachinesMapToTheirISAAndKernel() {
        let cases: [(vendor: String, family: Int, model: Int, flags: String, isa: VectorISA, kernel: String)] = [
            ("AuthenticAMD", 25, 1, "avx avx2 fma", .avx2, "avx2-6x16"),                                  // Zen 3
            ("AuthenticAMD", 25, 17, "avx2 fma avx512f avx512vl avx512bw", .avx512Split, "avx512-ymm-8x24"), // Zen 4
            ("AuthenticAMD", 26, 2, "avx2 fma avx512f avx512vl avx512bw", .avx512Full, "avx512-zmm-12x32"), // Zen 5
            ("GenuineIntel", 6, 143, "avx2 fma avx512f avx512vl", .avx512Full, "avx512-zmm-12x32"),         // Sapphire Rapids
            ("GenuineIntel", 6, 60, "avx avx2 fma", .avx2, "avx2-6x16"),                                   // Haswell
            ("GenuineIntel", 6, 42, "avx", .portable, "portable-4x8"),                                      // Sandy Bridge
        ]
        for c in cases {
            let info = CPUInfo.parse(procCPUInfo: cpuinfo(vendor: c.vendor, family: c.family, model: c.model,
                                                          name: "Test CPU", flags: c.flags),
                                     architecture: "x86_64")
            #expect(info.vendor == c.vendor && info.family == c.family && info.model == c.model)
            #expect(info.modelName == "Test CPU")
            #expect(info.isa == c.isa, "\(c)")
            #expect(GemmKernel.preferred(for: info.isa).name == c.kernel)
            #expect(info.summary == "Test CPU (\(c.vendor) family \(c.family) model \(c.model))")
        }
    }

    @Test func arm64IsNeon() {
        let text = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes\nCPU implementer\t: 0x41\n"
        let info = CPUInfo.parse(procCPUInfo: text, architecture: "arm64")
        #expect(info.isa == .neon && info.flags.contains("asimd"))
        #expect(GemmKernel.preferred(for: info.isa).name == "neon-8x12")
    }

    @Test func thisMachineIsDetected() {
        let info = CPUInfo.current
        #expect(!info.architecture.isEmpty)
        #expect(GemmKernel.all.contains { $0.name == GemmKernel.preferred(for: info.isa).name })
    }
}
