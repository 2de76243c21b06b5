import Foundation
import GatehouseAudit
import GatehouseAuditPostgres
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The schema's migrations against the real PostgreSQL: a store made by the first release (v1,
/// text-keyed indexes) moves to the integer query keys (v2) and the one caller key (v3) with its
/// rows, and every kind of query reads an index afterwards.
@Suite("PostgreSQL decision store schema", .bug(id: "14"), .timeLimit(.minutes(2)))
struct PostgresAuditSchemaTests {
    private typealias F = PostgresAuditFixture

    /// Rows made the way v1 stored them, in SQL: two instances whose times interleave (`old-2` a
    /// microsecond after `old-1`), 100 subjects (one record in 200 has none), 125 SPIFFE IDs, 160
    /// X-Road clients, bodies as long as a decision's: each key matches about 1 % of the rows but
    /// more than a page, so its page is an index scan in order that stops early.
    private static let v1Rows = """
        INSERT INTO gatehouse_audit.records
            (instance, seq, body, id, time, kind, decision, subject, spiffe_id, xroad_client)
        SELECT instance, g, repeat('x', 600), md5(instance || g), time, 'decision', 'allow',
            CASE WHEN g % 200 <> 199 THEN 'user-' || g % 100 END,
            'spiffe://gov.example/sa/' || g % 125, 'EE/GOV/' || g % 160 || '/portal'
        FROM generate_series(0, 9999) AS g,
            LATERAL (VALUES ('old-1', 0), ('old-2', 1)) AS i(instance, offset_us),
            LATERAL (SELECT to_char(timestamp '2026-12-06 00:00:00' + (g * 1000 + offset_us) * interval '1 us',
                'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z' AS time) AS t
        """

    @Test(
        "A v1 store migrates to the integer keys and one caller key: rows keep their order and are found through the new indexes"
    )
    func migratesFromV1() async throws {
        try await withPostgresDatabase("audit_schema") { database in
            let v1 = try #require(PostgresAuditSchema.migrations.first)
            #expect(v1.name == "v1-records-nodes-checkpoints")
            try await database.server.psql(
                """
                CREATE SCHEMA gatehouse_audit;
                CREATE TABLE gatehouse_audit.migrations (
                    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                \(v1.statements.joined(separator: ";\n"));
                INSERT INTO gatehouse_audit.migrations (name) VALUES ('\(v1.name)');
                \(Self.v1Rows);
                """, database: database.name)
            // A reader does not migrate, and says what to do.
            try await offPool {
                let error = #expect(throws: AuditError.self) { try F.store(database, readOnly: true) }
                #expect(error?.code == .storeUnavailable)
                #expect(
                    error?.message.contains("missing migration 'v2-integer-query-keys'") == true,
                    "\(String(describing: error))")
            }
            // Opening the store for writing applies v2 and v3.
            try await offPool { try F.store(database).close() }
            let check = { (sql: String) in
                try await database.server.psql(sql, database: database.name).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            }
            #expect(
                try await check(
                    """
                    SELECT count(*) FROM gatehouse_audit.records r LEFT JOIN gatehouse_audit.callers c ON c.id = r.caller_id
                    WHERE r.time_key IS NULL OR c.id IS NULL
                        OR c.subject IS DISTINCT FROM CASE WHEN r.seq % 200 <> 199 THEN 'user-' || r.seq % 100 END
                        OR c.spiffe_id IS DISTINCT FROM 'spiffe://gov.example/sa/' || r.seq % 125
                        OR c.xroad_client IS DISTINCT FROM 'EE/GOV/' || r.seq % 160 || '/portal'
                        OR c.subject_key IS DISTINCT FROM hashtextextended(c.subject, 0)
                        OR c.spiffe_key <> hashtextextended(c.spiffe_id, 0) OR c.xroad_key <> hashtextextended(c.xroad_client, 0)
                    """) == "0")
            // The caller digest is SHA-256 of each field's byte length and bytes (a backslash is itself).
            #expect(
                try await check(
                    #"SELECT gatehouse_audit.caller_digest('a\b', 'é', NULL) = sha256(convert_to('+3:a\b+2:é-', 'UTF8'))"#
                )
                    == "t")
            // One row a distinct caller: the v1 rows' (subject, SPIFFE ID, X-Road client) repeat every 4,000 (lcm of 200, 125, 160).
            #expect(try await check("SELECT count(*) FROM gatehouse_audit.callers") == "4000")
            #expect(
                try await check(
                    """
                    SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes
                    WHERE schemaname = 'gatehouse_audit' AND tablename = 'records'
                    """)
                    == "records_caller,records_id,records_pkey,records_time_key"
            )
            // A body edited by hand: the trigger derives its columns, time key and caller again.
            _ = try await check(
                """
                UPDATE gatehouse_audit.records SET body = '{"subject":"edited","time":"2026-12-05T23:59:59.000000000Z"}'
                WHERE instance = 'old-1' AND seq = 0
                """)
            #expect(
                try await check(
                    """
                    SELECT c.subject = 'edited' AND c.subject_key = hashtextextended('edited', 0)
                        AND r.time_key = 202612052359590000 AND c.spiffe_id IS NULL AND c.spiffe_key IS NULL
                    FROM gatehouse_audit.records r JOIN gatehouse_audit.callers c ON c.id = r.caller_id
                    WHERE r.instance = 'old-1' AND r.seq = 0
                    """) == "t")

            try await offPool {
                let store = try F.store(database)
                defer { store.close() }
                try Self.expectPagesInOrder(store, AuditQuery(subject: "user-13"), count: 2 * 100)
                try Self.expectPagesInOrder(store, AuditQuery(subject: "edited"), count: 1)
                try Self.expectPagesInOrder(store, AuditQuery(spiffeID: "spiffe://gov.example/sa/7"), count: 2 * 80)
                try Self.expectPagesInOrder(store, AuditQuery(xroadClient: "EE/GOV/3/portal"), count: 2 * 63)
                let since = UnixTime(seconds: 1_796_515_200 + 9, nanoseconds: 500_000_000)
                try Self.expectPagesInOrder(store, AuditQuery(since: since), count: 2 * 500)
                // Pages of one and two rows through a subject between two times: `old-2`'s record
                // shares each time key (100 µs) with `old-1`'s, and `since` is a record's own time,
                // so rows at the cursor's, since's and until's keys must be found beyond the bound.
                var window = AuditQuery(subject: "user-13")
                window.since = UnixTime(seconds: 1_796_515_200 + 9, nanoseconds: 613_000_000)
                window.until = UnixTime(seconds: 1_796_515_200 + 9, nanoseconds: 913_000_000)
                for limit in [1, 2, 3] {
                    try Self.expectPagesInOrder(store, window, count: 2 * 3, limit: limit)
                }
                var other = AuditQuery(subject: "user-1*")
                other.instance = "old-2"
                try Self.expectPagesInOrder(store, other, count: 11 * 100, limit: 250)
                // What each query reads: the caller key's index for a filter on the caller, the time
                // key's in order otherwise (a page stops early). The migration's ANALYZE makes the plans.
                let plans: [(AuditQuery, String)] = [
                    (AuditQuery(subject: "user-13"), "records_caller"),
                    (AuditQuery(spiffeID: "spiffe://gov.example/sa/7"), "records_caller"),
                    (AuditQuery(xroadClient: "EE/GOV/3/portal"), "records_caller"),
                    // 440 callers: beyond the store's 64, the time index is walked, each row's caller tested.
                    (AuditQuery(subject: "user-1*"), "Index Scan using records_time_key"),
                    (AuditQuery(), "Index Scan using records_time_key"),
                    (AuditQuery(since: since), "Index Scan using records_time_key"),
                    (AuditQuery(id: "x"), "records_id"),
                ]
                for (query, index) in plans {
                    let plan = try store.plan(for: query).joined(separator: "; ")
                    #expect(plan.contains(index), "\(query): \(plan)")
                }
                // A page deep into a subject: each of its callers' entries read from the index
                // just past the cursor, cut at a page (a LIMIT over each caller's scan), not all
                // that remain sorted.
                let deep = try store.query(AuditQuery(subject: "user-13"), limit: 150)
                let lines = try store.plan(for: AuditQuery(subject: "user-13"), after: try #require(deep.next))
                let scan = try #require(lines.firstIndex { $0.contains("using records_caller on records r") })
                #expect(scan > 0 && lines[scan - 1].contains("Limit"), "\(lines.joined(separator: "; "))")
                #expect(lines[scan + 1].contains("Index Cond: ((caller_id = c.id) AND (time_key > "), "\(lines)")

                // The migrated store takes a writer's records beside the old ones, and verifies them.
                try store.lock(instance: "gh-1")
                let writer = try F.writer(store, "gh-1")
                for index in 0..<300 { _ = writer.offer(F.decision(index, subject: "user-13")) }
                writer.shutdown()
                let result = try #require(try F.verifier(store).verify().first { $0.instance == "gh-1" })
                #expect(result.isIntact, "\(result.problem.map(String.init(describing:)) ?? "")")
                #expect(result.size == 300)
                try Self.expectPagesInOrder(store, AuditQuery(subject: "user-13"), count: 2 * 100 + 300)
            }
        }
    }

    @Test("A time not in the log's fixed-width form is refused, not given a key that would misorder it")
    func refusesMalformedTime() async throws {
        try await withPostgresDatabase("audit_schema_time") { database in
            try await offPool { try F.store(database).close() }
            await #expect(throws: TestPostgres.Failure.self) {
                try await database.server.psql(
                    "INSERT INTO gatehouse_audit.records (instance, seq, body, time, time_key) "
                        + "VALUES ('x', 0, '{}', 'yesterday', gatehouse_audit.time_key('yesterday'))",
                    database: database.name)
            }
            let key = try await database.server.psql(
                "SELECT gatehouse_audit.time_key('2026-12-06T00:35:12.123456789Z')", database: database.name)
            #expect(key.trimmingCharacters(in: .whitespacesAndNewlines) == "202612060035121234")
        }
    }

    /// Reads `query` `limit` rows a page and expects `count` rows in (time, instance, seq) order,
    /// each one `query` asked for.
    private static func expectPagesInOrder(
        _ store: PostgresAuditStore, _ query: AuditQuery, count: Int, limit: Int = 37
    ) throws {
        var rows: [AuditQueryRow] = []
        var cursor: AuditCursor?
        repeat {
            let page = try store.query(query, after: cursor, limit: limit)
            #expect(page.rows.count == limit || page.next == nil, "\(query): a short page before the end")
            rows += page.rows
            cursor = page.next
        } while cursor != nil
        #expect(rows.count == count, "\(query)")
        let order = rows.map(\.cursor)
        #expect(order == order.sorted { ($0.time, $0.instance, $0.seq) < ($1.time, $1.instance, $1.seq) }, "\(query)")
        #expect(Set(order.map { "\($0.instance)/\($0.seq)" }).count == count, "\(query)")
        if let since = query.since {
            #expect(rows.allSatisfy { $0.time >= AuditLeafTime.format(since) })
        }
        if let until = query.until {
            #expect(rows.allSatisfy { $0.time < AuditLeafTime.format(until) })
        }
        if let instance = query.instance {
            #expect(rows.allSatisfy { $0.instance == instance })
        }
    }
}
