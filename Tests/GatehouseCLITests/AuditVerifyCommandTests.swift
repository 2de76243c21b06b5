import Foundation
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

/// `gatehouse audit verify` and `audit public-key` through the built binary.
@Suite("gatehouse audit verify", .bug(id: "13"), .timeLimit(.minutes(2)))
struct AuditVerifyCommandTests {
    private static func decision(_ index: Int) -> AuditRecord {
        let entry = DecisionEntry(
            decision: .allow, status: 200, reason: "allowed", policyRevision: "r1", rule: "clerks-read",
            method: "GET", host: "civil-registry.gov.example", path: "/births/\(index)")
        return AuditRecord(
            id: String(format: "%032x", index), time: UnixTime(seconds: 1_796_517_312 + Int64(index)),
            entry: .decision(entry))
    }

    /// A log of 40 records by instance gh-1, signed like `gatehouse serve` with a key kept at mode 0600.
    private func writeLog(in directory: URL, _ name: String) throws -> (db: String, keyFile: String) {
        let db = directory.appendingPathComponent("\(name).db").path
        let keyFile = directory.appendingPathComponent("\(name)-key.pem").path
        let key = try AuditSigningKey.loadOrCreate(path: keyFile, name: "gatehouse.audit/gh-1")
        let signer = AuditCheckpointSigner { size, root, time in
            Checkpoint(origin: key.name, size: size, root: root, time: time, instance: "gh-1").signed(by: key)
        }
        let writer = try AuditWriter(
            store: AuditStore(path: db), instance: "gh-1", signer: signer,
            settings: AuditSettings(batchSize: 10, checkpointEvery: 20))
        for index in 0..<40 { _ = writer.offer(Self.decision(index)) }
        writer.shutdown()
        return (db, keyFile)
    }

    private func gatehouse(_ arguments: [String]) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(Repository.gatehouse.path, ["audit"] + arguments)
    }

    @Test("Exit 0 on an intact log (key file or printed public key), 1 on a log another key signed, 2 without a key")
    func verifyExitCodes() async throws {
        try await withTemporaryDirectory("cli-audit-verify") { directory in
            let (db, keyFile) = try self.writeLog(in: directory, "good")
            // The same records signed by another key: every checkpoint is forged as far as keyFile is concerned.
            let (forged, _) = try self.writeLog(in: directory, "forged")
            let good = try await self.gatehouse(["verify", "--store", db, "--key-file", keyFile])
            #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
            #expect(good.stdout.hasPrefix("gh-1: ok: 40 records, 3 checkpoints, root "))
            let publicKey = try await self.gatehouse(["public-key", "--key-file", keyFile, "--instance", "gh-1"])
            #expect(publicKey.status == 0, "\(publicKey.stderr)")
            #expect(publicKey.stdout.hasPrefix("gatehouse.audit/gh-1+"))
            let byText = try await self.gatehouse([
                "verify", "--store", db, "--key", publicKey.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            ])
            #expect(byText.status == 0, "\(byText.stdout)\(byText.stderr)")
            let tampered = try await self.gatehouse(["verify", "--store", forged, "--key-file", keyFile])
            #expect(tampered.status == 1, "\(tampered.stdout)\(tampered.stderr)")
            #expect(tampered.stdout.hasPrefix("gh-1: checkpoint_forged: "))
            let missing = try await self.gatehouse(["verify", "--store", db, "--key-file", keyFile + ".absent"])
            #expect(missing.status == 2)
        }
    }

    @Test("prove and consistency print proofs that check-proof accepts offline (exit 0) and rejects once altered (1)")
    func proofs() async throws {
        try await withTemporaryDirectory("cli-audit-proofs") { directory in
            let (db, keyFile) = try self.writeLog(in: directory, "good")
            let prove = try await self.gatehouse(["prove", String(format: "%032x", 5), "--store", db])
            #expect(prove.status == 0, "\(prove.stderr)")
            let file = directory.appendingPathComponent("proof.json")
            try Data(prove.stdout.utf8).write(to: file)
            let checked = try await self.gatehouse(["check-proof", file.path, "--key-file", keyFile])
            #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
            #expect(checked.stdout.hasPrefix("ok: record seq 5 is in 'gh-1''s log of 40 records"))
            try Data(prove.stdout.replacingOccurrences(of: "/births/5", with: "/births/6").utf8).write(to: file)
            let altered = try await self.gatehouse(["check-proof", file.path, "--key-file", keyFile])
            #expect(altered.status == 1, "\(altered.stdout)\(altered.stderr)")
            let consistency = try await self.gatehouse(["consistency", "20", "40", "--store", db])
            #expect(consistency.status == 0, "\(consistency.stderr)")
            try Data(consistency.stdout.utf8).write(to: file)
            let grew = try await self.gatehouse(["check-proof", file.path, "--key-file", keyFile])
            #expect(grew.status == 0, "\(grew.stdout)\(grew.stderr)")
            let unknown = try await self.gatehouse(["prove", "no-such-id", "--store", db])
            #expect(unknown.status == 2)
        }
    }
}
