import ArgumentParser
import Foundation
import GatehouseAudit

extension AuditCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the whole decision log against its signed checkpoints.",
            discussion: """
                For each writer instance: every record must be the canonical encoding of its row (instance, seq), \
                the sequence numbers must run without gaps from the retention anchor (whose signature is checked), \
                and the Merkle root recomputed at each stored checkpoint's size must be the signed one. The first \
                problem per instance is printed with its code (record_modified, record_missing, record_inserted, \
                records_reordered, log_truncated, checkpoint_forged), the seq and what to compare. The key is the \
                instance's verifier key (see 'gatehouse audit public-key'); best keep a copy outside the server. \
                Exit 0 when every instance verifies, 1 when tampering was found, 2 when the log or key cannot be read.
                """)

        @OptionGroup var log: DecisionLogOption
        @Option(
            name: .customLong("key"),
            help: "A verifier key, '<name>+<key id>+<base64>' (repeatable: one per instance, matched by name).")
        var keys: [String] = []
        @Option(help: "The instances' signing key (audit.key); only its public half is used, unless --key is given.")
        var keyFile = AuditServeSettings().key

        func run() throws {
            let store = try AuditCommand.openStore(self.log.path)
            let keyFor = try self.verifierKeys()
            let results = try AuditCommand.run {
                try AuditVerifier(store: store) { instance in try keyFor(instance) }.verify()
            }
            if results.isEmpty { Console.printError("The decision log '\(self.log.path)' holds no records.") }
            for result in results { Self.print(result) }
            if results.contains(where: { !$0.isIntact }) { throw ExitStatus.deny.exitCode }
        }

        /// The verifier key of each instance: a matching (or the only) `--key`, else the key file's public half.
        private func verifierKeys() throws -> @Sendable (String) throws -> AuditVerifierKey {
            if !self.keys.isEmpty {
                let keys = try AuditCommand.run {
                    try self.keys.map { text throws(AuditError) in try AuditVerifierKey(text: text) }
                }
                return { instance in
                    keys.first { $0.name == "gatehouse.audit/\(instance)" } ?? keys[0]
                }
            }
            let publicKey = try AuditCommand.run {
                try AuditSigningKey.load(path: self.keyFile, name: "gatehouse.audit").verifierKey.publicKey
            }
            return { instance in try AuditVerifierKey(name: "gatehouse.audit/\(instance)", publicKey: publicKey) }
        }

        private static func print(_ result: AuditVerification) {
            let kept = result.firstSeq == 0 ? "" : " (seq \(result.firstSeq)..<\(result.size) kept)"
            guard let problem = result.problem else {
                let unsigned = result.unsigned == 0 ? "" : ", \(result.unsigned) after the latest checkpoint"
                Console.print(
                    "\(result.instance): ok: \(result.size) records\(kept), \(result.checkpoints) checkpoints"
                        + "\(unsigned), root \(result.root.base64)")
                return
            }
            let at = result.seq.map { " at seq \($0)" } ?? result.suspects.map { " in seq \($0)" } ?? ""
            Console.print("\(result.instance): \(problem.code)\(at): \(problem.message)")
        }
    }
}
