import Foundation
import GatehouseTestSupport
import Testing

/// The module table: which modules each target's sources may import. Peers (Policy, Identity,
/// Cache, GRPC) meet only through Core, and every import is declared in Package.swift.
@Suite("Architecture: the module table")
struct ArchitectureTests {
    /// One row of the module table.
    struct ModuleRule: Sendable, CustomTestStringConvertible {
        /// The target, as named in Package.swift and under `Sources/`.
        var target: String
        /// The Gatehouse targets and package products it may import; `nil` for the composition
        /// root, which may import anything it declares.
        var modules: Set<String>?
        /// The toolchain's modules it may import (never declared in Package.swift).
        var system: Set<String>
        /// Where the target's folder lies: `Sources`, or `Tests` for the test-only library.
        var folder = "Sources"

        var testDescription: String { self.target }

        func allows(_ module: String) -> Bool {
            self.system.contains(module) || (self.modules?.contains(module) ?? true)
        }
    }

    /// The module table, one row per target. `Generated/` code (protoc output) is not scanned.
    static let moduleTable: [ModuleRule] = [
        ModuleRule(
            target: "EnvoyAuthAPI", modules: ["SwiftProtobuf", "GRPCCore", "GRPCProtobuf"], system: ["Foundation"]),
        ModuleRule(target: "GatehouseCore", modules: [], system: ["Synchronization"]),
        ModuleRule(
            target: "GatehousePolicy", modules: ["GatehouseCore", "Yams", "CYaml"],
            system: ["Foundation", "Dispatch", "Synchronization"]),
        ModuleRule(
            target: "GatehouseIdentity",
            modules: [
                "GatehouseCore", "Crypto", "_CryptoExtras", "X509", "SwiftASN1", "AsyncHTTPClient", "NIOCore",
                "NIOHTTP1",
                "Logging",
            ],
            system: ["Foundation", "Synchronization"]),
        ModuleRule(
            target: "GatehouseCache", modules: ["GatehouseCore", "Crypto"],
            system: ["Synchronization", "Glibc", "Darwin", "Musl"]),
        ModuleRule(
            target: "GatehouseGRPC",
            modules: [
                "GatehouseCore", "GatehouseTLS", "GatehouseFrontDoor", "EnvoyAuthAPI", "GRPCCore", "GRPCProtobuf",
                "SwiftProtobuf",
                "NIOCore", "NIOPosix", "NIOHTTP2", "NIOHPACK", "NIOConcurrencyHelpers", "NIOSSL", "X509", "SwiftASN1",
                "Logging", "ServiceLifecycle",
            ],
            system: ["Foundation", "Synchronization", "Glibc", "Darwin", "Musl"]),
        // Shared by the listeners that verify client certificates (GRPC, Admin): not a peer, Core's helper.
        ModuleRule(
            target: "GatehouseTLS", modules: ["GatehouseCore", "NIOSSL", "NIOCore", "Logging"],
            system: ["Foundation", "Synchronization"]),
        // Shared by the front doors (gRPC, HTTP mode, AuthZEN's wiring): the check pipeline and listener
        // settings and TLS. Not a peer: Core's helper for the doors, as GatehouseTLS is for the listeners.
        ModuleRule(
            target: "GatehouseFrontDoor",
            modules: ["GatehouseCore", "GatehouseTLS", "NIOCore", "NIOSSL", "X509", "SwiftASN1", "Logging"],
            system: ["Foundation", "Synchronization", "Glibc", "Darwin", "Musl"]),
        ModuleRule(
            target: "GatehouseHTTPAuthz",
            modules: [
                "GatehouseCore", "GatehouseFrontDoor", "NIOCore", "NIOPosix", "NIOHTTP1", "NIOHTTP2", "NIOExtras",
                "NIOSSL", "Logging", "ServiceLifecycle",
            ],
            system: ["Foundation", "Synchronization", "Glibc", "Darwin", "Musl"]),
        ModuleRule(target: "CZlib", modules: [], system: []),
        ModuleRule(
            target: "GatehouseBundle", modules: ["GatehouseCore", "CZlib", "Crypto"],
            system: ["Foundation", "Synchronization", "Glibc", "Darwin", "Musl"]),
        ModuleRule(
            target: "GatehouseAdmin",
            modules: [
                "GatehouseCore", "GatehouseTLS", "Hummingbird", "HummingbirdCore", "HTTPTypes", "NIOSSL", "NIOCore",
                "NIOPosix", "NIOHTTP1", "NIOExtras", "Logging", "Crypto", "ServiceLifecycle",
            ],
            system: ["Foundation", "Synchronization", "Glibc", "Darwin", "Musl"]),
        ModuleRule(
            target: "GatehouseMetrics", modules: ["GatehouseCore", "Prometheus", "Metrics"],
            system: ["Foundation", "Synchronization", "Glibc", "Darwin", "Musl"]),
        ModuleRule(
            // GRDBSQLite: SQLite's C API for the decision log's hot insert loops (GRDB's own product).
            target: "GatehouseAudit", modules: ["GatehouseCore", "Crypto", "GRDB", "GRDBSQLite"],
            system: ["Foundation", "Synchronization", "Dispatch", "Glibc", "Darwin", "Musl"]),
        // What the PostgreSQL adapters share (URL, client configuration, deadline): no peer, their helper.
        ModuleRule(
            target: "GatehousePostgres", modules: ["PostgresNIO", "NIOSSL"], system: ["Foundation", "Synchronization"]),
        // The decision log's PostgreSQL store: an adapter of GatehouseAudit's store protocol, not a peer.
        ModuleRule(
            target: "GatehouseAuditPostgres",
            modules: [
                "GatehouseCore", "GatehouseAudit", "GatehousePostgres", "PostgresNIO", "NIOCore", "NIOSSL", "Logging",
            ],
            system: ["Foundation", "Synchronization", "Dispatch", "Glibc", "Darwin", "Musl"]),
        ModuleRule(
            target: "GatehouseFleet", modules: ["GatehouseCore", "GatehousePostgres", "PostgresNIO", "Logging"],
            system: ["Foundation", "Synchronization", "Glibc", "Darwin", "Musl"]),
        ModuleRule(target: "GatehouseCLI", modules: nil, system: ["Foundation", "Synchronization", "Glibc", "Darwin"]),
        // Test-only: what the test targets share. Core's types, and the PKI libraries TestPKI builds on.
        ModuleRule(
            target: "GatehouseTestSupport", modules: ["GatehouseCore", "Crypto", "X509", "SwiftASN1"],
            // Dispatch: DedicatedThreadExecutor runs load clients off the cooperative pool.
            system: ["Foundation", "Synchronization", "Dispatch", "Glibc", "Darwin", "Musl"], folder: "Tests"),
    ]

    /// The targets that must meet only through Core (and GRPC through Envoy's API types).
    static let peers: Set<String> = [
        "GatehousePolicy", "GatehouseIdentity", "GatehouseCache", "GatehouseGRPC", "GatehouseBundle", "GatehouseAdmin",
        "GatehouseAudit",
        "GatehouseMetrics",
        "GatehouseFleet",
        "GatehouseHTTPAuthz",
    ]

    /// Modules a declared product brings with it, importable where the product is declared: Yams'
    /// C module (libyaml), whose parse events GatehousePolicy reads directly.
    static let productModules: [String: String] = ["CYaml": "Yams"]

    /// Modules that come with the toolchain, so Package.swift never declares them.
    static let systemModules: Set<String> = [
        "Swift", "_Concurrency", "Foundation", "FoundationEssentials", "Synchronization", "Dispatch", "Glibc", "Musl",
        "Darwin",
    ]

    // MARK: - Reading the package

    /// The package root, found from this file: `Tests/GatehouseCoreTests/ArchitectureTests.swift`.
    static let packageDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// One source file of a target.
    struct SourceFile: CustomTestStringConvertible {
        /// The path below `Sources/`, e.g. `GatehouseIdentity/JWT/TokenVerifier.swift`.
        var name: String
        var lines: [Substring]

        var testDescription: String { self.name }

        /// The lines that are code, with their 1-based numbers: whole-line comments are skipped.
        var codeLines: [(number: Int, text: Substring)] {
            self.lines.enumerated().compactMap { offset, line in
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                return trimmed.hasPrefix("//") || trimmed.hasPrefix("*") ? nil : (offset + 1, line)
            }
        }

        /// Every import declaration: its line and module.
        var imports: [(number: Int, module: String)] {
            self.codeLines.compactMap { number, line in ArchitectureTests.importedModule(line).map { (number, $0) } }
        }
    }

    /// The targets under `Sources/`.
    static func targets(in package: URL = Self.packageDirectory) throws -> [String] {
        let sources = package.appendingPathComponent("Sources").path
        return try FileManager.default.contentsOfDirectory(atPath: sources)
            .filter { !$0.hasPrefix(".") }
            .sorted()
    }

    /// Every `.swift` file of `target` in `folder`, subfolders included, except protoc's `Generated/` output.
    static func sources(
        of target: String, under folder: String = "Sources", in package: URL = Self.packageDirectory
    ) throws -> [SourceFile] {
        let directory = package.appendingPathComponent(folder).appendingPathComponent(target)
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        let paths = enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") && !$0.split(separator: "/").contains("Generated") }
            .sorted()
        return try paths.map { path in
            let text = try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
            return SourceFile(
                name: target + "/" + path, lines: text.split(separator: "\n", omittingEmptySubsequences: false))
        }
    }

    /// Package.swift's text.
    static func manifest(of package: URL = Self.packageDirectory) throws -> String {
        try String(contentsOf: package.appendingPathComponent("Package.swift"), encoding: .utf8)
    }

    // MARK: - The checks

    /// `file:line` of every import of `rule.target` that its row does not allow.
    static func importsOutsideTable(_ rule: ModuleRule, in package: URL = Self.packageDirectory) throws -> [String] {
        try Self.sources(of: rule.target, under: rule.folder, in: package).flatMap { file in
            file.imports.filter { !rule.allows($0.module) }.map { number, module in
                "\(file.name):\(number): imports \(module), which the module table does not allow"
            }
        }
    }

    /// `file:line` of every import of `target` that Package.swift does not declare for it (toolchain
    /// modules aside), and any dependency of it the manifest reader could not name.
    static func undeclaredImports(
        of target: String, under folder: String = "Sources", in package: URL = Self.packageDirectory
    ) throws -> [String] {
        guard let declared = Self.declaredDependencies(manifest: try Self.manifest(of: package))[target] else {
            return ["Package.swift: no target named \(target)"]
        }
        let unknown = declared.filter { $0.hasPrefix("?") }.sorted().map {
            "Package.swift: \(target) depends on '\($0.dropFirst())', which is no product or target the reader knows"
        }
        return try unknown
            + Self.sources(of: target, under: folder, in: package).flatMap { file in
                file.imports.filter { !Self.isDeclared($0.module, in: declared) }
                    .map { number, module in
                        "\(file.name):\(number): imports \(module), which Package.swift does not declare for \(target)"
                    }
            }
    }

    /// Whether an import needs no declaration (a toolchain module) or has one: its own, or the product it comes with.
    static func isDeclared(_ module: String, in declared: Set<String>) -> Bool {
        Self.systemModules.contains(module) || declared.contains(module)
            || (Self.productModules[module].map(declared.contains) ?? false)
    }

    // MARK: - The import scanner

    /// The module named by an import declaration such as `@preconcurrency package import struct NIOCore.ByteBuffer`.
    static func importedModule(_ line: Substring) -> String? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
        while let first = words.first, first.hasPrefix("@") || Self.accessModifiers.contains(String(first)) {
            words = words.dropFirst()
        }
        guard words.first == "import" else { return nil }
        words = words.dropFirst()
        if let kind = words.first, Self.importKinds.contains(String(kind)) { words = words.dropFirst() }
        return words.first.map { String($0.prefix { $0 != "." && $0 != ";" }) }
    }

    static let accessModifiers: Set<String> = ["public", "package", "internal", "fileprivate", "private", "open"]
    static let importKinds: Set<String> = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"]

    @Test("The import scanner recognizes every form of import declaration")
    func importScanner() {
        #expect(Self.importedModule("import Foundation") == "Foundation")
        #expect(Self.importedModule("  @preconcurrency package import NIOCore") == "NIOCore")
        #expect(Self.importedModule("internal import struct FoundationEssentials.Date") == "FoundationEssentials")
        #expect(Self.importedModule("@_implementationOnly import Dispatch;") == "Dispatch")
        #expect(Self.importedModule("    import Glibc") == "Glibc")
        #expect(Self.importedModule("let important = 1") == nil)
        #expect(Self.importedModule("// import Foundation") == nil)
        #expect(Self.isForbiddenInCore("GRPCCore") && Self.isForbiddenInCore("Logging"))
        #expect(!Self.isForbiddenInCore("Testing"))
    }

    // MARK: - The manifest reader

    /// The modules Package.swift declares for each target: target names, and products (every
    /// product this package uses is named like its module), whether written inline or through
    /// a top-level `let name: Target.Dependency = .product(...)`.
    static func declaredDependencies(manifest: String) -> [String: Set<String>] {
        let code = Self.uncommented(manifest)
        var variables: [String: String] = [:]
        let shared = #/let (\w+): Target\.Dependency = (?:\.(?:product|target)\(name: )?"([^"]+)"/#
        for match in code.matches(of: shared) {
            variables[String(match.1)] = String(match.2)
        }
        let targets = code.matches(of: #/\.(?:target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)"/#)
        var declared: [String: Set<String>] = [:]
        for (index, target) in targets.enumerated() {
            let end = index + 1 < targets.count ? targets[index + 1].range.lowerBound : code.endIndex
            let body = code[target.range.upperBound..<end]
            var modules: Set<String> = []
            if let list = Self.dependencyList(in: body) {
                var rest = String(list)
                for product in rest.matches(of: #/\.(?:product|target)\(\s*name:\s*"([^"]+)"[^)]*\)/#).reversed() {
                    modules.insert(String(product.1))
                    rest.removeSubrange(product.range)
                }
                for name in rest.matches(of: #/"([^"]+)"/#).reversed() {
                    modules.insert(String(name.1))
                    rest.removeSubrange(name.range)
                }
                for identifier in rest.matches(of: #/[A-Za-z_][A-Za-z0-9_]*/#) {
                    // An identifier that is no known dependency stays visible, so the test fails loudly.
                    modules.insert(variables[String(identifier.0)] ?? "?\(identifier.0)")
                }
            }
            declared[String(target.1)] = modules
        }
        return declared
    }

    /// `manifest` without its whole-line `//` comments.
    static func uncommented(_ manifest: String) -> String {
        manifest.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.drop { $0 == " " }.hasPrefix("//") }
            .joined(separator: "\n")
    }

    /// The text inside `dependencies: [ ... ]`, brackets balanced.
    static func dependencyList(in body: Substring) -> Substring? {
        guard let key = body.firstRange(of: "dependencies:"),
            let open = body[key.upperBound...].firstIndex(of: "[")
        else { return nil }
        var depth = 0
        for index in body[open...].indices {
            switch body[index] {
            case "[": depth += 1
            case "]":
                depth -= 1
                if depth == 0 { return body[body.index(after: open)..<index] }
            default: break
            }
        }
        return nil
    }

    @Test("The manifest reader finds inline products, shared lets and target names, and flags the unknown")
    func manifestReader() {
        let manifest = """
            let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
            let core: Target.Dependency = "Core"
            // let commented: Target.Dependency = .product(name: "Nope", package: "nope")
            let package = Package(
                targets: [
                    .target(name: "Bare", swiftSettings: swiftSettings),
                    .target(
                        name: "Policy",
                        dependencies: [core, yams, .product(name: "NIOCore", package: "swift-nio")],
                        swiftSettings: swiftSettings
                    ),
                    .testTarget(name: "PolicyTests", dependencies: ["Policy", mystery]),
                ]
            )
            """
        let declared = Self.declaredDependencies(manifest: manifest)
        #expect(declared["Bare"] == [])
        #expect(declared["Policy"] == ["Core", "Yams", "NIOCore"])
        #expect(declared["PolicyTests"] == ["Policy", "?mystery"])
    }

    // MARK: - The rules

    @Test("Every target under Sources has a row in the module table, and every row a target")
    func tableCoversTargets() throws {
        let targets = try Self.targets()
        #expect(Set(targets) == Set(Self.moduleTable.filter { $0.folder == "Sources" }.map(\.target)))
    }

    @Test("Sources in subfolders are scanned and protoc's Generated code is not")
    func sourcesFound() throws {
        let identity = try Self.sources(of: "GatehouseIdentity").map(\.name)
        #expect(identity.contains("GatehouseIdentity/JWT/TokenVerifier.swift"))
        let core = try Self.sources(of: "GatehouseCore").map(\.name)
        #expect(core.count >= 10 && core.contains("GatehouseCore/DecisionTree.swift"))
        #expect(try Self.sources(of: "EnvoyAuthAPI").isEmpty)
    }

    @Test("The table lets no peer import another peer: they meet through Core")
    func tableKeepsPeersApart() {
        for rule in Self.moduleTable where Self.peers.contains(rule.target) {
            let gatehouse = (rule.modules ?? []).filter { $0.hasPrefix("Gatehouse") || $0 == "EnvoyAuthAPI" }
            // GatehouseTLS is no peer: the handshake verification the listeners share, over Core's port;
            // nor is GatehouseFrontDoor: the check pipeline the front doors share, over Core's ports;
            // nor is GatehousePostgres: the URL, client configuration and deadline the PostgreSQL adapters share.
            let shared: Set<String> = ["GatehouseCore", "GatehouseTLS", "GatehouseFrontDoor", "GatehousePostgres"]
            let allowed = rule.target == "GatehouseGRPC" ? shared.union(["EnvoyAuthAPI"]) : shared
            #expect(gatehouse.isSubset(of: allowed), "\(rule.target) may import \(gatehouse.subtracting(allowed))")
        }
    }

    @Test("Every target imports only what its row of the module table allows", arguments: ArchitectureTests.moduleTable)
    func importsFollowTable(rule: ModuleRule) throws {
        let violations = try Self.importsOutsideTable(rule)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    @Test(
        "Every module a target imports is declared in Package.swift for that target",
        arguments: ArchitectureTests.moduleTable)
    func importsAreDeclared(rule: ModuleRule) throws {
        let violations = try Self.undeclaredImports(of: rule.target, under: rule.folder)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    @Test("The checks name the file and line of a peer import and of an undeclared one, in subfolders too")
    func checksReportViolations() throws {
        try withTemporaryDirectory("architecture") { package in
            let folder = package.appendingPathComponent("Sources/GatehouseIdentity/JWT")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let manifest = """
                let package = Package(targets: [.target(name: "GatehouseIdentity", dependencies: ["GatehouseCore"])])
                """
            try Data(manifest.utf8).write(to: package.appendingPathComponent("Package.swift"))
            let source = "import Foundation\n// import Yams\npackage import GatehousePolicy\nimport NIOCore\n"
            try Data(source.utf8).write(to: folder.appendingPathComponent("Verifier.swift"))
            let rule = try #require(Self.moduleTable.first { $0.target == "GatehouseIdentity" })

            #expect(
                try Self.importsOutsideTable(rule, in: package) == [
                    "GatehouseIdentity/JWT/Verifier.swift:3: imports GatehousePolicy, which the module table does not allow"
                ])
            #expect(
                try Self.undeclaredImports(of: "GatehouseIdentity", in: package) == [
                    "GatehouseIdentity/JWT/Verifier.swift:3: imports GatehousePolicy, which Package.swift does not declare for GatehouseIdentity",
                    "GatehouseIdentity/JWT/Verifier.swift:4: imports NIOCore, which Package.swift does not declare for GatehouseIdentity",
                ])
        }
    }
}
