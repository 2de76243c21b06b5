import Foundation
import GRDB
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Audit writer: full queue and failing store, gap and strict", .bug(id: "13"), .timeLimit(.minutes(2)))
struct AuditWriterFailureTests {
    private typealias F = AuditWriterFixture

    private func gapRecords(_ store: AuditStore) throws -> [String] {
        try store.query(AuditQuery(kind: "gap"), limit: 100).rows.map(\.body)
    }

    @Test("gap: a full queue drops and counts, then a gap record says how many, when and why")
    func gapOnFullQueue() throws {
        try withTemporaryDirectory("audit-gap-full") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer, settings: AuditSettings(queueCapacity: 4)
            )
            let admissions = (0..<7).map { writer.offer(F.decision($0)) }
            #expect(admissions == [.accepted, .accepted, .accepted, .accepted, .dropped, .dropped, .dropped])
            #expect(writer.status.dropped == 3)
            writer.flush()
            #expect(writer.offer(F.decision(7)) == .accepted)
            let gaps = try self.gapRecords(store)
            #expect(gaps.count == 1)
            #expect(gaps[0].contains("\"count\":3"))
            #expect(gaps[0].contains("\"cause\":\"queue_full\""))
            #expect(gaps[0].contains("\"from\":\"2026-12-06T00:35:12.004000000Z\""))
            #expect(gaps[0].contains("\"to\":\"2026-12-06T00:35:12.006000000Z\""))
            #expect(try store.treeSize(of: "gh-1") == 5)  // the gap record and the four accepted
        }
    }

    @Test("strict: a full queue refuses (deny audit_unavailable) and accepts again once drained")
    func strictOnFullQueue() throws {
        try withTemporaryDirectory("audit-strict-full") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer,
                settings: AuditSettings(queueCapacity: 2, onFull: .strict)
            )
            #expect((0..<3).map { writer.offer(F.decision($0)) } == [.accepted, .accepted, .refused])
            #expect(writer.status.refused == 1)
            writer.flush()
            #expect(writer.offer(F.decision(3)) == .accepted)
            writer.flush()
            #expect(try store.treeSize(of: "gh-1") == 3)
            #expect(try self.gapRecords(store).isEmpty)
        }
    }

    @Test("gap: disk full (max_page_count) loses the batch, drops while failing, recovers with one gap record")
    func gapOnDiskFull() throws {
        try withTemporaryDirectory("audit-gap-diskfull") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            _ = writer.offer(F.decision(0))
            writer.flush()
            try store.limitPages(to: store.pageCount())
            let long = "/" + String(repeating: "x", count: 20_000)
            for index in 1...5 { #expect(writer.offer(F.decision(index, path: long)) == .accepted) }
            writer.flush()
            #expect(writer.status.failure == "store_failed: SQLITE_FULL")
            #expect(writer.offer(F.decision(6)) == .dropped)
            try store.limitPages(to: 1_000_000)
            writer.flush()
            #expect(writer.status.failure == nil)
            #expect(writer.status.dropped == 6)
            #expect(writer.offer(F.decision(7)) == .accepted)
            writer.flush()
            let gaps = try self.gapRecords(store)
            #expect(gaps.count == 1)
            #expect(gaps[0].contains("\"count\":6"))
            #expect(gaps[0].contains("store_failed: SQLITE_FULL"))
            #expect(try store.treeSize(of: "gh-1") == 3)  // decision 0, the gap, decision 7
            writer.shutdown()
            #expect(try F.recomputedRoot(store, "gh-1") == AuditWriterTestsRoot.latest(store))
        }
    }

    @Test("strict: a read-only store refuses offers until it is writable again")
    func strictOnReadOnlyStore() throws {
        try withTemporaryDirectory("audit-strict-readonly") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer, settings: AuditSettings(onFull: .strict)
            )
            try store.refuseWrites(true)
            #expect(writer.offer(F.decision(0)) == .accepted)
            writer.flush()
            #expect(writer.status.failure == "store_failed: SQLITE_READONLY")
            #expect(writer.offer(F.decision(1)) == .refused)
            writer.flush()
            #expect(writer.offer(F.decision(2)) == .refused)
            try store.refuseWrites(false)
            writer.flush()
            #expect(writer.status.failure == nil)
            #expect(writer.offer(F.decision(3)) == .accepted)
            writer.flush()
            // The accepted record lost with the failed batch is accounted for by a gap record.
            let gaps = try self.gapRecords(store)
            #expect(gaps.count == 1)
            #expect(gaps[0].contains("\"count\":1"))
            #expect(writer.status.refused == 2)
        }
    }
}

/// The root the latest checkpoint signed, read from its note.
enum AuditWriterTestsRoot {
    static func latest(_ store: AuditStore) throws -> MerkleHash? {
        let note = try store.latestCheckpoint(of: "gh-1")?.note ?? ""
        let lines = note.split(separator: "\n")
        return lines.count > 2 ? MerkleHash(base64: String(lines[2])) : nil
    }
}

@Suite("Audit writer: a store locked by another process", .bug(id: "13"), .timeLimit(.minutes(2)))
struct AuditWriterLockedStoreTests {
    private typealias F = AuditWriterFixture

    @Test("gap: while another connection holds the write lock the batch is lost and counted; recovery writes the gap")
    func gapWhileLocked() throws {
        try withTemporaryDirectory("audit-locked") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let store = try AuditStore(path: path, busyTimeout: .milliseconds(20))
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            // Another process's writer, holding SQLite's write lock across accesses.
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            let other = try DatabaseQueue(path: path, configuration: configuration)
            try other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            for index in 0..<3 { #expect(writer.offer(F.decision(index)) == .accepted) }
            writer.flush()
            #expect(writer.status.failure == "store_failed: SQLITE_BUSY")
            #expect(writer.offer(F.decision(3)) == .dropped)
            try other.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            writer.flush()
            #expect(writer.status.failure == nil)
            #expect(writer.status.dropped == 4)
            let gaps = try store.query(AuditQuery(kind: "gap"), limit: 10).rows.map(\.body)
            #expect(gaps.count == 1)
            #expect(gaps.first?.contains("\"count\":4") == true)
            #expect(gaps.first?.contains("store_failed: SQLITE_BUSY") == true)
        }
    }
}
