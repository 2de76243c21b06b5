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
    // `package` API is shared by the modules of one package name. SwiftPM's own name is the
    // checkout folder's (a package's identity), so every target turns it off (`packageAccess:
    // false`, checked at the end) and uses this fixed one; Tests/Benchmarks, a package of its
    // own, passes the same and so reaches `package` API from a checkout in any folder.
    .unsafeFlags(["-package-name", "gatehouse"]),
]

let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let swiftProtobuf: Target.Dependency = .product(name: "SwiftProtobuf", package: "swift-protobuf")
let grpcCore: Target.Dependency = .product(name: "GRPCCore", package: "grpc-swift-2")
let grpcInProcess: Target.Dependency = .product(name: "GRPCInProcessTransport", package: "grpc-swift-2")
let grpcProtobuf: Target.Dependency = .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")
let grpcHTTP2: Target.Dependency = .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let x509: Target.Dependency = .product(name: "X509", package: "swift-certificates")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let asn1: Target.Dependency = .product(name: "SwiftASN1", package: "swift-asn1")
let cryptoExtras: Target.Dependency = .product(name: "_CryptoExtras", package: "swift-crypto")
let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals: Target.Dependency = .product(name: "UnixSignals", package: "swift-service-lifecycle")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTLS: Target.Dependency = .product(name: "HummingbirdTLS", package: "hummingbird")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let grdb: Target.Dependency = .product(name: "GRDB", package: "GRDB.swift")
/// SQLite's C API as GRDB links it, for the decision log's hot insert loops.
let grdbSQLite: Target.Dependency = .product(name: "GRDBSQLite", package: "GRDB.swift")
let postgres: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")

let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["GatehouseCLI"]),
        // Products only so that Tests/Benchmarks can depend on these targets.
        .library(name: "GatehouseCore", targets: ["GatehouseCore"]),
        .library(name: "GatehousePolicy", targets: ["GatehousePolicy"]),
        .library(name: "GatehouseIdentity", targets: ["GatehouseIdentity"]),
        .library(name: "GatehouseGRPC", targets: ["GatehouseGRPC"]),
        .library(name: "EnvoyAuthAPI", targets: ["EnvoyAuthAPI"]),
        .library(name: "GatehouseCache", targets: ["GatehouseCache"]),
        .library(name: "GatehouseBundle", targets: ["GatehouseBundle"]),
        .library(name: "GatehouseAdmin", targets: ["GatehouseAdmin"]),
        .library(name: "GatehouseMetrics", targets: ["GatehouseMetrics"]),
        .library(name: "GatehouseAudit", targets: ["GatehouseAudit"]),
        .library(name: "GatehouseFleet", targets: ["GatehouseFleet"]),
        .library(name: "GatehouseAuditPostgres", targets: ["GatehouseAuditPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Envoy's ext_authz v3 API and grpc.health.v1: our own .proto files and the Swift generated from them.
        .target(
            name: "EnvoyAuthAPI",
            dependencies: [swiftProtobuf, grpcCore, grpcProtobuf],
            exclude: ["Protos", "generate.sh"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // What the test targets share: fixtures, random policies, a test PKI, a process runner,
        // bounded waiting. A library target kept under Tests/; no production target depends on it.
        .target(
            name: "GatehouseTestSupport",
            dependencies: ["GatehouseCore", crypto, x509, asn1],
            path: "Tests/GatehouseTestSupport",
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The domain: requests, identities, decisions, the decision tree. No I/O, no clock.
        .target(
            name: "GatehouseCore",
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCoreTests",
            dependencies: ["GatehouseCore", "GatehouseTestSupport"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The policy language: YAML → diagnostics → decision tree; policy tests.
        .target(
            name: "GatehousePolicy",
            dependencies: ["GatehouseCore", yams],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehousePolicyTests",
            dependencies: ["GatehousePolicy", "GatehouseCore", "GatehouseTestSupport"],
            resources: [.copy("Fixtures")],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // Who is calling: JWTs verified against issuers' key sets, client certificates against the trust bundle.
        .target(
            name: "GatehouseIdentity",
            dependencies: [
                "GatehouseCore", crypto, cryptoExtras, x509, asn1, httpClient, logging,
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseIdentityTests",
            dependencies: [
                "GatehouseIdentity", "GatehouseCore", "GatehouseTestSupport", crypto, cryptoExtras, x509, asn1, logging,
                nioPosix, .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // PyJWT-made bundle-signature vectors and their generator, read from the checkout.
            exclude: ["Bundles/Fixtures"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The decision cache: sharded, bounded by entries and bytes, deadlines, request coalescing.
        .target(
            name: "GatehouseCache",
            dependencies: ["GatehouseCore", crypto],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCacheTests",
            dependencies: ["GatehouseCache", "GatehouseCore", "GatehouseTestSupport"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // Client certificates verified during TLS handshakes, the same way on every listener (gRPC, admin).
        .target(
            name: "GatehouseTLS",
            dependencies: ["GatehouseCore", nioSSL, logging, .product(name: "NIOCore", package: "swift-nio")],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // What every front door shares: listener settings and caller admission (TLS, pinning), and
        // the one check pipeline (decider, decision log, metrics observer) behind gRPC and HTTP mode.
        .target(
            name: "GatehouseFrontDoor",
            dependencies: [
                "GatehouseCore", "GatehouseTLS", nioSSL, logging, .product(name: "NIOCore", package: "swift-nio"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The Envoy Authorization service and gRPC health; the only place Envoy's types are mapped.
        .target(
            name: "GatehouseGRPC",
            dependencies: [
                "GatehouseCore", "GatehouseFrontDoor", "GatehouseTLS", "EnvoyAuthAPI", grpcCore, grpcProtobuf, swiftProtobuf, x509, asn1, nioSSL,
                logging, serviceLifecycle, nioPosix, .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseGRPCTests",
            dependencies: [
                "GatehouseGRPC", "GatehouseCore", "GatehouseCache", "GatehousePolicy", "GatehouseIdentity",
                "EnvoyAuthAPI",
                "GatehouseTestSupport",
                grpcCore,
                grpcInProcess, grpcProtobuf, swiftProtobuf, logging, crypto, cryptoExtras, x509, asn1,
                grpcHTTP2, serviceLifecycle, .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // Envoy's ext_authz HTTP mode (`http_service`): HTTP/1.1 and h2c on the gRPC listeners' event loops,
        // through the same check pipeline as the gRPC door.
        .target(
            name: "GatehouseHTTPAuthz",
            dependencies: [
                "GatehouseCore", "GatehouseFrontDoor", logging, serviceLifecycle, nioPosix,
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseHTTPAuthzTests",
            dependencies: [
                "GatehouseHTTPAuthz", "GatehouseFrontDoor", "GatehouseCore", "GatehouseTestSupport", logging, nioPosix,
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // zlib, for reading and writing `.tar.gz` bundles (the system's libz, which swift-nio-extras links already).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // Policy bundles: manifest, tar.gz archives read defensively, signatures, the bundle store.
        .target(
            name: "GatehouseBundle",
            dependencies: ["GatehouseCore", "CZlib", crypto],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseBundleTests",
            dependencies: ["GatehouseBundle", "GatehouseCore", "GatehouseTestSupport", "CZlib", crypto],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The admin API: status, notify, upload, rollback, health and metrics over HTTP, with roles.
        .target(
            name: "GatehouseAdmin",
            dependencies: [
                "GatehouseCore", "GatehouseTLS", hummingbird, nioSSL, logging, crypto, serviceLifecycle,
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // The AuthZEN listener: NIO's HTTP/1 server pipeline, without Hummingbird.
                nioPosix, .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseAdminTests",
            dependencies: [
                "GatehouseAdmin", "GatehouseCore", "GatehouseIdentity", "GatehouseTestSupport", hummingbird,
                .product(name: "HummingbirdTesting", package: "hummingbird"), logging, crypto, x509, asn1, nioSSL,
                httpClient, serviceLifecycle, .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // Prometheus metrics: checks, latency, cache, key sets, reloads; rendered in the text format.
        .target(
            name: "GatehouseMetrics",
            dependencies: ["GatehouseCore", prometheus, metrics],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseMetricsTests",
            dependencies: ["GatehouseMetrics", "GatehouseCore", "GatehouseTestSupport", prometheus],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The decision log: records, the Merkle tree and signed checkpoints, the SQLite store, proofs.
        .target(
            name: "GatehouseAudit",
            dependencies: ["GatehouseCore", crypto, grdb, grdbSQLite],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseAuditTests",
            dependencies: ["GatehouseAudit", "GatehouseCore", "GatehouseTestSupport", crypto, grdb],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // What the PostgreSQL adapters share: the URL (host, user, database, sslmode), postgres-nio's
        // pool and connection configuration, failure text, and a deadline that holds even when a
        // postgres-nio call cannot be cancelled.
        .target(
            name: "GatehousePostgres",
            dependencies: [postgres, nioSSL],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehousePostgresTests",
            dependencies: ["GatehousePostgres", postgres],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The decision log in PostgreSQL (`audit.store: postgres://…`): every replica's tree in one database.
        // A target of its own so that GatehouseAudit (and its tests) need no PostgreSQL client.
        .target(
            name: "GatehouseAuditPostgres",
            dependencies: [
                "GatehouseAudit", "GatehouseCore", "GatehousePostgres", postgres, logging, nioSSL,
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseAuditPostgresTests",
            dependencies: [
                "GatehouseAuditPostgres", "GatehouseAudit", "GatehouseCore", "GatehousePostgres", "GatehouseTestSupport",
                crypto, postgres,
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // A fleet of replicas: the desired policy revision in PostgreSQL, announced with LISTEN/NOTIFY,
        // reconciled on every (re)connect and on a timer; each replica's reported revision.
        .target(
            name: "GatehouseFleet",
            dependencies: ["GatehouseCore", "GatehousePostgres", postgres, logging],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseFleetTests",
            dependencies: [
                "GatehouseFleet", "GatehouseCore", "GatehousePostgres", "GatehouseTestSupport", postgres, logging,
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),

        // The `gatehouse` command: the composition root.
        .executableTarget(
            name: "GatehouseCLI",
            dependencies: [
                "GatehouseCore", "GatehousePolicy", "GatehouseIdentity", "GatehouseGRPC", "GatehouseHTTPAuthz", "GatehouseCache",
                "GatehouseBundle", "GatehouseFleet",
                "GatehouseAdmin", "GatehouseMetrics", "GatehouseAudit", "GatehouseAuditPostgres", httpClient, argumentParser, yams, logging, serviceLifecycle,
                unixSignals, x509, crypto, cryptoExtras, asn1, nioSSL, .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), nioPosix,
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseIntegrationTests",
            dependencies: [
                "GatehouseCLI", "GatehouseCore", "GatehouseIdentity", "GatehouseBundle", "EnvoyAuthAPI",
                "GatehouseTestSupport", grpcCore,
                grpcHTTP2, grpcProtobuf,
                swiftProtobuf, crypto, cryptoExtras, x509, asn1,
            ],
            exclude: ["Scripts", "Fixtures"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCLITests",
            dependencies: [
                "GatehouseCLI", "GatehouseCore", "GatehouseIdentity", "GatehouseBundle", "GatehouseGRPC",
                "GatehouseCache", "GatehouseAdmin", "GatehouseAudit", "GatehouseTestSupport", logging,
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
    ]
)

// A target left to SwiftPM's package name (the folder's) could not see the others' `package` API.
for target in package.targets where target.packageAccess {
    fatalError("target \(target.name) needs packageAccess: false: every target is compiled as package 'gatehouse'")
}
