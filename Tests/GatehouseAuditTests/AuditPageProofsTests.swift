import Foundation
import GRDB
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

/// `AuditStore.decisions(…, proofs: true)`, the reader behind `GET /v1/decisions?proof=true`.
@Suite("Decision log pages with inclusion proofs", .bug(id: "13"))
struct AuditPageProofsTests {
    /// 700 records by gh-1 with real signed checkpoints (about every 256 and at 700); those past 600
    /// are then deleted, so the last records are newer than the latest checkpoint.
    private func withLog(_ body: (AuditStore, AuditVerifierKey) throws -> Void) async throws {
        try await withTemporaryDirectory("audit-page-proofs") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let key = try AuditSigningKey.generate(name: "gatehouse.audit/gh-1")
            let signer = AuditCheckpointSigner { size, root, time in
                Checkpoint(origin: key.name, size: size, root: root, time: time, instance: "gh-1").signed(by: key)
            }
            let writer = try AuditWriter(
                store: AuditStore(path: path), instance: "gh-1", signer: signer,
                settings: AuditSettings(batchSize: 100, checkpointEvery: 256, checkpointInterval: .seconds(3600)))
            for index in 0..<700 { _ = writer.offer(AuditWriterFixture.decision(index)) }
            writer.shutdown()
            try DatabaseQueue(path: path).write { db in
                try db.execute(sql: "DELETE FROM checkpoints WHERE size > 600")
            }
            try body(try AuditStore(path: path, readOnly: true), key.verifierKey)
        }
    }

    @Test("Every covered record's proof is what audit prove builds and checks with the key; newer ones say why not")
    func pageProofs() async throws {
        try await self.withLog { store, key in
            var proofs: [String] = []
            var records: [String] = []
            var cursor: String?
            repeat {
                let page = try store.decisions(DecisionLogQuery(), cursor: cursor, limit: 300, proofs: true)
                records += page.records
                proofs += try #require(page.proofs)
                cursor = page.next
            } while cursor != nil
            #expect(records.count == 700 && proofs.count == 700)
            let latest = try #require(try store.latestCheckpoint(of: "gh-1"))
            let covered = Int(latest.size)
            #expect(covered > 0 && covered <= 600)
            for seq in 0..<covered {
                let proof = try AuditProof(json: proofs[seq])
                #expect(proof.record == records[seq] && proof.seq == UInt64(seq) && proof.checkpoint == latest.note)
                #expect(try proof.check(key: key).size == latest.size)
                if seq % 97 == 0 {
                    let stored = try store.inclusionProof(of: "gh-1", seq: UInt64(seq), size: latest.size)
                    #expect(proof.proof == stored.map(\.base64), "seq \(seq): the same path audit prove prints")
                }
            }
            for seq in covered..<700 {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(proofs[seq].utf8)) as? [String: Any])
                #expect(object["proof"] is NSNull, "seq \(seq): \(proofs[seq])")
                #expect(object["reason"] as? String == "not_checkpointed")
                #expect((object["message"] as? String)?.contains("seq \(seq) of 'gh-1'") == true)
            }
            // An altered record no longer leads to the signed root.
            var altered = try AuditProof(json: proofs[7])
            altered.record = altered.record?.replacingOccurrences(of: "\"allow\"", with: "\"deny\"")
            #expect(altered.record != records[7])
            #expect(throws: AuditError.self) { try altered.check(key: key) }
        }
    }

    @Test("Without proof=true a page has no proofs")
    func noProofs() async throws {
        try await self.withLog { store, _ in
            let page = try store.decisions(DecisionLogQuery(), cursor: nil, limit: 10, proofs: false)
            #expect(page.records.count == 10 && page.proofs == nil)
        }
    }
}
