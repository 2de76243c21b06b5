import ArgumentParser
import Foundation
import GatehouseAudit

extension AuditCommand {
    struct PublicKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print an instance's checkpoint verifier key, for auditors to keep elsewhere.",
            discussion: """
                The signed-note verifier key '<name>+<key id>+<base64>' of the key file's public half, named \
                'gatehouse.audit/<instance>' as 'gatehouse serve' signs. It is not secret. Pass it to \
                'gatehouse audit verify --key'. Exit 0, or 2 when the key or instance cannot be read.
                """)

        @Option(help: "The signing key (audit.key).") var keyFile = AuditServeSettings().key
        @Option(help: "The writer instance (audit.instance); default: the id kept beside the key.")
        var instance: String?

        func run() throws {
            let instance = try self.instance ?? Self.keptInstance(beside: self.keyFile)
            let key = try AuditCommand.run {
                try AuditSigningKey.load(path: self.keyFile, name: "gatehouse.audit/\(instance)")
            }
            Console.print(key.verifierKey.text)
        }

        private static func keptInstance(beside keyFile: String) throws -> String {
            var settings = AuditServeSettings()
            settings.key = keyFile
            guard let text = try? String(contentsOfFile: settings.instanceFile, encoding: .utf8),
                case let instance = text.trimmingCharacters(in: .whitespacesAndNewlines), !instance.isEmpty
            else {
                Console.printError(
                    "key_unreadable: No instance id is kept in '\(settings.instanceFile)'; pass --instance with the "
                        + "server's audit.instance.")
                throw ExitStatus.usage.exitCode
            }
            return instance
        }
    }
}
