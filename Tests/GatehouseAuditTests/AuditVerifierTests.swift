import Foundation
import GRDB
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The full-log verifier over a log written by the real writer, then tampered with in SQLite.
@Suite("Audit verifier: every kind of tampering is named", .bug(id: "13"), .timeLimit(.minutes(1)))
struct AuditVerifierTests {
    private typealias F = AuditWriterFixture

    // `try!`: any 32-byte seed is a valid Ed25519 key.
    private static let key = try! AuditSigningKey(name: "gatehouse.audit/gh-1", seed: [UInt8](repeating: 7, count: 32))

    /// Signs like `gatehouse serve`: a C2SP checkpoint of instance gh-1 by `key`.
    static func signer(_ key: AuditSigningKey) -> AuditCheckpointSigner {
        AuditCheckpointSigner { size, root, time in
            Checkpoint(origin: key.name, size: size, root: root, time: time, instance: "gh-1").signed(by: key)
        }
    }

    /// `records` records with a checkpoint every 30 and one at shutdown, optionally pruned, then `tamper` on the database.
    private func verify(
        records: Int = 100, chunkSize: Int = 16, prune: Int64? = nil, _ tamper: (Database) throws -> Void = { _ in }
    ) throws -> AuditVerification {
        try withTemporaryDirectory("audit-verify") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let writer = try AuditWriter(
                store: AuditStore(path: path), instance: "gh-1", signer: Self.signer(Self.key),
                settings: AuditSettings(batchSize: 10, checkpointEvery: 30, checkpointInterval: .seconds(3600)),
                now: ManualClock().now)
            for index in 0..<records { _ = writer.offer(F.decision(index)) }
            writer.shutdown()
            if let keepBytes = prune {
                _ = try AuditRetention.prune(
                    AuditStore(path: path), instance: "gh-1", policy: AuditRetentionPolicy(maxBytes: keepBytes),
                    signer: Self.signer(Self.key), now: F.start)
            }
            try DatabaseQueue(path: path).write(tamper)
            let verifier = AuditVerifier(store: try AuditStore(path: path, readOnly: true), chunkSize: chunkSize) {
                instance in
                try AuditVerifierKey(name: "gatehouse.audit/\(instance)", publicKey: Self.key.verifierKey.publicKey)
            }
            let results = try verifier.verify()
            try #require(results.count == 1)
            return results[0]
        }
    }

    private static func body(_ db: Database, _ seq: Int) throws -> String {
        try #require(try String.fetchOne(db, sql: "SELECT body FROM records WHERE seq = ?", arguments: [seq]))
    }

    private static func setBody(_ db: Database, _ seq: Int, _ body: String) throws {
        try db.execute(sql: "UPDATE records SET body = ? WHERE seq = ?", arguments: [body, seq])
    }

    @Test("An untouched log verifies: size, checkpoints, root")
    func intact() throws {
        let result = try self.verify()
        #expect(result.isIntact, "\(result.problem.map(String.init(describing:)) ?? "")")
        #expect(result.size == 100)
        #expect(result.checkpoints == 4)
        #expect(result.unsigned == 0)
    }

    @Test("An edited body that is no longer canonical is record_modified at its seq")
    func editedBody() throws {
        let result = try self.verify { db in
            try Self.setBody(db, 42, try Self.body(db, 42).replacingOccurrences(of: "\"allow\"", with: "\"deny\" "))
        }
        #expect(result.problem?.code == .recordModified)
        #expect(result.seq == 42)
    }

    @Test(
        "A body that says the same in another form (reordered keys, whitespace) is record_modified at its seq",
        arguments: ["reordered", "whitespace"])
    func nonCanonicalBody(form: String) throws {
        let result = try self.verify { db in
            let body = try Self.body(db, 33)
            let edited =
                form == "reordered"
                ? "{\"v\":1," + body.dropFirst().replacingOccurrences(of: ",\"v\":1", with: "")
                : body.replacingOccurrences(of: "\",\"", with: "\", \"")
            #expect(edited != body)
            try Self.setBody(db, 33, edited)
        }
        #expect(result.problem?.code == .recordModified)
        #expect(result.seq == 33)
    }

    @Test(
        "A duplicated seq is record_inserted wherever it falls, across a batch boundary too",
        arguments: [5, 15, 16, 31])
    func duplicatedSeq(seq: Int) throws {
        let result = try self.verify { db in
            // The unique (instance, seq) index forbids it: a forger drops the index first.
            let unique = try String.fetchAll(
                db, sql: "SELECT name FROM pragma_index_list('records') WHERE \"unique\" = 1 AND origin = 'c'")
            for index in unique { try db.execute(sql: "DROP INDEX \"\(index)\"") }
            try db.execute(
                sql: "INSERT INTO records (instance, seq, body) SELECT instance, seq, body FROM records WHERE seq = ?",
                arguments: [seq])
        }
        #expect(result.problem?.code == .recordInserted)
        #expect(result.seq == UInt64(seq))
    }

    @Test("Records the fast check leaves to the full decode (claim names beyond ASCII) verify")
    func unicodeClaims() throws {
        try withTemporaryDirectory("audit-verify-unicode") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let writer = try AuditWriter(
                store: AuditStore(path: path), instance: "gh-1", signer: Self.signer(Self.key),
                settings: AuditSettings(batchSize: 10, checkpointEvery: 30, checkpointInterval: .seconds(3600)),
                now: ManualClock().now)
            for index in 0..<50 {
                var record = F.decision(index)
                if case .decision(var entry) = record.entry {
                    entry.caller.claims = ["ä\(index)": "1", "a": "é"]
                    record.entry = .decision(entry)
                }
                _ = writer.offer(record)
            }
            writer.shutdown()
            let verifier = AuditVerifier(store: try AuditStore(path: path, readOnly: true), chunkSize: 16) { _ in
                Self.key.verifierKey
            }
            let result = try #require(try verifier.verify().first)
            #expect(result.isIntact, "\(result.problem.map(String.init(describing:)) ?? "")")
            #expect(result.size == 50)
        }
    }

    @Test("A re-encoded canonical body is record_modified at the first checkpoint after it")
    func reencodedBody() throws {
        let result = try self.verify { db in
            let forged = AuditLeaf.encode(F.decision(42, outcome: .deny), instance: "gh-1", sequence: 42)
            try Self.setBody(db, 42, String(decoding: forged, as: UTF8.self))
        }
        #expect(result.problem?.code == .recordModified)
        #expect(result.suspects == 30..<60)
        #expect(result.checkpoints == 1)
    }

    @Test("A deleted row is record_missing")
    func deletedRow() throws {
        let result = try self.verify { db in try db.execute(sql: "DELETE FROM records WHERE seq = 50") }
        #expect(result.problem?.code == .recordMissing)
        #expect(result.seq == 50)
    }

    @Test("A row inserted with the later rows renumbered is record_inserted")
    func insertedRow() throws {
        let result = try self.verify { db in
            try db.execute(sql: "UPDATE records SET seq = seq + 1000 WHERE seq >= 50")
            try db.execute(sql: "UPDATE records SET seq = seq - 999 WHERE seq >= 1000")
            let forged = AuditLeaf.encode(F.decision(9999), instance: "gh-1", sequence: 50)
            try db.execute(
                sql: "INSERT INTO records (instance, seq, body) VALUES ('gh-1', 50, ?)",
                arguments: [String(decoding: forged, as: UTF8.self)])
        }
        #expect(result.problem?.code == .recordInserted)
        #expect(result.seq == 51)
    }

    @Test("Two swapped bodies are records_reordered")
    func swappedBodies() throws {
        let result = try self.verify { db in
            let (first, second) = (try Self.body(db, 20), try Self.body(db, 25))
            try Self.setBody(db, 20, second)
            try Self.setBody(db, 25, first)
        }
        #expect(result.problem?.code == .recordsReordered)
        #expect(result.seq == 20)
    }

    @Test("Deleting the tail and its checkpoints is log_truncated by a kept checkpoint")
    func truncatedTail() throws {
        let result = try self.verify { db in
            try db.execute(sql: "DELETE FROM records WHERE seq >= 75")
            try db.execute(sql: "DELETE FROM checkpoints WHERE size > 90")
        }
        #expect(result.problem?.code == .logTruncated)
        #expect(result.seq == 75)
        #expect(result.checkpoints == 2)
    }

    @Test("A checkpoint signed by another key is checkpoint_forged")
    func forgedCheckpoint() throws {
        let result = try self.verify { db in
            let other = try AuditSigningKey.generate(name: "gatehouse.audit/gh-1")
            let row = try #require(try Row.fetchOne(db, sql: "SELECT rowid, note FROM checkpoints WHERE size = 60"))
            let note: String = row[1]
            let body = String(note[..<(try #require(note.range(of: "\n\n"))).lowerBound]) + "\n"
            let checkpoint = try Checkpoint(body: body)
            let rowid: Int64 = row[0]
            try db.execute(
                sql: "UPDATE checkpoints SET note = ? WHERE rowid = ?",
                arguments: [checkpoint.signed(by: other), rowid])
        }
        #expect(result.problem?.code == .checkpointForged)
    }

    @Test("A pruned log verifies from its signed anchor; an anchor signed by another key is checkpoint_forged")
    func prunedLog() throws {
        // 300 records of a few hundred bytes; keeping 4,000 bytes keeps about ten, pruned down to seq 256.
        let result = try self.verify(records: 300, prune: 4_000)
        #expect(result.isIntact, "\(result.problem.map(String.init(describing:)) ?? "")")
        #expect(result.firstSeq == 256)
        #expect(result.size == 300)
        #expect(result.checkpoints == 3)  // 270, 300 and the final 300; those below 256 cannot be compared
        let forged = try self.verify(records: 300, prune: 4_000) { db in
            let other = try AuditSigningKey.generate(name: "gatehouse.audit/gh-1")
            let note: String = try #require(try String.fetchOne(db, sql: "SELECT note FROM anchors"))
            let body = String(note[..<(try #require(note.range(of: "\n\n"))).lowerBound]) + "\n"
            try db.execute(
                sql: "UPDATE anchors SET note = ?", arguments: [try Checkpoint(body: body).signed(by: other)])
        }
        #expect(forged.problem?.code == .checkpointForged)
    }
}
