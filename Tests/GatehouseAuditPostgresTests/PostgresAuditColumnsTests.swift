import GatehouseAudit
import GatehouseAuditPostgres
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The query columns the store reads from each body itself (instead of PostgreSQL parsing every
/// body) must be exactly what PostgreSQL's `body::jsonb ->> key` gives, for every record.
@Suite("PostgreSQL decision store: query columns", .bug(id: "14"), .timeLimit(.minutes(2)))
struct PostgresAuditColumnsTests {
    private typealias F = PostgresAuditFixture

    /// Rows of `gatehouse_audit.records` whose query columns (the caller's fields through its
    /// `callers` row) or time key differ from PostgreSQL's reading of their body, and all rows.
    private static func disagreements(_ database: TestPostgres.Database) async throws -> (differ: Int, rows: Int) {
        let columns = AuditRecordColumns.derived
        let callerFields = ["subject", "spiffe_id", "xroad_client"]
        let stored = columns.map { (callerFields.contains($0.name) ? "c." : "r.") + $0.name }.joined(separator: ", ")
        let parsed = columns.map { "r.body::jsonb ->> '\($0.key)'" }.joined(separator: ", ")
        let output = try await database.server.psql(
            """
            SELECT count(*) FILTER (WHERE (\(stored), r.time_key) IS DISTINCT FROM (\(parsed), gatehouse_audit.time_key(r.time)))
                || ' ' || count(*)
            FROM gatehouse_audit.records r LEFT JOIN gatehouse_audit.callers c ON c.id = r.caller_id
            """, database: database.name)
        let numbers = output.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        return (numbers.first ?? -1, numbers.last ?? -1)
    }

    @Test("Escapes, control characters, non-ASCII text and every record kind: the columns equal body::jsonb ->> key")
    func writerRecords() async throws {
        let awkward = "a\"b\\c\nd\te\u{1}f/é😀\u{7F}"
        try await withPostgresDatabase("audit_columns") { database in
            try await offPool {
                let store = try F.store(database)
                defer { store.close() }
                try store.lock(instance: "gh-1")
                let writer = try F.writer(store, "gh-1")
                let caller = AuditedCaller(
                    spiffeID: "spiffe://gov.example/\(awkward)", xroadClient: "EE/GOV/\(awkward)",
                    issuer: "https://idp", subject: awkward,
                    claims: ["azp": "\"portal\"", "nested": "{\"subject\":\"x\"}"])
                let entries: [AuditRecord.Entry] = [
                    .decision(
                        DecisionEntry(
                            decision: .deny, status: 403, reason: "rule_denied", reasonDetail: awkward,
                            policy: "civil-registry", policyRevision: "r\(awkward)", rule: awkward, method: "GET",
                            host: "h\(awkward)", path: "/births/\(awkward)?x=***", caller: caller)),
                    .decision(
                        DecisionEntry(
                            decision: .allow, status: 200, reason: "allowed", policyRevision: "r1", method: "GET",
                            host: "civil-registry.gov.example", path: "/")),
                    .admin(AdminEntry(actor: awkward, role: nil, action: "notify", outcome: "ok", status: 200)),
                    .activation(
                        ActivationEntry(
                            revision: "sha256:\(awkward)", source: "watch", trigger: "file", outcome: "active",
                            durationMilliseconds: 3)),
                ]
                for (index, entry) in entries.enumerated() {
                    _ = writer.offer(AuditRecord(id: "id-\(index)-\(awkward)", time: F.start, entry: entry))
                }
                writer.shutdown()
                let found = try store.query(AuditQuery(subject: awkward), after: nil, limit: 10).rows
                #expect(found.count == 1 && found.first?.seq == 0)
                #expect(try store.record(id: "id-2-\(awkward)")?.seq == 2)
            }
            let check = try await Self.disagreements(database)
            #expect(check.rows == 4)
            #expect(check.differ == 0)
        }
    }

    @Test("A NUL in a value is stored, not lost to a gap: the body keeps it, the query column holds U+FFFD")
    func nulInValues() async throws {
        try await withPostgresDatabase("audit_columns_nul") { database in
            try await offPool {
                let store = try F.store(database)
                defer { store.close() }
                try store.lock(instance: "gh-nul")
                let writer = try F.writer(store, "gh-nul")
                let caller = AuditedCaller(issuer: "https://idp", subject: "a\u{0}b", claims: ["x": "\"n\\u0000l\""])
                let entry = DecisionEntry(
                    decision: .deny, status: 403, reason: "rule_denied", reasonDetail: "detail\u{0}",
                    policyRevision: "r1",
                    method: "GET", host: "h", path: "/p\u{0}", caller: caller)
                _ = writer.offer(AuditRecord(id: "nul-1", time: F.start, entry: .decision(entry)))
                _ = writer.offer(F.decision(1, subject: "after"))
                writer.shutdown()
                #expect(try store.query(AuditQuery(kind: "gap"), after: nil, limit: 10).rows.isEmpty)
                let found = try store.query(AuditQuery(subject: "a\u{FFFD}b"), after: nil, limit: 10).rows
                #expect(found.map(\.seq) == [0])
                #expect(found.first?.body.contains(#""subject":"a\u0000b""#) == true)
                #expect(try store.query(AuditQuery(subject: "after"), after: nil, limit: 10).rows.map(\.seq) == [1])
                let result = try #require(try F.verifier(store).verify().first)
                #expect(result.isIntact, "\(result.problem.map(String.init(describing:)) ?? "")")
                #expect(result.size == 2)
            }
        }
    }

    @Test("Bodies the store's reader does not cover are left to PostgreSQL, which derives the same columns")
    func handMadeBodies() async throws {
        try await withPostgresDatabase("audit_columns_hand") { database in
            try await offPool {
                let store = try F.store(database)
                defer { store.close() }
                let batches: [[String]] = [
                    // Covered: absent keys (NULL), JSON null, a repeated key (the last counts), nested
                    // objects and arrays holding column keys, whitespace, \u escapes with a surrogate pair.
                    [
                        #"{"id":"a","time":"2026-12-06T10:00:00.000000000Z","id":"b","subject":null,"kind":"decision","x":{"subject":"no","y":[1,{"z":"]"}]}}"#,
                        #" { "id" : "c" , "time":"2026-12-06T10:00:00.000000000Z","path" : "/\u00e9\ud83d\ude00\/\"" , "n" : -1.5e3 , "t" : true } "#,
                    ],
                    // A column's key with a number: PostgreSQL's text of it.
                    [#"{"id":"d","time":"2026-12-06T10:00:00.000000000Z","rule":7,"status":200}"#],
                    // An escaped key names a column.
                    [#"{"id":"e","time":"2026-12-06T10:00:00.000000000Z","sub\u006aect":"s"}"#],
                    // A column's key with an object.
                    [#"{"id":"f","time":"2026-12-06T10:00:00.000000000Z","reason":{"code":"x"}}"#],
                ]
                var seq: UInt64 = 0
                for bodies in batches {
                    try store.appendUnwrapped(
                        AuditBatch(instance: "gh-hand", firstSeq: seq, bodies: bodies.map { Array($0.utf8) }))
                    seq += UInt64(bodies.count)
                }
                #expect(try store.query(AuditQuery(subject: "s"), after: nil, limit: 10).rows.map(\.seq) == [3])
                #expect(try store.query(AuditQuery(id: "b"), after: nil, limit: 10).rows.map(\.seq) == [0])
                #expect(try store.query(AuditQuery(path: "/é😀/\""), after: nil, limit: 10).rows.map(\.seq) == [1])
                #expect(try store.query(AuditQuery(rule: "7"), after: nil, limit: 10).rows.map(\.seq) == [2])
            }
            let check = try await Self.disagreements(database)
            #expect(check.rows == 5)
            #expect(check.differ == 0)
        }
    }
}
