import Foundation
import GRDB
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseAudit

@Suite("Audit store: one caller key a record, and stores of the text-key schema upgraded", .bug(id: "13"))
struct AuditStoreCallersTests {
    private typealias F = AuditWriterFixture

    // `try!`: any 32-byte seed is a valid Ed25519 key.
    private static let key = try! AuditSigningKey(name: "gatehouse.audit/gh-1", seed: [UInt8](repeating: 9, count: 32))

    /// A decision with every combination of caller fields: a subject (some empty), an X-Road
    /// client, a SPIFFE ID, several at once, or none.
    private static func decision(_ index: Int) -> AuditRecord {
        var record = F.decision(
            index, subject: index % 3 == 0 ? nil : (index % 11 == 0 ? "" : "user-\(index % 7)"),
            xroad: index % 4 == 0 ? nil : "EE/GOV/\(index % 5)/sub", outcome: index % 8 == 1 ? .deny : .allow)
        if case .decision(var entry) = record.entry, index % 5 == 1 {
            entry.caller.spiffeID = "spiffe://gov.example/ns/a/sa/\(index % 9)"
            record.entry = .decision(entry)
        }
        return record
    }

    private static let queries: [AuditQuery] = [
        AuditQuery(), AuditQuery(subject: "user-3"), AuditQuery(subject: "user-*"), AuditQuery(subject: ""),
        AuditQuery(subject: "user-3", xroadClient: "EE/GOV/2/sub"), AuditQuery(xroadClient: "EE/GOV/2/*"),
        AuditQuery(xroadClient: "*/2/sub"), AuditQuery(spiffeID: "spiffe://gov.example/ns/a/sa/4"),
        AuditQuery(subject: "user-1", spiffeID: "spiffe://gov.example/*"), AuditQuery(subject: "nobody"),
        AuditQuery(decision: "deny", subject: "user-5"), AuditQuery(id: String(format: "%032x", 77)),
        AuditQuery(
            since: UnixTime(seconds: F.start.seconds, nanoseconds: 40_000_000),
            until: UnixTime(seconds: F.start.seconds, nanoseconds: 130_000_000), subject: "user-2"),
    ]

    /// Every query's rows, whole and in pages of 5 (following cursors, which must agree).
    private func answers(_ store: AuditStore) throws -> [[AuditQueryRow]] {
        try Self.queries.map { query in
            let whole = try store.query(query, limit: 1000).rows
            var paged: [AuditQueryRow] = []
            var cursor: AuditCursor?
            repeat {
                let page = try store.query(query, after: cursor, limit: 5)
                paged += page.rows
                cursor = page.next
            } while cursor != nil
            #expect(paged == whole, "\(query)")
            return whole
        }
    }

    /// The rows every query should give: the records in (time, instance, seq) order, filtered in Swift.
    private func expected(_ records: [(seq: UInt64, record: AuditRecord)]) -> [[UInt64]] {
        Self.queries.map { query in
            records.filter { _, record in
                guard case .decision(let entry) = record.entry else { return false }
                let fields: [(String?, String)] = [
                    (query.subject, entry.caller.subject ?? "\u{0}"),
                    (query.xroadClient, entry.caller.xroadClient ?? "\u{0}"),
                    (query.spiffeID, entry.caller.spiffeID ?? "\u{0}"), (query.decision, entry.decision.rawValue),
                    (query.id, record.id),
                ]
                let inRange =
                    (query.since.map { record.time.nanosecondsSinceEpoch >= $0.nanosecondsSinceEpoch } ?? true)
                    && (query.until.map { record.time.nanosecondsSinceEpoch < $0.nanosecondsSinceEpoch } ?? true)
                return inRange && fields.allSatisfy { filter, value in filter.map { Self.matches(value, $0) } ?? true }
            }.map(\.seq)
        }
    }

    /// `*` as a wildcard, as the query's GLOB reads it (the patterns here have no other specials).
    private static func matches(_ value: String, _ pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return value == pattern }
        guard value.hasPrefix(parts[0]), value.hasSuffix(parts[parts.count - 1]),
            value.count >= parts[0].count + parts[parts.count - 1].count
        else { return false }
        var rest = Substring(value.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
        for part in parts.dropFirst().dropLast() {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    @Test("Queries by subject, SPIFFE ID and X-Road client give exactly the matching records, keyed or not")
    func queriesOverCallerKeys() throws {
        try withTemporaryDirectory("audit-callers") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            let records = (0..<200).map { (seq: UInt64($0), record: Self.decision($0)) }
            for (_, record) in records { #expect(writer.offer(record) == .accepted) }
            writer.flush()
            #expect(try store.keyedSize(of: "gh-1") == 0)
            let unkeyed = try self.answers(store)
            #expect(unkeyed.map { $0.map(\.seq) } == self.expected(records))
            // Only the query for a subject no record has is empty.
            #expect(unkeyed.map(\.isEmpty) == Self.queries.map { $0.subject == "nobody" })
            writer.shutdown()
            #expect(try store.keyedSize(of: "gh-1") == 200)
            #expect(try self.answers(store) == unkeyed)
            // One caller key row per record that names a caller, one callers row per distinct caller.
            let (keyRows, callers) = try store.pool.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM records_caller"),
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM callers")
                )
            }
            let named = records.filter { AuditKeyRow($0.record, seq: $0.seq).caller != nil }
            #expect(keyRows == named.count)
            #expect(callers == Set(named.map { AuditKeyRow($0.record, seq: $0.seq).caller }).count)
            let plan = try store.plan(for: AuditQuery(subject: "user-3")).joined(separator: "; ")
            #expect(plan.contains("callers_subject"))
            #expect(plan.contains("records_caller USING PRIMARY KEY (caller=?"))
            #expect(!plan.contains("TEMP B-TREE"))
            // More callers than are walked one by one (user-0…6 with every X-Road client and SPIFFE
            // ID): one walk of all of them, sorted.
            let many = try store.plan(for: AuditQuery(subject: "user-*")).joined(separator: "; ")
            #expect(many.contains("records_caller") && many.contains("TEMP B-TREE"))
        }
    }

    /// Turns the v4 store at `source` into the store the previous schema (v3, a text key table per
    /// caller field) would hold for the same writes: a database migrated up to v3, the same records,
    /// nodes, checkpoints and watermark, and the text key tables filled from the keyed records'
    /// bodies as v3's key step filled them.
    private func makeV3Store(from source: String, at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try AuditStoreSchema.migrator.migrate(queue, upTo: "v3-derived-columns-off-the-insert-path")
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS source", arguments: [source])
            try db.inTransaction {
                for table in ["records", "nodes", "checkpoints", "anchors", "records_indexed"] {
                    try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM source.\(table)")
                }
                for table in AuditStoreKeys.textTables {
                    let list = table.columns.joined(separator: ", ")
                    let derived = table.columns.map { AuditStoreSchema.derived($0) }
                    try db.execute(
                        sql: """
                            INSERT INTO main.\(table.name) (\(list)) SELECT \(derived.joined(separator: ", "))
                            FROM main.records_indexed AS w CROSS JOIN main.records AS r
                            ON r.instance = w.instance AND r.seq < w.next WHERE \(derived[0]) IS NOT NULL
                            """)
                }
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE source")
        }
        try queue.close()
    }

    @Test(
        "A store of the text-key schema (v3) opens, migrates to one caller key, verifies, and answers queries the same"
    )
    func migratesV3Store() throws {
        try withTemporaryDirectory("audit-callers-v3") { directory in
            let written = directory.appendingPathComponent("written.db").path
            let path = directory.appendingPathComponent("decisions.db").path
            let signer = AuditVerifierTests.signer(Self.key)
            // 150 records keyed at shutdown, then 40 more written and not keyed (as after a kill -9).
            let first = try AuditWriter(store: AuditStore(path: written), instance: "gh-1", signer: signer)
            for index in 0..<150 { _ = first.offer(Self.decision(index)) }
            first.shutdown()
            let second = try AuditWriter(store: AuditStore(path: written), instance: "gh-1", signer: signer)
            for index in 150..<190 { _ = second.offer(Self.decision(index)) }
            second.flush()
            try self.makeV3Store(from: written, at: path)

            // Read-only, the v3 store is not upgraded: its queries walk its text key tables.
            let old = try AuditStore(path: path, readOnly: true)
            #expect(!old.hasCallerKeys)
            #expect(try old.keyedSize(of: "gh-1") == 150)
            #expect(try old.plan(for: AuditQuery(subject: "user-3")).joined().contains("records_subject"))
            let before = try self.answers(old)
            let records = (0..<190).map { (seq: UInt64($0), record: Self.decision($0)) }
            #expect(before.map { $0.map(\.seq) } == self.expected(records))

            // Opened for writing, it migrates: one caller key, the text key tables gone, the same answers.
            let store = try AuditStore(path: path)
            #expect(store.hasCallerKeys)
            let tables = try store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            }
            #expect(
                tables.filter { $0.hasPrefix("records_") } == [
                    "records_caller", "records_id", "records_indexed", "records_time",
                ])
            let keyRows = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM records_caller") }
            #expect(keyRows == records.prefix(150).filter { AuditKeyRow($0.record, seq: $0.seq).caller != nil }.count)
            #expect(try store.keyedSize(of: "gh-1") == 150)
            #expect(try self.answers(store) == before)
            #expect(try self.answers(AuditStore(path: written, readOnly: true)) == before)

            // `audit verify` checks what it checked: every record, every signed checkpoint.
            let verified = try AuditVerifier(store: AuditStore(path: path, readOnly: true)) { instance in
                try AuditVerifierKey(name: "gatehouse.audit/\(instance)", publicKey: Self.key.verifierKey.publicKey)
            }.verify()
            try #require(verified.count == 1)
            #expect(verified[0].isIntact, "\(verified[0].problem.map(String.init(describing:)) ?? "")")
            #expect(verified[0].size == 190)

            // A writer resumes on the migrated store: it keys the tail from the bodies, then its own.
            let third = try AuditWriter(store: store, instance: "gh-1", signer: signer)
            for index in 190..<230 { _ = third.offer(Self.decision(index)) }
            third.shutdown()
            #expect(try store.keyedSize(of: "gh-1") == 230)
            let all = (0..<230).map { (seq: UInt64($0), record: Self.decision($0)) }
            #expect(try self.answers(store).map { $0.map(\.seq) } == self.expected(all))
            let again = try AuditVerifier(store: AuditStore(path: path, readOnly: true)) { instance in
                try AuditVerifierKey(name: "gatehouse.audit/\(instance)", publicKey: Self.key.verifierKey.publicKey)
            }.verify()
            #expect(again.first?.isIntact == true)
            #expect(again.first?.size == 230)
        }
    }

    @Test("A caller is interned once: a restarted writer and the body path find the same id")
    func callersInternedOnce() throws {
        try withTemporaryDirectory("audit-callers-once") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let first = try AuditWriter(store: AuditStore(path: path), instance: "gh-1", signer: F.signer)
            for index in 0..<30 { _ = first.offer(F.decision(index, subject: "alice", xroad: "EE/GOV/1/sub")) }
            first.shutdown()
            // A new store object (an empty map of known callers) keys the same caller again.
            let store = try AuditStore(path: path)
            let second = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            for index in 30..<60 { _ = second.offer(F.decision(index, subject: index % 2 == 0 ? "alice" : "")) }
            second.shutdown()
            let callers = try store.pool.read { db in
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT quote(subject) || '|' || quote(spiffe_id) || '|' || quote(xroad_client) FROM callers ORDER BY caller"
                )
            }
            #expect(callers == ["'alice'|NULL|'EE/GOV/1/sub'", "'alice'|NULL|NULL", "''|NULL|NULL"])
            #expect(try store.query(AuditQuery(subject: "alice"), limit: 100).rows.count == 45)
            #expect(
                try store.query(AuditQuery(subject: ""), limit: 100).rows.map(\.seq)
                    == Array(stride(from: 31, to: 60, by: 2)))
        }
    }
}
