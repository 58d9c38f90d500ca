// swift-tools-version: 6.0
import PackageDescription

// Speed flags. `-target-cpu native` lets the compiler use the host's vector units (AVX-512 here), and
// without it SIMD `addProduct` becomes a call to `fmaf` instead of one FMA instruction. It is given only
// on x86_64, where it is needed; arm64 builds get NEON FMA without flags. The kernels target is also built
// with `-Ounchecked` in release: its loops are bounds-checked by their callers, and overflow checks there
// block vectorisation. Input validation lives in `CharLSTM`, which keeps the ordinary checks.
#if arch(x86_64)
let nativeCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]
#else
let nativeCPU: [SwiftSetting] = []
#endif

let package = Package(
    name: "CharLSTM",
    products: [
        .executable(name: "charlstm", targets: ["CharLSTMTool"]),
        .library(name: "CharLSTM", targets: ["CharLSTM"]),
        .library(name: "CharLSTMServer", targets: ["CharLSTMServer"]),
    ],
    targets: [
        .target(
            name: "CharLSTMKernels",
            swiftSettings: nativeCPU + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "CharLSTM",
            dependencies: ["CharLSTMKernels"],
            swiftSettings: nativeCPU
        ),
        // The HTTP server above the library: charlstm serve's HTTP/1.1 layer, OpenAI-compatible API and playground.
        .target(
            name: "CharLSTMServer",
            dependencies: ["CharLSTM", "CharLSTMKernels"],
            swiftSettings: nativeCPU
        ),
        // The command line above the library: options, help, the terminal, the repository's default paths, the commands.
        .target(
            name: "CharLSTMCommandLine",
            dependencies: ["CharLSTM", "CharLSTMKernels", "CharLSTMServer"],
            swiftSettings: nativeCPU
        ),
        .executableTarget(
            name: "CharLSTMTool",
            dependencies: ["CharLSTMCommandLine"],
            swiftSettings: nativeCPU
        ),
        // What both test targets use (temporary folders, child processes, FIFOs); an ordinary target that only tests import.
        .target(
            name: "CharLSTMTestSupport",
            dependencies: ["CharLSTM", "CharLSTMKernels"],
            path: "Tests/CharLSTMTestSupport"
        ),
        .testTarget(
            name: "CharLSTMKernelsTests",
            dependencies: ["CharLSTMKernels"],
            swiftSettings: nativeCPU
        ),
        .testTarget(
            name: "CharLSTMServerTests",
            dependencies: ["CharLSTMServer", "CharLSTM"],
            swiftSettings: nativeCPU
        ),
        .testTarget(
            name: "CharLSTMTests",
            dependencies: ["CharLSTM", "CharLSTMKernels", "CharLSTMTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: nativeCPU
        ),
        .testTarget(
            name: "CharLSTMCommandLineTests",
            dependencies: ["CharLSTMCommandLine", "CharLSTM", "CharLSTMKernels", "CharLSTMTestSupport"],
            swiftSettings: nativeCPU
        ),
    ],
    swiftLanguageModes: [.v6]
)
