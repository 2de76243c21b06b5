import Foundation
import GatehouseTestSupport
import Testing

/// Issue #14, Reliability: PostgreSQL itself restarted mid-run under load. Three real `gatehouse
/// serve` replicas keep both their fleet (`fleet.postgres`) and their decision log (`audit.store`)
/// in a PostgreSQL of this test's own (``TestPostgres/makePrivate()``), which is stopped with a
/// fast shutdown (`pg_ctl stop -m fast`'s SIGINT) and started again on the same port while checks
/// flow. One replica's role is refused logins across the restart, so a revision is published
/// while it is cut off.
@Suite("Fleet across a PostgreSQL restart", .bug(id: "14"), .timeLimit(.minutes(4)))
struct FleetRestartEndToEndTests {
    @Test(
        "Checks answered across a restart; gaps recorded, nothing duplicated, every tree verifies; locks re-taken; the cut-off replica catches up on reconnecting"
    )
    func restartUnderLoad() async throws {
        let server = try await TestPostgres.makePrivate()
        let database = try await server.makeDatabase("fleet_restart")
        let restarted = try await withTemporaryDirectory("e2e-fleet-restart") { directory in
            let policies = directory.appendingPathComponent("policies")
            try FileManager.default.copyItem(at: Provisioning.fixturePolicies, to: policies)
            let roles = (1...3).map { "restart_r\($0)" }
            for role in roles { try await server.psql("CREATE ROLE \(role) LOGIN SUPERUSER", database: database.name) }
            let urls = roles.map {
                "postgres://\($0)@127.0.0.1:\(server.port)/\(database.name)?sslmode=disable"
            }
            let replicas = try await withThrowingTaskGroup(of: FleetReplicaServer.self) { group in
                for (index, url) in urls.enumerated() {
                    group.addTask {
                        try await FleetReplicaServer.start(
                            name: "r\(index + 1)", directory: directory.appendingPathComponent("r\(index + 1)"),
                            policies: policies, fleetURL: url, auditStore: url)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.name < $1.name }
            }
            let restarted: TestPostgres
            do {
                restarted = try await Self.run(
                    replicas, roles: roles, policies: policies, server: server, database: database)
            } catch {
                for replica in replicas { await replica.process.terminate() }
                throw error
            }
            // SIGTERM: each drains its log into PostgreSQL and signs a final checkpoint.
            for replica in replicas {
                #expect(await replica.process.terminate() == 0, "\(replica.name) exits cleanly")
            }
            try await Self.audit(replicas, url: urls[0], directory: directory, server: restarted, database: database)
            return restarted
        }
        try await restarted.stopFast()
    }

    /// The restart under load; returns the server as restarted.
    private static func run(
        _ replicas: [FleetReplicaServer], roles: [String], policies: URL, server: TestPostgres,
        database: TestPostgres.Database
    ) async throws -> TestPostgres {
        try await FleetCalls.eventually("every replica listens") {
            try await FleetCalls.statuses(replicas).allSatisfy { $0.fleet?.listening == true }
        }
        let stop = StopFlag()
        let executor = DedicatedThreadExecutor(label: "fleet-restart-load")
        return try await withThrowingTaskGroup(of: [ReloadUnderLoadTests.Sample].self) { group in
            for (index, replica) in replicas.enumerated() {
                group.addTask(executorPreference: executor) {
                    try await GatehouseClient.with(port: replica.grpcPort) { client in
                        await ReloadUnderLoadTests.checkLoop(client, index: index, until: stop, atLeast: 100)
                    }
                }
            }
            let restarted: TestPostgres
            do {
                restarted = try await Self.restart(replicas, roles: roles, policies: policies, server: server)
            } catch {
                stop.raise()
                throw error
            }
            stop.raise()
            let samples = try await group.reduce(into: []) { $0 += $1 }
            let failed = samples.filter { $0.revision == nil }
            print("fleet restart: \(samples.count) checks across the restart, \(failed.count) failed")
            #expect(samples.count >= 300, "too little load to judge")
            #expect(failed.isEmpty, "failed checks: \(failed.prefix(5).compactMap(\.error))")
            // Every replica's writer takes its instance lock again on the new server (at its next write).
            try await FleetCalls.eventually("the three instance locks are held again") {
                let locks = try await restarted.psql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", database: database.name)
                return locks.trimmingCharacters(in: .whitespacesAndNewlines) == "3"
            }
            return restarted
        }
    }

    /// r3 refused logins, PostgreSQL stopped and started again, a revision published without r3, r3 let in.
    private static func restart(
        _ replicas: [FleetReplicaServer], roles: [String], policies: URL, server: TestPostgres
    ) async throws -> TestPostgres {
        let cut = replicas[2]
        // Its sessions live on until the restart ends them; afterwards it cannot log in.
        try await server.psql("ALTER ROLE \(roles[2]) NOLOGIN", database: "postgres")
        try await Task.sleep(for: .milliseconds(500))
        try await server.stopFast()
        try await FleetCalls.eventually("no replica listens") {
            try await FleetCalls.statuses(replicas).allSatisfy { $0.fleet?.listening == false }
        }
        // Checks keep coming while PostgreSQL is down: the logs count them into gaps.
        try await Task.sleep(for: .seconds(2))
        let restarted = try await server.restarted()
        // Listening again, and the status's own reads answered (the pool reconnected too).
        try await FleetCalls.eventually("r1 and r2 listen again") {
            try await FleetCalls.statuses(Array(replicas[0...1])).allSatisfy {
                $0.fleet?.listening == true && $0.fleet?.error == nil
            }
        }
        try FleetCalls.edit(policies, revision: 1)
        let published = try await FleetCalls.promptly("notify after the restart") { try await replicas[0].notify() }
        #expect(published.outcome == "activated", "\(published)")
        let revision = try #require(published.revision)
        try await FleetCalls.eventually("r1 and r2 on \(revision)") {
            try await FleetCalls.statuses(Array(replicas[0...1])).allSatisfy { $0.active?.revision == revision }
        }
        #expect(try await cut.status().active?.revision != revision, "cut off, it missed the publication")
        try await restarted.psql("ALTER ROLE \(roles[2]) LOGIN", database: "postgres")
        let caughtUp = try await FleetCalls.catchUp(cut, to: revision)
        print(
            "fleet restart: the cut-off replica active on the missed revision \(caughtUp) after it was seen listening")
        #expect(caughtUp < .seconds(1))
        return restarted
    }

    /// Every replica's tree verifies with its own key; no record is stored twice; the outage left gap records.
    private static func audit(
        _ replicas: [FleetReplicaServer], url: String, directory: URL, server: TestPostgres,
        database: TestPostgres.Database
    ) async throws {
        var keys: [String] = []
        for replica in replicas {
            let key = directory.appendingPathComponent("\(replica.name)/audit/key.pem").path
            let printed = try await ProcessRunner.run(
                Repository.gatehouse.path, ["audit", "public-key", "--key-file", key, "--instance", replica.name])
            #expect(printed.status == 0, "\(printed.combined)")
            keys += ["--key", printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        let verified = try await ProcessRunner.run(
            Repository.gatehouse.path, ["audit", "verify", "--store", url] + keys, timeout: .seconds(120))
        print("fleet restart: audit verify:\n\(verified.stdout)")
        #expect(verified.status == 0, "\(verified.combined)")
        for replica in replicas {
            #expect(verified.stdout.contains("\(replica.name): ok: "), "\(verified.stdout)")
        }
        let duplicates = try await server.psql(
            "SELECT count(*) - count(DISTINCT id) FROM gatehouse_audit.records", database: database.name)
        #expect(duplicates.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "duplicated records: \(duplicates)")
        let gaps = try await server.psql(
            """
            SELECT string_agg(instance || '=' || n, ' ' ORDER BY instance) FROM (
                SELECT instance, count(*) AS n FROM gatehouse_audit.records WHERE kind = 'gap' GROUP BY instance) g
            """, database: database.name)
        print("fleet restart: gap records per replica: \(gaps)")
        #expect(gaps.contains("r3="), "the replica cut off the longest recorded its loss: \(gaps)")
    }
}
