// swift-tools-version:6.1
import Foundation
import PackageDescription

// Gatehouse declares its API `package`, which Swift shows only to modules of the same package.
// These targets live in a package of their own, so they are compiled as members of the root
// package instead: SwiftPM's own `-package-name` is switched off (`packageAccess: false`) and the
// root's name passed. SwiftPM names a package after its identity: the folder name, lower-cased,
// with characters that cannot be in an identifier made `_` (for /work/main: `main`).
let rootPackageName: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var name = String(root.lastPathComponent.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    if name.first?.isNumber ?? true { name = "_" + name }
    return name
}()

/// The root package's identity, as `.product(…, package:)` names it.
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-package-name", rootPackageName]),
]

let gatehouseCore: Target.Dependency = .product(name: "GatehouseCore", package: rootIdentity)
let gatehousePolicy: Target.Dependency = .product(name: "GatehousePolicy", package: rootIdentity)
let gatehouseIdentity: Target.Dependency = .product(name: "GatehouseIdentity", package: rootIdentity)
let gatehouseGRPC: Target.Dependency = .product(name: "GatehouseGRPC", package: rootIdentity)
let gatehouseCache: Target.Dependency = .product(name: "GatehouseCache", package: rootIdentity)
let envoyAuthAPI: Target.Dependency = .product(name: "EnvoyAuthAPI", package: rootIdentity)
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let benchmark: Target.Dependency = .product(name: "Benchmark", package: "benchmark")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let cryptoExtras: Target.Dependency = .product(name: "_CryptoExtras", package: "swift-crypto")

let package = Package(
    name: "GatehouseBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Generated YAML policy sets, compiled trees and requests, shared by every benchmark.
        .target(
            name: "PolicyFixtures",
            dependencies: [gatehouseCore, gatehousePolicy],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // Per-decision cost: `DecisionTree.evaluate` at 10 to 100,000 rules.
        .executableTarget(
            name: "DecisionTreeBenchmarks",
            dependencies: [benchmark, gatehouseCore, "PolicyFixtures"],
            path: "Benchmarks/DecisionTreeBenchmarks",
            packageAccess: false,
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // Compile time (YAML text → DecisionTree) and the compiled tree's resident memory.
        .executableTarget(
            name: "PolicyCompilerBenchmarks",
            dependencies: [benchmark, gatehouseCore, gatehousePolicy, "PolicyFixtures"],
            path: "Benchmarks/PolicyCompilerBenchmarks",
            packageAccess: false,
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // An RS256 policy, key set, token and Check request, shared by the check and cache benchmarks.
        .target(
            name: "CheckFixtures",
            dependencies: [
                gatehouseCore, gatehousePolicy, gatehouseIdentity, envoyAuthAPI, crypto, cryptoExtras, logging,
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // A whole Check with an RS256 token through the in-process gRPC transport, cache off and hit.
        .executableTarget(
            name: "CheckBenchmarks",
            dependencies: [
                benchmark, gatehouseCore, gatehouseGRPC, gatehouseCache, envoyAuthAPI, "CheckFixtures", logging,
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
            ],
            path: "Benchmarks/CheckBenchmarks",
            packageAccess: false,
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // The decision cache: lookup, key, hit, miss with RS256 verification, off.
        .executableTarget(
            name: "DecisionCacheBenchmarks",
            dependencies: [benchmark, gatehouseCore, gatehouseCache, "CheckFixtures"],
            path: "Benchmarks/DecisionCacheBenchmarks",
            packageAccess: false,
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // A million cached decisions' memory: `swift run -c release CacheMemory`.
        .executableTarget(
            name: "CacheMemory",
            dependencies: [gatehouseCore, gatehouseCache, "CheckFixtures", "MemoryProbe"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // Per-token cost of `TokenVerifier.verify`, for every JWS algorithm.
        .executableTarget(
            name: "TokenVerificationBenchmarks",
            dependencies: [benchmark, gatehouseCore, gatehouseIdentity, "PolicyFixtures", crypto, cryptoExtras],
            path: "Benchmarks/TokenVerificationBenchmarks",
            packageAccess: false,
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // The compiled tree's memory apart from its YAML: `swift run -c release TreeMemory`.
        .executableTarget(
            name: "TreeMemory",
            dependencies: [gatehouseCore, gatehousePolicy, "PolicyFixtures", "MemoryProbe"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // One decision N times, for counting instructions with callgrind: Scripts/instructions-per-decision.sh.
        .executableTarget(
            name: "DecisionLoop",
            dependencies: [gatehouseCore, "PolicyFixtures"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // Resident set and heap-in-use snapshots, for TreeMemory and CacheMemory.
        .target(name: "MemoryProbe", dependencies: ["CHeapStats"], packageAccess: false, swiftSettings: swiftSettings),
        // glibc's heap statistics, for MemoryProbe.
        .target(name: "CHeapStats"),
    ]
)
