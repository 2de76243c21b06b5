import Foundation
import Testing

/// Core is deterministic: no I/O, no clock, no randomness.
extension ArchitectureTests {
    /// Modules Core may not import even if the table grew; a trailing `*` matches any module with that prefix.
    static let forbiddenInCore = ["Foundation*", "NIO*", "GRPC*", "Hummingbird*", "Logging", "Dispatch"]

    static func isForbiddenInCore(_ module: String) -> Bool {
        Self.forbiddenInCore.contains { pattern in
            pattern.hasSuffix("*") ? module.hasPrefix(pattern.dropLast()) : module == pattern
        }
    }

    @Test("Core imports no Foundation, SwiftNIO, gRPC, Hummingbird, Logging or Dispatch")
    func noForbiddenImports() throws {
        var violations: [String] = []
        for file in try Self.sources(of: "GatehouseCore") {
            for (number, module) in file.imports where Self.isForbiddenInCore(module) {
                violations.append("\(file.name):\(number): imports \(module)")
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
        for file in try Self.sources(of: "GatehouseCore") {
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
