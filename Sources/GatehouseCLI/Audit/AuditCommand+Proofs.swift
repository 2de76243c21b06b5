import ArgumentParser
import Foundation
import GatehouseAudit

extension AuditCommand {
    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a record with its inclusion proof against the latest checkpoint, as JSON.",
            discussion: """
                The proof (the record's canonical line, its seq, the RFC 9162 inclusion path and the signed \
                checkpoint) can be checked offline with 'gatehouse audit check-proof' and the instance's verifier \
                key. Exit 0, or 2 when the record is unknown, not yet covered by a checkpoint, or the log unreadable.
                """)

        @Argument(help: "The record's id (a decision id).") var id: String
        @OptionGroup var log: DecisionLogOption

        func run() throws {
            let store = try AuditCommand.openStore(self.log.path)
            let proof = try AuditCommand.run { () throws -> AuditProof in
                guard let record = try store.record(id: self.id) else {
                    throw AuditError(
                        .proofUnavailable, "No record has id '\(self.id)'; check it with 'audit query --id'.")
                }
                guard let checkpoint = try store.latestCheckpoint(of: record.instance), checkpoint.size > record.seq
                else {
                    throw AuditError(
                        .proofUnavailable,
                        "Record seq \(record.seq) of '\(record.instance)' is not covered by a checkpoint yet; try "
                            + "again after the next one (audit.checkpointInterval).")
                }
                let path = try store.inclusionProof(of: record.instance, seq: record.seq, size: checkpoint.size)
                return .inclusion(record: record.body, seq: record.seq, proof: path, checkpoint: checkpoint.note)
            }
            Console.print(proof.json)
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a consistency proof between two checkpoints (tree sizes), as JSON.",
            discussion: """
                The proof shows the log of OLD records is a prefix of the log of NEW records (it only grew); check \
                it offline with 'gatehouse audit check-proof'. Exit 0, or 2 when a size has no stored checkpoint.
                """)

        @Argument(help: "The older checkpoint's tree size.") var old: UInt64
        @Argument(help: "The newer checkpoint's tree size.") var new: UInt64
        @OptionGroup var log: DecisionLogOption
        @Option(help: "The writer instance; needed when the log holds several.") var instance: String?

        func run() throws {
            let store = try AuditCommand.openStore(self.log.path)
            let proof = try AuditCommand.run { () throws -> AuditProof in
                let instances = try store.instances()
                guard let instance = self.instance ?? (instances.count == 1 ? instances[0] : nil) else {
                    throw AuditError(
                        .proofUnavailable, "The log holds instances \(instances); pass --instance with one of them.")
                }
                let checkpoints = try store.checkpoints(of: instance)
                func note(_ size: UInt64) throws -> String {
                    guard let note = checkpoints.last(where: { $0.size == size })?.note else {
                        throw AuditError(
                            .proofUnavailable,
                            "Instance '\(instance)' has no checkpoint of size \(size); sizes are listed by "
                                + "'gatehouse audit verify' and in the checkpoints table.")
                    }
                    return note
                }
                let path = try store.consistencyProof(of: instance, from: self.old, to: self.new)
                return .consistency(old: try note(self.old), checkpoint: try note(self.new), proof: path)
            }
            Console.print(proof.json)
        }
    }

    struct CheckProof: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-proof",
            abstract: "Check a proof from 'audit prove' or 'audit consistency' offline, with only the verifier key.",
            discussion: "Exit 0 when the proof holds, 1 when it does not, 2 when the file or key cannot be read.")

        @Argument(help: "The proof file ('-' for standard input).") var file: String
        @Option(help: "The instance's verifier key, '<name>+<key id>+<base64>' (see 'audit public-key').")
        var key: String?
        @Option(help: "The signing key (audit.key); its public half is used when --key is not given.")
        var keyFile = AuditServeSettings().key

        func run() throws {
            let proof = try AuditCommand.run { () throws -> AuditProof in
                let text =
                    self.file == "-"
                    ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : try Self.read(self.file)
                return try AuditProof(json: text)
            }
            let key = try AuditCommand.run { try self.verifierKey(for: proof) }
            do {
                let checkpoint = try proof.check(key: key)
                let what = proof.seq.map { "record seq \($0) is in" } ?? "the older checkpoint's log is a prefix of"
                Console.print(
                    "ok: \(what) '\(checkpoint.instance)''s log of \(checkpoint.size) records signed by '\(key.name)'")
            } catch {
                Console.printError(error.description)
                throw ExitStatus.deny.exitCode
            }
        }

        private static func read(_ file: String) throws(AuditError) -> String {
            do {
                return try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw AuditError(.proofInvalid, "The proof file '\(file)' cannot be read (\(error)).")
            }
        }

        private func verifierKey(for proof: AuditProof) throws -> AuditVerifierKey {
            if let key = self.key { return try AuditVerifierKey(text: key) }
            // The instance names the key; the signature itself is checked by `proof.check(key:)`.
            let body = proof.checkpoint.components(separatedBy: "\n\n").first ?? ""
            let instance = try Checkpoint(body: body + "\n").instance
            let publicKey = try AuditSigningKey.load(path: self.keyFile, name: "gatehouse.audit").verifierKey.publicKey
            return try AuditVerifierKey(name: "gatehouse.audit/\(instance)", publicKey: publicKey)
        }
    }
}
