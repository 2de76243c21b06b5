// swift-tools-version:6.2
import PackageDescription

/// Settings shared by every target.
let swiftSettings: [SwiftSetting] = [
    // Strict concurrency checking and the Swift 6 language rules everywhere.
    .swiftLanguageMode(.v6),
    // `any` must be spelled out, so existential costs are visible at the use site.
    .enableUpcomingFeature("ExistentialAny"),
    // Imports do not leak into a target's API unless written `package import`.
    .enableUpcomingFeature("InternalImportsByDefault"),
    // A file sees only the members of modules it imports itself.
    .enableUpcomingFeature("MemberImportVisibility"),
]

let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["GatehouseCLI"]),
        // Products only so that Tests/Benchmarks can depend on these targets.
        .library(name: "GatehouseCore", targets: ["GatehouseCore"]),
        .library(name: "GatehousePolicy", targets: ["GatehousePolicy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The domain: requests, identities, decisions, the decision tree. No I/O, no clock.
        .target(
            name: "GatehouseCore",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCoreTests",
            dependencies: ["GatehouseCore"],
            swiftSettings: swiftSettings
        ),

        // The policy language: YAML → diagnostics → decision tree; policy tests.
        .target(
            name: "GatehousePolicy",
            dependencies: ["GatehouseCore", yams],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehousePolicyTests",
            dependencies: ["GatehousePolicy", "GatehouseCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),

        // The `gatehouse` command: the composition root.
        .executableTarget(
            name: "GatehouseCLI",
            dependencies: ["GatehouseCore", "GatehousePolicy", argumentParser],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCLITests",
            dependencies: ["GatehouseCLI"],
            swiftSettings: swiftSettings
        ),
    ]
)
