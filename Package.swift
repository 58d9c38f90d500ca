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
        .target(
            name: "CharLSTMServer",
            dependencies: ["CharLSTM"],
            swiftSettings: nativeCPU
        ),
        .executableTarget(
            name: "CharLSTMTool",
            dependencies: ["CharLSTM", "CharLSTMServer"],
            swiftSettings: nativeCPU
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
            dependencies: ["CharLSTM", "CharLSTMKernels"],
            resources: [.copy("Fixtures")],
            swiftSettings: nativeCPU
        ),
    ],
    swiftLanguageModes: [.v6]
)
