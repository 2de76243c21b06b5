import Foundation
import GatehouseTestSupport
import Testing

/// Issue #14 item 2 end to end: three real `gatehouse serve` replicas following one real
/// PostgreSQL (``TestPostgres``), one shared policy directory, notified through the admin API.
///
/// One test, three phases, so the suite starts three servers once: (1) notify one replica and
/// every replica activates the revision; (2) a replica cut off (its role refused logins and its
/// connections terminated) while a revision is published is active on it within a second of
/// reconnecting; (3) PostgreSQL gone for everyone under load (every connection to the database
/// terminated and new ones refused, as a restart looks to a client; the server itself is shared
/// by other suites, so it is not stopped): every check is answered, and notifications resume.
/// `deploy/bench/fleet-converge.sh` is the 50-notification run under h2load.
@Suite("Fleet through serve and PostgreSQL", .bug(id: "14"), .timeLimit(.minutes(4)))
struct FleetServeEndToEndTests {
    @Test(
        "3 replicas: notify one, all activate it; one cut off catches up within a second of reconnecting; PostgreSQL gone under load costs no check"
    )
    func fleetFollowsNotifications() async throws {
        try await withPostgresDatabase("fleet_serve") { database in
            try await withTemporaryDirectory("e2e-fleet-serve") { directory in
                let policies = directory.appendingPathComponent("policies")
                try FileManager.default.copyItem(at: Provisioning.fixturePolicies, to: policies)
                // Each replica logs in as its own role, so one can be cut off alone.
                let suffix = String(database.name.suffix(8))
                let roles = (1...3).map { "fleet_r\($0)_\(suffix)" }
                for role in roles {
                    try await database.server.psql("CREATE ROLE \(role) LOGIN SUPERUSER", database: database.name)
                }
                let replicas = try await Self.start(roles, directory: directory, policies: policies, database: database)
                do {
                    try await Self.phases(replicas, roles: roles, policies: policies, database: database)
                } catch {
                    for replica in replicas { await replica.process.terminate() }
                    throw error
                }
                for replica in replicas {
                    #expect(await replica.process.terminate() == 0, "\(replica.name) exits cleanly")
                }
            }
        }
    }

    private static func phases(
        _ replicas: [FleetReplicaServer], roles: [String], policies: URL, database: TestPostgres.Database
    ) async throws {
        try await FleetCalls.eventually("every replica listens") {
            try await FleetCalls.statuses(replicas).allSatisfy { $0.fleet?.listening == true }
        }

        // 1. Notify one replica: every replica activates the revision, through the fleet.
        try FleetCalls.edit(policies, revision: 1)
        let notified = ContinuousClock.now
        let first = try await replicas[0].notify()
        #expect(first.outcome == "activated", "\(first)")
        let revision1 = try #require(first.revision)
        try await FleetCalls.eventually("every replica on \(revision1)") {
            try await FleetCalls.statuses(replicas).allSatisfy { $0.active?.revision == revision1 }
        }
        print("fleet serve: notify → 3 replicas active in \(ContinuousClock.now - notified)")
        let follower = try await replicas[1].status()
        #expect(follower.active?.trigger == "fleet", "a follower activates it as the fleet's revision")
        #expect(follower.active?.digest == follower.fleet?.desired?.digest)
        try await FleetCalls.eventually("every replica reported \(revision1)") {
            let reports = try await replicas[2].status().fleet?.replicas ?? []
            return reports.count == 3 && reports.allSatisfy { $0.onDesired && $0.revision == revision1 }
        }

        // 2. Cut one replica off while a revision is published; it catches up on reconnecting.
        let cut = replicas[2]
        try await database.server.psql(
            """
            ALTER ROLE \(roles[2]) NOLOGIN;
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '\(roles[2])'
            """, database: "postgres")
        try await FleetCalls.eventually("\(cut.name) stops listening") {
            try await cut.status().fleet?.listening == false
        }
        try FleetCalls.edit(policies, revision: 2)
        let second = try await replicas[0].notify()
        #expect(second.outcome == "activated", "\(second)")
        let revision2 = try #require(second.revision)
        try await FleetCalls.eventually("the connected replicas on \(revision2)") {
            try await FleetCalls.statuses(Array(replicas[0...1])).allSatisfy { $0.active?.revision == revision2 }
        }
        #expect(try await cut.status().active?.revision == revision1, "cut off, it missed the notification")
        try await database.server.psql("ALTER ROLE \(roles[2]) LOGIN", database: "postgres")
        let allowed = ContinuousClock.now
        let caughtUp = try await FleetCalls.catchUp(cut, to: revision2)
        print(
            "fleet serve: the cut-off replica active on the missed revision \(caughtUp) after it was seen listening again, \(ContinuousClock.now - allowed) after logins were allowed (reconnect backoff at most 1 s)"
        )
        #expect(caughtUp < .seconds(1))

        // 3. PostgreSQL gone under load: every check answered, every admin call answered within its
        // bound (a notify activates here and says the fleet was not told); notifications resume after.
        // The check loops run on a thread of their own, not the test process's two cooperative
        // threads, and each sends at least its share however starved the machine is.
        let stop = StopFlag()
        let executor = DedicatedThreadExecutor(label: "fleet-serve-load")
        let samples = try await withThrowingTaskGroup(of: [ReloadUnderLoadTests.Sample].self) { group in
            for (index, replica) in replicas.enumerated() {
                group.addTask(executorPreference: executor) {
                    try await GatehouseClient.with(port: replica.grpcPort) { client in
                        await ReloadUnderLoadTests.checkLoop(client, index: index, until: stop, atLeast: 120)
                    }
                }
            }
            do {
                try await Self.outage(replicas, policies: policies, database: database)
                try FleetCalls.edit(policies, revision: 3)
                let third = try await FleetCalls.promptly("notify after the outage") { try await replicas[1].notify() }
                #expect(third.outcome == "activated", "\(third)")
                let revision3 = try #require(third.revision)
                try await FleetCalls.eventually("every replica on \(revision3) after the outage") {
                    try await FleetCalls.statuses(replicas).allSatisfy { $0.active?.revision == revision3 }
                }
            } catch {
                stop.raise()
                throw error
            }
            stop.raise()
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let failed = samples.filter { $0.revision == nil }
        print("fleet serve: \(samples.count) checks across the outage, \(failed.count) failed")
        #expect(samples.count >= 360, "too little load to judge")
        #expect(failed.isEmpty, "failed checks: \(failed.prefix(5).compactMap(\.error))")
    }

    /// Every connection to the database ended and new ones refused until the replicas noticed; a
    /// notify meanwhile; then allowed again.
    private static func outage(
        _ replicas: [FleetReplicaServer], policies: URL, database: TestPostgres.Database
    ) async throws {
        try await database.server.psql(
            """
            ALTER DATABASE \(database.name) ALLOW_CONNECTIONS false;
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database.name)'
            """, database: "postgres")
        do {
            try await FleetCalls.eventually("no replica listens") {
                try await FleetCalls.statuses(replicas).allSatisfy { $0.fleet?.listening == false }
            }
            // What hung a CI run: the fleet's publish (and the status's reads) waiting on a pool that
            // cannot connect. The revision is active here and the answer says the fleet was not told.
            let before = try await replicas[0].status().active?.revision
            try FleetCalls.edit(policies, revision: 30)
            let during = try await FleetCalls.promptly("notify while PostgreSQL refuses") {
                try await replicas[0].notify()
            }
            #expect(during.outcome == "refused" && during.failure?.code == "fleet_publish_failed", "\(during)")
            let status = try await FleetCalls.promptly("status while PostgreSQL refuses") {
                try await replicas[0].status()
            }
            #expect(status.active?.revision != before, "the notified replica activated the new revision itself")
            #expect(status.fleet?.error != nil, "the fleet block says PostgreSQL did not answer")
        } catch {
            try? await database.server.psql(
                "ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true", database: "postgres")
            throw error
        }
        try await database.server.psql("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true", database: "postgres")
        // Listening again, and the status's own reads answered (the pool reconnected too).
        try await FleetCalls.eventually("every replica listens again") {
            try await FleetCalls.statuses(replicas).allSatisfy { $0.fleet?.listening == true && $0.fleet?.error == nil }
        }
    }

    /// Starts one replica per role, in parallel, named `r1`…, in name order.
    private static func start(
        _ roles: [String], directory: URL, policies: URL, database: TestPostgres.Database
    ) async throws -> [FleetReplicaServer] {
        try await withThrowingTaskGroup(of: FleetReplicaServer.self) { group in
            for (index, role) in roles.enumerated() {
                group.addTask {
                    try await FleetReplicaServer.start(
                        name: "r\(index + 1)", directory: directory.appendingPathComponent("r\(index + 1)"),
                        policies: policies,
                        fleetURL:
                            "postgres://\(role)@127.0.0.1:\(database.server.port)/\(database.name)?sslmode=disable")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.name < $1.name }
        }
    }
}
