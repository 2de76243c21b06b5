import Foundation
import GRDB
import Testing

@testable import GatehouseAudit

@Suite("Audit store")
struct AuditStoreTests {
    @Test("A new store uses 16 KiB pages in WAL mode; an existing store keeps the page size it was made with")
    func pageSize() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "audit-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("decisions.db").path
        let store = try AuditStore(path: path)
        let (pageSize, journal) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_size"), try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(pageSize == 16384)
        #expect(journal == "wal")

        let older = directory.appendingPathComponent("older.db").path
        let queue = try DatabaseQueue(path: older)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t(x)")
        }
        try queue.close()
        let reopened = try AuditStore(path: older)
        #expect(try reopened.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 4096)
    }

    @Test("A batch colliding with a stored sequence number mid-statement fails whole: none of its rows is written")
    func collidingBatchWritesNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "audit-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
        let body = { (seq: Int) in Array("{\"n\":\(seq)}".utf8) }
        try store.append(AuditBatch(instance: "i", firstSeq: 20, bodies: [body(20)]))
        // Rows 0-19 of the first 32-row statement go in before row 20 collides (INSERT OR FAIL
        // keeps them); the transaction's rollback must take them out again.
        let error = #expect(throws: DatabaseError.self) {
            try store.appendUnwrapped(AuditBatch(instance: "i", firstSeq: 0, bodies: (0..<40).map(body)))
        }
        #expect(error?.resultCode == .SQLITE_CONSTRAINT)
        let stored = try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT count(*), min(seq), max(seq) FROM records WHERE instance = 'i'")
        }
        #expect(stored.map { [$0[0], $0[1], $0[2]] as [Int] } == [1, 20, 20])
        try store.append(AuditBatch(instance: "i", firstSeq: 0, bodies: (0..<20).map(body)))
        #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM records") } == 21)
    }
}
