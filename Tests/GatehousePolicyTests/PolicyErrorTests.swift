import Foundation
import GatehouseCore
import GatehousePolicy
import GatehouseTestSupport
import Testing

@Suite("Policy errors")
struct PolicyErrorTests {
    private struct Underlying: Error, CustomStringConvertible {
        var description: String { "permission denied" }
    }

    @Test("A directory that does not exist is unreadable_source, naming the directory")
    func missingDirectory() throws {
        try withTemporaryDirectory("no-such-policies") { parent in
            let directory = parent.appendingPathComponent("missing").path
            let error = #expect(throws: PolicyError.self) { try PolicyCompiler.compile(directory: directory) }
            #expect(error?.code == .unreadableSource)
            #expect(error?.message.contains(directory) == true)
            #expect(error?.diagnostics.isEmpty == true)
            #expect(error?.description == "unreadable_source: \(error?.message ?? "")")
        }
    }

    @Test("A policy set with errors is compilation_failed and carries every diagnostic")
    func compilationFailed() throws {
        try withTemporaryDirectory("broken-policies") { directory in
            try Data("kind: Nonsense\n".utf8).write(to: directory.appendingPathComponent("p.yaml"))
            let error = #expect(throws: PolicyError.self) { try PolicyCompiler.compile(directory: directory.path) }
            #expect(error?.code == .compilationFailed)
            #expect(error?.diagnostics.contains { $0.code.rawValue == "policy_unknown_kind" } == true)
        }
    }

    @Test("The description is code: message (cause: …), and equality ignores the cause")
    func shape() {
        let plain = PolicyError(code: .unreadableSource, message: "The file 'p.yaml' cannot be read.")
        let caused = PolicyError(
            code: .unreadableSource, message: "The file 'p.yaml' cannot be read.", cause: Underlying())
        #expect(caused.description == "unreadable_source: The file 'p.yaml' cannot be read. (cause: permission denied)")
        #expect(plain == caused)
        #expect(Set([plain, caused]).count == 1)
    }
}
