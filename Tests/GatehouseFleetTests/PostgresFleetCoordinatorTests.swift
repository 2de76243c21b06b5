import GatehouseCore
import GatehouseFleet
import GatehouseTestSupport
import Testing

/// The PostgreSQL coordinator against a real, throwaway PostgreSQL 15 (``TestPostgres``).
@Suite("PostgresFleetCoordinator")
struct PostgresFleetCoordinatorTests {
    @Test("A revision published on one replica reaches another; notification latency p50 and max printed")
    func publishReachesAnotherReplica() async throws {
        try await withPostgresDatabase("fleet_publish") { database in
            let publisher = try FleetTestHarness.coordinator("a", on: database)
            let follower = try FleetTestHarness.coordinator("b", on: database)
            try await FleetTestHarness.withRunning([publisher, follower]) { recorders in
                try await poll(until: "both listen") {
                    publisher.statistics.isListening && follower.statistics.isListening
                }
                var latencies: [Duration] = []
                for index in 1...20 {
                    let revision = FleetRevision(
                        revision: "rev-\(index)", digest: "sha256:\(index)", publishedBy: "admin")
                    let start = ContinuousClock.now
                    try await publisher.publish(revision)
                    let received = try await recorders[1].next(revision.revision)
                    latencies.append(ContinuousClock.now - start)
                    #expect(received.digest == revision.digest)
                    #expect(received.publishedBy == "admin")
                    #expect(received.publishedAt != nil)
                }
                latencies.sort()
                print(
                    "fleet publish → other replica's onDesired over 20 publishes: p50 \(latencies[10]), max \(latencies[19])"
                )
                #expect(latencies[19] < .seconds(5))
                #expect(follower.statistics.notifications >= 20)
                let desired = try #require(try await follower.desired())
                #expect(desired.revision == "rev-20" && desired.digest == "sha256:20")
                // The publisher follows its own publications too: every replica, the notified one included, converges.
                _ = try await recorders[0].next("rev-20")
            }
        }
    }

    @Test("A revision published while a replica was cut off is picked up on its reconnect, not by the timer")
    func missedNotificationPickedUpOnReconnect() async throws {
        try await withPostgresDatabase("fleet_reconnect") { database in
            let publisher = try FleetTestHarness.coordinator("a", on: database)
            // A long first backoff keeps b away while the revision is published; no timer within the test.
            let follower = try FleetTestHarness.coordinator("b", on: database) {
                $0.initialBackoff = .seconds(1)
                $0.reconcileInterval = .seconds(3_600)
            }
            try await FleetTestHarness.withRunning([publisher, follower]) { recorders in
                try await poll(until: "both listen") {
                    publisher.statistics.isListening && follower.statistics.isListening
                }
                try await publisher.publish(FleetRevision(revision: "before", digest: "d1"))
                _ = try await recorders[1].next("before")
                let before = follower.statistics
                #expect(before.connections == 1)

                // End b's connections from the server's side, as a PostgreSQL restart or a network cut would.
                let ended = try await database.server.psql(
                    """
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE application_name = 'gatehouse-fleet b' AND datname = current_database()
                    """, database: database.name)
                #expect(Int(ended.filter { !$0.isWhitespace }) ?? 0 >= 1)
                try await poll(until: "b notices the lost connection") {
                    !follower.statistics.isListening
                }
                try await publisher.publish(FleetRevision(revision: "while-away", digest: "d2"))

                let received = try await recorders[1].next("while-away", timeout: .seconds(10))
                #expect(received.digest == "d2")
                let after = follower.statistics
                #expect(after.connections == 2, "b reconnected once")
                #expect(after.failures == 1, "one lost connection, and the first reconnection worked")
                #expect(after.notifications == before.notifications, "the notification itself never reached b")
            }
        }
    }

    @Test("A desired revision changed without any notification is picked up by the reconcile timer")
    func timerReconciles() async throws {
        try await withPostgresDatabase("fleet_timer") { database in
            let follower = try FleetTestHarness.coordinator("b", on: database) {
                $0.reconcileInterval = .milliseconds(200)
            }
            try await FleetTestHarness.withRunning([follower]) { recorders in
                try await poll(until: "b listens") { follower.statistics.isListening }
                // Written behind the coordinators' backs: no NOTIFY at all.
                try await database.server.psql(
                    """
                    INSERT INTO gatehouse_fleet_desired (id, revision, digest) VALUES (1, 'silent', 'd3')
                    ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, digest = EXCLUDED.digest
                    """, database: database.name)
                let received = try await recorders[0].next("silent", timeout: .seconds(10))
                #expect(received.digest == "d3")
                #expect(follower.statistics.notifications == 0)
            }
        }
    }

    @Test("Each replica's reported revision is readable by every replica, ordered by replica id")
    func reportedRevisionsReadable() async throws {
        try await withPostgresDatabase("fleet_reports") { database in
            let first = try FleetTestHarness.coordinator("replica-2", on: database)
            let second = try FleetTestHarness.coordinator("replica-1", on: database)
            try await FleetTestHarness.withRunning([first, second]) { _ in
                try await poll(until: "both listen") {
                    first.statistics.isListening && second.statistics.isListening
                }
                try await first.report(active: FleetRevision(revision: "r1", digest: "d1"), refusal: nil)
                try await second.report(active: FleetRevision(revision: "r0", digest: "d0"), refusal: nil)
                try await first.report(active: FleetRevision(revision: "r2", digest: "d2"), refusal: nil)
                let reports = try await second.replicas()
                #expect(reports.map(\.replica) == ["replica-1", "replica-2"])
                #expect(reports.map(\.active.revision) == ["r0", "r2"])
                #expect(reports.map(\.active.digest) == ["d0", "d2"])
                #expect(reports.allSatisfy { $0.reportedAt.seconds > 1_700_000_000 })
                #expect(try await first.desired() == nil, "nothing published yet")
                // A refusal travels with the report, and the next report without one clears it.
                let refusal = FleetRefusal(
                    desired: FleetRevision(revision: "r3", digest: "d3"), code: "compile_failed", message: "a.yaml:1:1")
                try await second.report(active: FleetRevision(revision: "r0", digest: "d0"), refusal: refusal)
                #expect(try await first.replicas().first?.refusal == refusal)
                try await second.report(active: FleetRevision(revision: "r3", digest: "d3"), refusal: nil)
                #expect(try await first.replicas().first?.refusal == nil)
            }
        }
    }

    @Test("A revision too long for a notification is refused before anything is written")
    func oversizedRevisionRefused() async throws {
        try await withPostgresDatabase("fleet_oversized") { database in
            let publisher = try FleetTestHarness.coordinator("a", on: database)
            try await FleetTestHarness.withRunning([publisher]) { _ in
                try await poll(until: "a listens") { publisher.statistics.isListening }
                let error = await #expect(throws: FleetError.self) {
                    try await publisher.publish(
                        FleetRevision(revision: String(repeating: "r", count: 8_000), digest: "d"))
                }
                #expect(error?.code == .invalidPayload)
                #expect(try await publisher.desired() == nil)
            }
        }
    }
}
