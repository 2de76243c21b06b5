// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Gatehouse's own parsers of untrusted bytes, built with
// `-sanitize=fuzzer,address` by fuzz.sh (not by `swift test`: the instrumented build of the whole
// dependency graph takes a quarter of an hour here). Package access as Tests/Benchmarks has it.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-package-name", "gatehouse", "-parse-as-library"]),
]

let rootPackage = "gatehouse"

let package = Package(
    name: "GatehouseFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: rootPackage, path: "../.."),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // The direct transport's CheckRequest reader against swift-protobuf (issue #15).
        .executableTarget(
            name: "CheckRequestFuzz",
            dependencies: [
                .product(name: "GatehouseCore", package: rootPackage),
                .product(name: "GatehouseGRPC", package: rootPackage),
                .product(name: "EnvoyAuthAPI", package: rootPackage),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        )
    ]
)
