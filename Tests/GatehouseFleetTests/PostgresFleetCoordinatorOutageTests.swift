import GatehouseCore
import GatehouseFleet
import GatehouseTestSupport
import Testing

/// The coordinator while PostgreSQL refuses it: every call the admin API makes gives up within its
/// bound instead of waiting for the pool (issue #14: a `/v1/status` or notify hung a CI run).
@Suite("PostgresFleetCoordinator while PostgreSQL refuses", .timeLimit(.minutes(2)))
struct PostgresFleetCoordinatorOutageTests {
    @Test("Publish, report and both reads fail with the bound as cause; after logins are allowed, they work again")
    func boundedWhileRefused() async throws {
        try await withPostgresDatabase("fleet_refused") { database in
            let coordinator = try FleetTestHarness.coordinator("a", on: database) {
                $0.operationTimeout = .seconds(1)
            }
            try await FleetTestHarness.withRunning([coordinator]) { _ in
                try await poll(until: "a listens") { coordinator.statistics.isListening }
                // Setup, not under test: on a stalled CI machine one call can outlast the 1 s bound.
                try await Self.retryingTimeouts {
                    try await coordinator.publish(FleetRevision(revision: "r1", digest: "d1"))
                }
                try await database.server.psql(
                    """
                    ALTER DATABASE \(database.name) WITH ALLOW_CONNECTIONS false;
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database.name)';
                    """, database: "postgres")
                do {
                    // The pool keeps retrying logins for a while before failing requests by itself; until
                    // then only the bound ends a call. Several rounds, so some land in each pool state.
                    for _ in 0..<3 {
                        try await Self.expectDatabaseError { try await coordinator.desired() }
                        try await Self.expectDatabaseError { try await coordinator.replicas() }
                        try await Self.expectDatabaseError {
                            try await coordinator.report(
                                active: FleetRevision(revision: "r1", digest: "d1"), refusal: nil)
                        }
                        try await Self.expectDatabaseError {
                            try await coordinator.publish(FleetRevision(revision: "r2", digest: "d2"))
                        }
                    }
                } catch {
                    try? await Self.allow(database)
                    throw error
                }
                try await Self.allow(database)
                // Back: the pool reconnects after its backoff, and the listener reconnects by itself.
                let deadline = ContinuousClock.now + .seconds(60)
                var desired: FleetRevision?
                while desired == nil, ContinuousClock.now < deadline {
                    desired = try? await coordinator.desired()
                    if desired == nil { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(desired?.revision == "r1")
                try await poll(until: "a listens again", timeout: .seconds(60)) { coordinator.statistics.isListening }
            }
        }
    }

    private static func allow(_ database: TestPostgres.Database) async throws {
        try await database.server.psql(
            "ALTER DATABASE \(database.name) WITH ALLOW_CONNECTIONS true", database: "postgres")
    }

    /// Runs `call` until it does not fail with `fleet_database_error`, for at most 10 tries.
    private static func retryingTimeouts(_ call: () async throws -> Void) async throws {
        for attempt in 1...10 {
            do {
                return try await call()
            } catch let error as FleetError where error.code == .database && attempt < 10 {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// `call` fails with `fleet_database_error` (a timeout, or the pool's own refusal) rather than hanging.
    private static func expectDatabaseError<T>(_ call: () async throws -> T) async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: FleetError.self) { _ = try await call() }
        #expect(error?.code == .database)
        print(
            "fleet call while PostgreSQL refuses: \(error?.cause.map { "\($0)" } ?? "?") after \(ContinuousClock.now - started)"
        )
    }
}
