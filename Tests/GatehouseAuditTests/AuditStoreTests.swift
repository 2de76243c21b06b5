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
}
