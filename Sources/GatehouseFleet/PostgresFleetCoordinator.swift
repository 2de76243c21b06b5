package import GatehouseCore
import GatehousePostgres
package import Logging
import PostgresNIO
import Synchronization

/// The fleet's coordinator on PostgreSQL: the desired revision in a table, announced with
/// `LISTEN`/`NOTIFY`, reconciled on every (re)connect and on a slow timer.
///
/// ``run(onDesired:)`` keeps one dedicated listening connection (reconnecting with backoff when
/// PostgreSQL goes away) and a small pool for ``publish(_:)``, ``report(active:refusal:)`` and the reads.
/// Each of those gives up after ``PostgresFleetConfiguration/operationTimeout`` whatever
/// PostgreSQL does (refusing logins, gone, or a query on a connection it just closed), so the
/// admin API that calls them keeps answering.
/// The listener reads the table after `LISTEN` succeeds on each connection, on each notification
/// and every ``PostgresFleetConfiguration/reconcileInterval``: a notification is only a wake-up,
/// so one lost while a replica was cut off (NOTIFY has no replay) is made good on reconnect.
package final class PostgresFleetCoordinator: FleetCoordinator {
    /// What the listener has done, for tests and the status API.
    package struct Statistics: Sendable, Hashable {
        /// Listening connections established (1 + reconnections).
        package var connections = 0
        /// Notifications received on the channel.
        package var notifications = 0
        /// Reads of the desired revision (on connect, notification or timer).
        package var reconciles = 0
        /// Connection attempts or listening sessions that failed.
        package var failures = 0
        /// Whether the listener is connected and listening now.
        package var isListening = false
    }

    package let configuration: PostgresFleetConfiguration
    private let logger: Logger
    private let client: PostgresClient
    private let statisticsBox = Mutex(Statistics())

    package var replica: String { self.configuration.replica }

    package var isListening: Bool { self.statisticsBox.withLock { $0.isListening } }

    /// What the listener has done so far.
    package var statistics: Statistics { self.statisticsBox.withLock { $0 } }

    /// Makes the coordinator; nothing connects until ``run(onDesired:)``.
    package init(configuration: PostgresFleetConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "gatehouse.fleet.replica"] = "\(configuration.replica)"
        self.logger = logger
        let clientConfiguration = configuration.endpoint.clientConfiguration(
            applicationName: Self.applicationName(configuration), maximumConnections: configuration.maximumConnections)
        self.client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    }

    /// `gatehouse-fleet REPLICA`: how this replica's connections show in `pg_stat_activity`.
    package static func applicationName(_ configuration: PostgresFleetConfiguration) -> String {
        // PostgreSQL truncates application_name at 63 bytes.
        String("gatehouse-fleet \(configuration.replica)".utf8.prefix(63)) ?? "gatehouse-fleet"
    }

    // MARK: - Following the fleet

    package func run(onDesired: @escaping @Sendable (FleetRevision?) async -> Void) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask {
                await self.listen(onDesired: onDesired)
                // Cancelled: end the pool too.
                throw CancellationError()
            }
        }
    }

    /// Listens and reconciles until cancelled, reconnecting with doubling backoff.
    private func listen(onDesired: @escaping @Sendable (FleetRevision?) async -> Void) async {
        var backoff = self.configuration.initialBackoff
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await self.connect(id: connectionID)
                do {
                    try await self.session(
                        on: connection, onConnected: { backoff = self.configuration.initialBackoff },
                        onDesired: onDesired)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                let isCancelled = Task.isCancelled
                self.statisticsBox.withLock {
                    // Cancellation is the end of the run, not a failure of PostgreSQL.
                    if !isCancelled { $0.failures += 1 }
                    $0.isListening = false
                }
                if isCancelled { return }
                self.logger.warning(
                    "fleet listener lost PostgreSQL; reconnecting",
                    metadata: ["gatehouse.fleet.backoff": "\(backoff)", "error": "\(String(reflecting: error))"])
                do {
                    try await Task.sleep(for: backoff)
                } catch {
                    return
                }
                backoff = min(backoff * 2, self.configuration.maximumBackoff)
            }
        }
    }

    /// One listening connection's life (connected and migrated by ``connect(id:)``): `LISTEN`,
    /// reconcile, then reconcile on every notification and tick until the connection fails or a
    /// read of the table does not answer in time (thrown), or the task is cancelled.
    private func session(
        on connection: PostgresConnection, onConnected: () -> Void,
        onDesired: @escaping @Sendable (FleetRevision?) async -> Void
    ) async throws {
        try await connection.listen(on: self.configuration.channel) { notifications in
            self.statisticsBox.withLock {
                $0.connections += 1
                $0.isListening = true
            }
            onConnected()
            self.logger.info(
                "fleet listener connected", metadata: ["gatehouse.fleet.channel": "\(self.configuration.channel)"])
            // Wakes coalesce: one read of the table answers any number of notices since the last.
            let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            // LISTEN is in effect: what was published before it is in the table, read first.
            wake.yield()
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    for try await notification in notifications {
                        self.statisticsBox.withLock { $0.notifications += 1 }
                        if FleetNotice.decode(notification.payload) == nil {
                            self.logger.warning(
                                "fleet notification is not a revision; reading the table anyway",
                                metadata: ["gatehouse.fleet.payload": "\(notification.payload.prefix(200))"])
                        }
                        wake.yield()
                    }
                    throw FleetError(code: .database, message: "the fleet's listening connection ended")
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: self.configuration.reconcileInterval)
                        wake.yield()
                    }
                }
                group.addTask {
                    for await _ in wakes {
                        self.statisticsBox.withLock { $0.reconciles += 1 }
                        // Bounded: a read that does not answer ends the session, which reconnects.
                        let desired = try await self.bounded {
                            try await Self.readDesired(on: connection, logger: self.logger)
                        }
                        await onDesired(desired)
                    }
                }
            }
        }
    }

    // MARK: - Publishing, reporting, reading

    package func publish(_ revision: FleetRevision) async throws {
        let payload = try FleetNotice.encode(revision)
        let (client, logger, channel) = (self.client, self.logger, self.configuration.channel)
        do {
            try await self.bounded {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        """
                        INSERT INTO gatehouse_fleet_desired (id, revision, digest, published_by, published_at)
                        VALUES (1, \(revision.revision), \(revision.digest), \(revision.publishedBy), now())
                        ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, digest = EXCLUDED.digest,
                            published_by = EXCLUDED.published_by, published_at = EXCLUDED.published_at
                        """, logger: logger)
                    try await connection.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
                }
            }
        } catch {
            throw self.databaseError("cannot publish revision '\(revision.revision)'", error)
        }
        self.logger.info("fleet revision published", metadata: ["gatehouse.policy.revision": "\(revision)"])
    }

    package func report(active revision: FleetRevision, refusal: FleetRefusal?) async throws {
        let query: PostgresQuery = """
            INSERT INTO gatehouse_fleet_replicas (
                replica, revision, digest, reported_at, refused_revision, refused_digest, refusal_code,
                refusal_message)
            VALUES (
                \(self.replica), \(revision.revision), \(revision.digest), now(), \(refusal?.desired.revision),
                \(refusal?.desired.digest), \(refusal?.code), \(refusal?.message))
            ON CONFLICT (replica) DO UPDATE SET revision = EXCLUDED.revision, digest = EXCLUDED.digest,
                reported_at = EXCLUDED.reported_at, refused_revision = EXCLUDED.refused_revision,
                refused_digest = EXCLUDED.refused_digest, refusal_code = EXCLUDED.refusal_code,
                refusal_message = EXCLUDED.refusal_message
            """
        let (client, logger) = (self.client, self.logger)
        do {
            try await self.bounded { _ = try await client.query(query, logger: logger) }
        } catch {
            throw self.databaseError("cannot report revision '\(revision.revision)' active", error)
        }
    }

    package func desired() async throws -> FleetRevision? {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await self.bounded {
                try await client.withConnection { connection in
                    try await Self.readDesired(on: connection, logger: logger)
                }
            }
        } catch {
            throw self.databaseError("cannot read the fleet's desired revision", error)
        }
    }

    package func replicas() async throws -> [FleetReplicaReport] {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await self.bounded { try await Self.readReplicas(client, logger: logger) }
        } catch {
            throw self.databaseError("cannot read the replicas' reported revisions", error)
        }
    }

    private static func readReplicas(_ client: PostgresClient, logger: Logger) async throws -> [FleetReplicaReport] {
        let rows = try await client.query(
            """
            SELECT replica, revision, digest, (extract(epoch FROM reported_at) * 1000000)::bigint,
                refused_revision, refused_digest, refusal_code, refusal_message
            FROM gatehouse_fleet_replicas ORDER BY replica
            """, logger: logger)
        var reports: [FleetReplicaReport] = []
        for try await row in rows.decode((String, String, String, Int64, String?, String?, String?, String?).self) {
            let (replica, revision, digest, micros, refusedRevision, refusedDigest, code, message) = row
            var refusal: FleetRefusal?
            if let refusedRevision, let code {
                refusal = FleetRefusal(
                    desired: FleetRevision(revision: refusedRevision, digest: refusedDigest ?? ""), code: code,
                    message: message ?? "")
            }
            reports.append(
                FleetReplicaReport(
                    replica: replica, active: FleetRevision(revision: revision, digest: digest),
                    reportedAt: Self.unixTime(microseconds: micros), refusal: refusal))
        }
        return reports
    }

    // MARK: - Helpers

    /// The desired-revision row, if one was published.
    private static func readDesired(on connection: PostgresConnection, logger: Logger) async throws -> FleetRevision? {
        let rows = try await connection.query(
            """
            SELECT revision, digest, published_by, (extract(epoch FROM published_at) * 1000000)::bigint
            FROM gatehouse_fleet_desired WHERE id = 1
            """, logger: logger)
        for try await (revision, digest, publishedBy, micros) in rows.decode((String, String, String?, Int64).self) {
            return FleetRevision(
                revision: revision, digest: digest, publishedBy: publishedBy,
                publishedAt: Self.unixTime(microseconds: micros))
        }
        return nil
    }

    private static func unixTime(microseconds: Int64) -> UnixTime {
        let seconds = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let (whole, fraction) = seconds.remainder < 0 ? (seconds.quotient - 1, seconds.remainder + 1_000_000) : seconds
        return UnixTime(seconds: whole, nanoseconds: Int32(fraction * 1_000))
    }

    /// `body`, given up after ``PostgresFleetConfiguration/operationTimeout`` (``withPostgresDeadline(_:executor:abandoned:_:)``).
    private func bounded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withPostgresDeadline(self.configuration.operationTimeout, body)
    }

    /// The listener's connection, migrated, within ``PostgresFleetConfiguration/connectTimeout``;
    /// one that comes after the attempt was given up is closed.
    private func connect(id: Int) async throws -> PostgresConnection {
        let configuration = try self.configuration.endpoint.connectionConfiguration(
            applicationName: Self.applicationName(self.configuration))
        let logger = self.logger
        return try await withPostgresDeadline(
            self.configuration.connectTimeout, abandoned: { try? await $0.close() }
        ) {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            do {
                try await FleetSchema.migrate(on: connection, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            return connection
        }
    }

    private func databaseError(_ what: String, _ error: any Error) -> FleetError {
        FleetError(
            code: .database,
            message:
                "\(what) in \(self.configuration): check that PostgreSQL is reachable and the user may write there",
            cause: error)
    }
}
