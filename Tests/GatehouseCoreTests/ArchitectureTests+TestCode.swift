import Foundation
import GatehouseTestSupport
import Testing

/// Tests stay out of production: no target under `Sources/` imports or depends on test code, and
/// the test-only library keeps to its own row of the module table.
extension ArchitectureTests {
    /// Test frameworks, from the toolchain or from packages. The package's own test modules are
    /// read from Package.swift by ``testModules(manifest:)``.
    static let testFrameworks: Set<String> = [
        "Testing", "XCTest", "ServiceLifecycleTestKit", "InMemoryLogging", "HummingbirdTesting",
    ]

    /// The modules that are test code: the frameworks, every `.testTarget`, and every target whose
    /// `path:` lies under `Tests/` (GatehouseTestSupport).
    static func testModules(manifest: String) -> Set<String> {
        let code = Self.uncommented(manifest)
        let targets = code.matches(of: #/\.(target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)"/#)
        var modules = Self.testFrameworks
        for (index, target) in targets.enumerated() {
            let end = index + 1 < targets.count ? targets[index + 1].range.lowerBound : code.endIndex
            let isUnderTests = code[target.range.upperBound..<end].contains(#/path:\s*"Tests\//#)
            if target.1 == "testTarget" || isUnderTests { modules.insert(String(target.2)) }
        }
        return modules
    }

    /// Every way a target under `Sources/` reaches test code: each test module Package.swift
    /// declares for it, and `file:line` of each import of one.
    static func testCodeInProduction(in package: URL = Self.packageDirectory) throws -> [String] {
        let manifest = try Self.manifest(of: package)
        let testModules = Self.testModules(manifest: manifest)
        let declared = Self.declaredDependencies(manifest: manifest)
        return try Self.targets(in: package).flatMap { target in
            let dependencies = (declared[target] ?? []).intersection(testModules).sorted().map {
                "Package.swift: \(target) depends on \($0), which is test code"
            }
            let imports = try Self.sources(of: target, in: package).flatMap { file in
                file.imports.filter { testModules.contains($0.module) }.map { number, module in
                    "\(file.name):\(number): imports \(module), which is test code"
                }
            }
            return dependencies + imports
        }
    }

    @Test("No target under Sources imports or depends on GatehouseTestSupport, a test target or a test framework")
    func noTestCodeInProduction() throws {
        let violations = try Self.testCodeInProduction()
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    @Test("The manifest reader finds the test modules: test targets, targets kept under Tests/, frameworks")
    func testModulesFound() throws {
        let modules = Self.testModules(manifest: try Self.manifest())
        #expect(
            modules.isSuperset(of: [
                "GatehouseTestSupport", "GatehouseCoreTests", "GatehouseIntegrationTests", "Testing", "XCTest",
            ]))
        #expect(modules.isDisjoint(with: try Self.targets()), "no target under Sources counts as test code")
    }

    @Test("No production row of the table allows test code; the test-only row allows Core and no other target")
    func tableKeepsTestCodeOut() throws {
        let testModules = Self.testModules(manifest: try Self.manifest())
        for rule in Self.moduleTable where rule.folder == "Sources" {
            let allowed = (rule.modules ?? []).union(rule.system)
            #expect(
                allowed.isDisjoint(with: testModules), "\(rule.target) may import \(allowed.intersection(testModules))")
        }
        let support = try #require(Self.moduleTable.first { $0.target == "GatehouseTestSupport" })
        #expect(support.folder == "Tests")
        let scanned = try Self.sources(of: support.target, under: support.folder).map(\.name)
        #expect(scanned.contains("GatehouseTestSupport/Waiting.swift"), "the test-only row's sources are scanned")
        let gatehouse = (support.modules ?? []).filter { $0.hasPrefix("Gatehouse") || $0 == "EnvoyAuthAPI" }
        #expect(gatehouse == ["GatehouseCore"])
    }

    @Test("The checks name test code a production target imports or declares, and a support import outside its row")
    func testCodeChecksReportViolations() throws {
        try withTemporaryDirectory("architecture") { package in
            let manifest = """
                let package = Package(targets: [
                    .target(name: "GatehouseTestSupport", dependencies: ["GatehouseCore"], path: "Tests/GatehouseTestSupport"),
                    // .target(name: "Commented", path: "Tests/Commented"),
                    .executableTarget(name: "GatehouseCLI", dependencies: ["GatehouseCore", "GatehouseTestSupport"]),
                    .testTarget(name: "GatehouseCLITests", dependencies: ["GatehouseCLI"]),
                ])
                """
            let files = [
                "Package.swift": manifest,
                "Sources/GatehouseCLI/Commands/Serve.swift":
                    "import GatehouseCore\n@testable import GatehouseCLITests\nimport Testing\n// import XCTest\n",
                "Tests/GatehouseTestSupport/Builders.swift": "package import GatehouseCore\nimport GatehousePolicy\n",
            ]
            for (path, text) in files {
                let url = package.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
            let support = try #require(Self.moduleTable.first { $0.target == "GatehouseTestSupport" })

            #expect(
                Self.testModules(manifest: try Self.manifest(of: package)).subtracting(Self.testFrameworks) == [
                    "GatehouseTestSupport", "GatehouseCLITests",
                ])
            #expect(
                try Self.testCodeInProduction(in: package) == [
                    "Package.swift: GatehouseCLI depends on GatehouseTestSupport, which is test code",
                    "GatehouseCLI/Commands/Serve.swift:2: imports GatehouseCLITests, which is test code",
                    "GatehouseCLI/Commands/Serve.swift:3: imports Testing, which is test code",
                ])
            #expect(
                try Self.importsOutsideTable(support, in: package) == [
                    "GatehouseTestSupport/Builders.swift:2: imports GatehousePolicy, which the module table does not allow"
                ])
            #expect(
                try Self.undeclaredImports(of: "GatehouseTestSupport", under: "Tests", in: package) == [
                    "GatehouseTestSupport/Builders.swift:2: imports GatehousePolicy, which Package.swift does not declare for GatehouseTestSupport"
                ])
        }
    }
}
