// swift-tools-version:6.1
import PackageDescription

// Gatehouse declares its API `package`, which Swift shows only to modules of the same package
// name. The root package compiles every target with the fixed name `gatehouse` (its manifest's
// swiftSettings) instead of SwiftPM's, which is the checkout folder's; these targets switch
// SwiftPM's off (`packageAccess: false`) and pass the same name, and the dependency is named
// `gatehouse` too, so nothing here depends on what the checkout's folder is called.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-package-name", "gatehouse"]),
]

/// The root package, as `.product(…, package:)` names it (`.package(name:path:)` below).
let rootPackage = "gatehouse"

let gatehouseCore: Target.Dependency = .product(name: "GatehouseCore", package: rootPackage)
let gatehousePolicy: Target.Dependency = .product(name: "GatehousePolicy", package: rootPackage)
let gatehouseIdentity: Target.Dependency = .product(name: "GatehouseIdentity", package: rootPackage)
let gatehouseGRPC: Target.Dependency = .product(name: "GatehouseGRPC", package: rootPackage)
let gatehouseCache: Target.Dependency = .product(name: "GatehouseCache", package: rootPackage)
let envoyAuthAPI: Target.Dependency = .product(name: "EnvoyAuthAPI", package: rootPackage)
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let benchmark: Target.Dependency = .product(name: "Benchmark", package: "benchmark")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let cryptoExtras: Target.Dependency = .product(name: "_CryptoExtras", package: "swift-crypto")

let package = Package(
    name: "GatehouseBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: rootPackage, path: "../.."),
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
        // The decision-log writer's sustained records/s to SQLite, hashing and signing included (issue #13).
        .executableTarget(
            name: "AuditWriterThroughput",
            dependencies: [gatehouseCore, .product(name: "GatehouseAudit", package: rootPackage)],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL decision store: one replica's writer's records/s, the cross-replica query (issue #14).
        .executableTarget(
            name: "AuditPostgresThroughput",
            dependencies: [
                gatehouseCore, .product(name: "GatehouseAudit", package: rootPackage),
                .product(name: "GatehouseAuditPostgres", package: rootPackage),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // The Merkle tree's appends/s and the leaf encode/decode/hash rate (issue #13).
        .executableTarget(
            name: "AuditTreeThroughput",
            dependencies: [gatehouseCore, .product(name: "GatehouseAudit", package: rootPackage)],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // `audit verify`'s records/s over a store filled by the real writer (issue #13).
        .executableTarget(
            name: "AuditVerifyThroughput",
            dependencies: [gatehouseCore, .product(name: "GatehouseAudit", package: rootPackage)],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // Resident set and heap-in-use snapshots, for TreeMemory and CacheMemory.
        .target(name: "MemoryProbe", dependencies: ["CHeapStats"], packageAccess: false, swiftSettings: swiftSettings),
        // glibc's heap statistics, for MemoryProbe.
        .target(name: "CHeapStats"),
    ]
)
