import Foundation
import GRDB
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseAudit

@Suite("Audit store: query keys built off the write path, merged with the unkeyed tail", .bug(id: "13"))
struct AuditStoreKeysTests {
    private typealias F = AuditWriterFixture

    /// 300 decisions of two instances written out of time order (gh-2's interleave gh-1's), with
    /// subjects, X-Road clients and paths to filter on.
    private func write(_ store: AuditStore) throws {
        for (instance, offset) in [("gh-1", 0), ("gh-2", 5)] {
            var batch = AuditBatch(instance: instance, firstSeq: 0)
            for index in 0..<150 {
                let at = index * 10 + offset
                let record = F.decision(
                    at, subject: index % 3 == 0 ? nil : "user-\(index % 7)", xroad: "EE/GOV/\(index % 4)/sub",
                    path: "/births/\(index)", outcome: index % 5 == 0 ? .deny : .allow
                )
                batch.bodies.append(AuditLeaf.encode(record, instance: instance, sequence: UInt64(index)))
            }
            try store.append(batch)
        }
    }

    private static let queries: [AuditQuery] = [
        AuditQuery(), AuditQuery(subject: "user-3"), AuditQuery(subject: "user-*"), AuditQuery(decision: "deny"),
        AuditQuery(xroadClient: "EE/GOV/2/*"), AuditQuery(xroadClient: "*/2/sub"), AuditQuery(path: "/births/1*"),
        AuditQuery(id: String(format: "%032x", 705)), AuditQuery(subject: "user-1", instance: "gh-2"),
        AuditQuery(
            since: UnixTime(seconds: F.start.seconds, nanoseconds: 200_000_000),
            until: UnixTime(seconds: F.start.seconds + 1, nanoseconds: 100_000_000), subject: "user-2"),
    ]

    /// Every query's rows, whole and in pages of 7 (following cursors), and streamed.
    private func answers(_ store: AuditStore) throws -> [[AuditQueryRow]] {
        try Self.queries.map { query in
            let whole = try store.query(query, limit: 1000).rows
            var paged: [AuditQueryRow] = []
            var cursor: AuditCursor?
            repeat {
                let page = try store.query(query, after: cursor, limit: 7)
                paged += page.rows
                cursor = page.next
            } while cursor != nil
            var streamed: [AuditQueryRow] = []
            try store.stream(query) { row in
                streamed.append(row)
                return true
            }
            #expect(paged == whole)
            #expect(streamed == whole)
            return whole
        }
    }

    private func keyRows(_ store: AuditStore) throws -> [String: Int] {
        try store.pool.read { db in
            var counts: [String: Int] = [:]
            for table in AuditStoreKeys.tables {
                counts[table.name] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)")
            }
            return counts
        }
    }

    @Test("Queries answer the same with no keys, some keys and all keys: order, cursors, globs, time ranges")
    func sameAnswersAtEveryWatermark() throws {
        try withTemporaryDirectory("audit-keys") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            try self.write(store)
            let unkeyed = try self.answers(store)
            #expect(unkeyed[0].count == 300)
            // The whole log in (time, instance, seq) order: gh-1's and gh-2's records interleave.
            #expect(unkeyed[0].prefix(4).map(\.instance) == ["gh-1", "gh-2", "gh-1", "gh-2"])
            #expect(try store.keyedSize(of: "gh-1") == 0)
            #expect(try store.buildKeys(of: "gh-1", upTo: 61) == 61)
            #expect(try store.keyedSize(of: "gh-1") == 61)
            #expect(try self.answers(store) == unkeyed)
            #expect(try store.buildKeys(of: "gh-1", upTo: 150) == 150)
            #expect(try store.buildKeys(of: "gh-2", upTo: 150) == 150)
            #expect(try self.keyRows(store)["records_time"] == 300)
            #expect(try self.answers(store) == unkeyed)
            // Building again adds nothing.
            #expect(try store.buildKeys(of: "gh-2", upTo: 150) == 150)
            #expect(try self.keyRows(store)["records_time"] == 300)
            #expect(try store.record(id: String(format: "%032x", 705))?.seq == 70)
        }
    }

    @Test("The writer builds keys at shutdown and once a step's worth waits; failing to build loses nothing")
    func writerBuildsKeys() throws {
        try withTemporaryDirectory("audit-keys-writer") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let clock = ManualClock()
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer, now: clock.now)
            for index in 0..<100 { _ = writer.offer(F.decision(index, subject: "alice")) }
            writer.flush()
            // Fewer than a step's records and no interval passed: still the tail.
            #expect(try store.keyedSize(of: "gh-1") == 0)
            #expect(try store.query(AuditQuery(subject: "alice"), limit: 1000).rows.count == 100)
            clock.advance(seconds: 10)
            writer.flush()
            #expect(try store.keyedSize(of: "gh-1") == 100)
            for index in 100..<120 { _ = writer.offer(F.decision(index, subject: "alice")) }
            writer.shutdown()
            #expect(try store.keyedSize(of: "gh-1") == 120)
            #expect(try store.query(AuditQuery(subject: "alice"), limit: 1000).rows.map(\.seq) == Array(0..<120))
        }
    }

    @Test("A v1 store upgrades in place: keys from its indexes, every record keyed, indexes gone, plans walk keys")
    func upgradesV1Store() throws {
        try withTemporaryDirectory("audit-keys-v1") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let queue = try DatabaseQueue(path: path)
            try AuditStoreSchema.migrator.migrate(queue, upTo: "v1-records-nodes-checkpoints")
            try queue.write { db in
                for index in 0..<50 {
                    let record = F.decision(index, subject: index % 2 == 0 ? "alice" : "bob")
                    let body = AuditLeaf.encode(record, instance: "old-1", sequence: UInt64(index))
                    try db.execute(
                        sql: "INSERT INTO records (instance, seq, body) VALUES (?, ?, ?)",
                        arguments: ["old-1", index, String(decoding: body, as: UTF8.self)])
                }
            }
            try queue.close()
            // Read-only, it is not upgraded: queries and prove use its v1 indexes.
            let old = try AuditStore(path: path, readOnly: true)
            let bobs = Array(stride(from: 1 as UInt64, to: 50, by: 2))
            #expect(try old.query(AuditQuery(subject: "bob"), limit: 100).rows.map(\.seq) == bobs)
            #expect(try old.plan(for: AuditQuery(subject: "bob")).joined().contains("records_subject"))
            #expect(try old.record(id: String(format: "%032x", 7))?.seq == 7)
            #expect(try old.keyedSize(of: "old-1") == 50)
            let store = try AuditStore(path: path)
            #expect(try store.keyedSize(of: "old-1") == 50)
            #expect(
                try self.keyRows(store) == ["records_time": 50, "records_id": 50, "records_caller": 50])
            let indexes = try store.pool.read { db in
                try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'")
            }
            #expect(indexes.allSatisfy { !$0.hasPrefix("records_") || $0 == "records_position" })
            // Migration v3: the derived columns are gone (SQLite computed them on every insert).
            let columns = try store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM pragma_table_xinfo('records')")
            }
            #expect(columns == ["instance", "seq", "body"])
            #expect(
                try store.query(AuditQuery(subject: "bob"), limit: 100).rows.map(\.seq)
                    == Array(stride(from: 1, to: 50, by: 2)))
            let plan = try store.plan(for: AuditQuery(subject: "bob")).joined(separator: "; ")
            #expect(plan.contains("records_caller"))
            #expect(!plan.contains("TEMP B-TREE"))
        }
    }

    /// Every key table's rows, each as its columns' text, sorted.
    private func keyContents(_ store: AuditStore) throws -> [String: [String]] {
        try store.pool.read { db in
            var contents: [String: [String]] = [:]
            for table in AuditStoreKeys.tables {
                let columns = table.columns.map { "quote(\($0))" }.joined(separator: " || '|' || ")
                contents[table.name] = try String.fetchAll(db, sql: "SELECT \(columns) FROM \(table.name) ORDER BY 1")
            }
            return contents
        }
    }

    @Test(
        "Keys the writer builds from the records it wrote equal the keys a step reads from the bodies, for every kind"
    )
    func writerKeysEqualBodyKeys() throws {
        try withTemporaryDirectory("audit-keys-rows") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            // Every kind (escaped and non-ASCII subjects, no caller at all, a shadow whose caller is
            // nested), and callers with an empty subject and every caller field.
            var records = AuditRecordSamples.all
            for index in 0..<40 {
                var record = F.decision(
                    index, subject: index % 4 == 0 ? "" : "user-\(index % 3)", xroad: "EE/GOV/\(index)")
                if case .decision(var entry) = record.entry, index % 5 == 0 {
                    entry.caller.spiffeID = "spiffe://gov.example/ns/a/sa/\(index)"
                    record.entry = .decision(entry)
                }
                records.append(record)
            }
            for record in records { #expect(writer.offer(record) == .accepted) }
            writer.shutdown()
            let size = UInt64(records.count)
            #expect(try store.keyedSize(of: "gh-1") == size)
            let fromRows = try self.keyContents(store)
            #expect(fromRows["records_time"]?.count == records.count)
            let subjects = try store.pool.read { db in try String.fetchAll(db, sql: "SELECT subject FROM callers") }
            #expect(subjects.contains { $0.hasPrefix("alice \"the\" clerk") })
            // The same records keyed again by a step that reads their bodies.
            try store.pool.write { db in
                for table in AuditStoreKeys.tables { try db.execute(sql: "DELETE FROM \(table.name)") }
                try db.execute(sql: "UPDATE records_indexed SET next = 0")
            }
            #expect(try store.buildKeys(of: "gh-1", upTo: size) == size)
            #expect(try self.keyContents(store) == fromRows)
        }
    }

    @Test("A restarted writer keys the tail its predecessor left from the bodies, then its own records from its rows")
    func restartedWriterKeysTail() throws {
        try withTemporaryDirectory("audit-keys-restart") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let first = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            for index in 0..<100 { _ = first.offer(F.decision(index, subject: "alice")) }
            // Written, not keyed (no shutdown: as after a kill -9).
            first.flush()
            #expect(try store.keyedSize(of: "gh-1") == 0)
            let second = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            for index in 100..<180 { _ = second.offer(F.decision(index, subject: index % 2 == 0 ? "alice" : "bob")) }
            second.shutdown()
            #expect(try store.keyedSize(of: "gh-1") == 180)
            #expect(try self.keyRows(store)["records_caller"] == 180)
            #expect(try store.query(AuditQuery(subject: "bob"), limit: 1000).rows.count == 40)
            #expect(try store.query(AuditQuery(subject: "alice"), limit: 1000).rows.count == 140)
        }
    }

    @Test("Retention deletes the pruned records' keys with them")
    func pruneDeletesKeys() throws {
        try withTemporaryDirectory("audit-keys-prune") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            for index in 0..<600 { _ = writer.offer(F.decision(index, subject: "alice", xroad: "EE/GOV/1/sub")) }
            writer.shutdown()
            #expect(try self.keyRows(store)["records_caller"] == 600)
            let point = try AuditRetention.prune(
                store, instance: "gh-1", policy: AuditRetentionPolicy(maxBytes: 1), signer: F.signer,
                now: F.start)
            #expect(point == 512)
            #expect(
                try self.keyRows(store) == ["records_time": 88, "records_id": 88, "records_caller": 88])
            #expect(try store.query(AuditQuery(subject: "alice"), limit: 1000).rows.map(\.seq) == Array(512..<600))
        }
    }
}
