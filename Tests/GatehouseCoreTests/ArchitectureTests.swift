import Foundation
import Testing

/// GatehouseCore is the pure domain: no I/O, no clock, no randomness, no escape from strict concurrency.
@Suite("Architecture of GatehouseCore")
struct ArchitectureTests {
    /// One source file of the Core target.
    struct SourceFile: CustomTestStringConvertible {
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
    }

    /// `Sources/GatehouseCore`, found from this file: `Tests/GatehouseCoreTests/ArchitectureTests.swift`.
    static let coreDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Sources")
        .appendingPathComponent("GatehouseCore")

    static func sources() throws -> [SourceFile] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.coreDirectory.path)
            .filter { $0.hasSuffix(".swift") }
            .sorted()
        return try names.map { name in
            let text = try String(contentsOf: Self.coreDirectory.appendingPathComponent(name), encoding: .utf8)
            return SourceFile(name: name, lines: text.split(separator: "\n", omittingEmptySubsequences: false))
        }
    }

    /// Modules Core may not import; a trailing `*` matches any module with that prefix.
    static let forbiddenModules = ["Foundation*", "NIO*", "GRPC*", "Hummingbird*", "Logging", "Dispatch"]

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

    static func isForbidden(_ module: String) -> Bool {
        Self.forbiddenModules.contains { pattern in
            pattern.hasSuffix("*") ? module.hasPrefix(pattern.dropLast()) : module == pattern
        }
    }

    @Test("The Core sources are found")
    func sourcesFound() throws {
        let sources = try Self.sources()
        #expect(sources.count >= 10)
        #expect(sources.contains { $0.name == "DecisionTree.swift" })
    }

    @Test("The import scanner recognizes every form of import declaration")
    func importScanner() {
        #expect(Self.importedModule("import Foundation") == "Foundation")
        #expect(Self.importedModule("  @preconcurrency package import NIOCore") == "NIOCore")
        #expect(Self.importedModule("internal import struct FoundationEssentials.Date") == "FoundationEssentials")
        #expect(Self.importedModule("@_implementationOnly import Dispatch;") == "Dispatch")
        #expect(Self.importedModule("let important = 1") == nil)
        #expect(Self.isForbidden("GRPCCore") && Self.isForbidden("Logging") && !Self.isForbidden("Testing"))
    }

    @Test("Core imports no Foundation, SwiftNIO, gRPC, Hummingbird, Logging or Dispatch")
    func noForbiddenImports() throws {
        var violations: [String] = []
        for file in try Self.sources() {
            for (number, line) in file.codeLines {
                if let module = Self.importedModule(line), Self.isForbidden(module) {
                    violations.append("\(file.name):\(number): imports \(module)")
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    @Test("Core never opts out of Sendable checking, reads a clock or draws random numbers")
    func noUncheckedSendableClockOrRandomness() throws {
        let forbidden: [(String, (Substring) -> Bool)] = [
            ("@unchecked Sendable", { $0.contains("@unchecked") }),
            ("Date()", { $0.contains("Date()") }),
            (".now", { line in Self.containsMember(line, "now") }),
            ("random", { $0.lowercased().contains("random") }),
        ]
        var violations: [String] = []
        for file in try Self.sources() {
            for (number, line) in file.codeLines {
                for (name, matches) in forbidden where matches(line) {
                    violations.append(
                        "\(file.name):\(number): uses \(name): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    /// Whether `line` has `.member` not followed by another identifier character (`.now` but not `.nowhere`).
    static func containsMember(_ line: Substring, _ member: String) -> Bool {
        var rest = line[...]
        while let range = rest.firstRange(of: "." + member) {
            let next = rest[range.upperBound...].first
            if next.map({ !($0.isLetter || $0.isNumber || $0 == "_") }) ?? true { return true }
            rest = rest[range.upperBound...]
        }
        return false
    }

    @Test("The member scanner tells '.now' from a longer name")
    func memberScanner() {
        #expect(Self.containsMember("let t = Date.now", "now"))
        #expect(Self.containsMember("clock.now()", "now"))
        #expect(!Self.containsMember("x.nowhere", "now"))
        #expect(!Self.containsMember("now", "now"))
    }
}
