import Dispatch
package import GatehouseAudit
import GatehouseCore
import GatehousePostgres
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The decision log in PostgreSQL (`audit.store: postgres://…`): every replica of a fleet writes
/// its own instance's Merkle tree and checkpoints into one database, and `gatehouse audit
/// verify|query|prove|consistency` read all of them in one place.
///
/// The store speaks ``AuditLogStore``'s synchronous methods, which the writer calls from its own
/// thread and the CLI from its command: each runs its queries on PostgresNIO's pool
/// (``PostgresClient``, at most ``PostgresAuditConfiguration/maximumConnections`` connections,
/// reconnecting by itself after PostgreSQL restarts) and waits at most
/// ``PostgresAuditConfiguration/operationTimeout`` for the answer, whatever PostgreSQL or the
/// pool does. It is never on the check path: checks only enqueue records for the writer.
///
/// ```swift
/// let store = try PostgresAuditStore(configuration: PostgresAuditConfiguration(url: url))
/// try store.lock(instance: "gh-1")   // the writer's claim on its own tree
/// ```
package final class PostgresAuditStore: AuditLogStore {
    /// Where the store is, without the password.
    package let configuration: PostgresAuditConfiguration
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>
    /// Runs the queries synchronous callers wait for (``PostgresAuditExecutor``).
    private let executor = PostgresAuditExecutor()
    /// The instances this store writes, and the connection holding each one's advisory lock
    /// (``lock(instance:)``, ``relockIfLost(_:)``).
    let locks = Mutex(PostgresInstanceLocks())
    /// Instances whose last append failed, so whether it committed is unknown (its deadline
    /// passed, or the connection was lost after `COMMIT` was sent): the next append of one
    /// first removes whatever lies at or beyond its first sequence number (``appendUnwrapped(_:)``).
    let unsure = Mutex<Set<String>>([])
    /// The callers this store has read or added, by their fields: their ids in `callers`
    /// (``callerIDs(_:on:logger:)``), so a batch's known callers cost no round trip.
    let callerCache = Mutex<[PostgresCaller: Int32]>([:])

    package var location: String { self.configuration.description }

    /// Connects the pool and, unless `readOnly`, applies pending migrations.
    ///
    /// - Throws: ``AuditError`` (`store_unavailable`) when PostgreSQL cannot be reached, the
    ///   migrations fail, or (read-only) the database holds no decision log.
    package init(configuration: PostgresAuditConfiguration, readOnly: Bool = false) throws {
        self.configuration = configuration
        self.logger = Logger(label: "gatehouse.audit.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = PostgresClient(
            configuration: configuration.endpoint.clientConfiguration(
                applicationName: "gatehouse-audit", maximumConnections: configuration.maximumConnections),
            backgroundLogger: self.logger)
        self.client = client
        self.running = Task.detached { await client.run() }
        do {
            if readOnly {
                let present = try self.blocking { client, logger in
                    let rows = try await client.query(
                        "SELECT to_regclass('gatehouse_audit.records') IS NOT NULL", logger: logger)
                    for try await present in rows.decode(Bool.self) { return present }
                    return false
                }
                guard present else {
                    throw AuditError(
                        .storeUnavailable,
                        "The database \(configuration.description) holds no decision log (no gatehouse_audit.records "
                            + "table); pass the audit.store URL 'gatehouse serve' writes to.")
                }
                try self.requireMigrated()
            } else {
                try self.migrate()
            }
        } catch let error as AuditError {
            self.running.cancel()
            throw error
        } catch {
            self.running.cancel()
            throw AuditError(
                .storeUnavailable,
                "The decision log \(configuration.description) cannot be opened (\(Self.describe(error))); check that "
                    + "PostgreSQL runs there, the user may connect and create tables, and the sslmode fits the server.")
        }
    }

    deinit {
        self.running.cancel()
    }

    /// Releases every instance lock and ends the pool; each step bounded like any other call.
    package func close() {
        let connections = self.locks.withLock { $0.releaseAll() }
        for connection in connections {
            _ = try? self.blocking { _, _ in try await connection.close() }
        }
        self.running.cancel()
    }

    // MARK: - Running queries

    /// Runs `body` with the pool and waits for it, at most
    /// ``PostgresAuditConfiguration/operationTimeout``: the bridge from ``AuditLogStore``'s
    /// synchronous methods. The work runs on the store's own executor (never the cooperative
    /// pool), so the caller's thread only waits, whichever thread it is.
    ///
    /// The bound holds even when `body` cannot be cancelled (``withPostgresDeadline(_:executor:abandoned:_:)``):
    /// while PostgreSQL is away the pool keeps a query waiting for a connection, and a query
    /// written to a connection PostgreSQL has just closed was seen never to end; either way the
    /// caller gets ``PostgresTimeout`` (the writer records a gap and tries again).
    ///
    /// - Parameters:
    ///   - timeout: The bound, when not ``PostgresAuditConfiguration/operationTimeout``.
    ///   - abandoned: Releases a result that came after the caller stopped waiting.
    func blocking<T: Sendable>(
        timeout: Duration? = nil,
        abandoned: (@Sendable (T) async -> Void)? = nil,
        _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let (client, logger, executor) = (self.client, self.logger, self.executor)
        let timeout = timeout ?? self.configuration.operationTimeout
        Task.detached(executorPreference: executor) {
            let outcome: Result<T, any Error>
            do {
                outcome = .success(
                    try await withPostgresDeadline(timeout, executor: executor, abandoned: abandoned) {
                        try await body(client, logger)
                    })
            } catch {
                outcome = .failure(error)
            }
            result.withLock { $0 = outcome }
            done.signal()
        }
        // The deadline ends the task in time; this bound is for an executor that could not run it at all.
        let backstop = (timeout + .seconds(2)).components
        let nanoseconds = Int(backstop.seconds) * 1_000_000_000 + Int(backstop.attoseconds / 1_000_000_000)
        guard done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else {
            throw PostgresTimeout(timeout: timeout)
        }
        // The task stored its outcome before it signalled.
        return try result.withLock { $0! }.get()
    }

    /// ``blocking(abandoned:_:)`` for reads, turning database errors into ``AuditError`` (`store_failed`).
    func reading<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) throws -> T {
        do {
            return try self.blocking(body)
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(
                .storeFailed, "\(what) failed (\(Self.describe(error))). Store: '\(self.location)'.")
        }
    }

    // MARK: - Migrations

    private func migrate() throws {
        try self.blocking(timeout: self.configuration.migrationTimeout) { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresAuditSchema.migrationLockKey))", logger: logger)
                try await connection.query("CREATE SCHEMA IF NOT EXISTS gatehouse_audit", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS gatehouse_audit.migrations (
                        name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                var applied: Set<String> = []
                for try await name in try await connection.query(
                    "SELECT name FROM gatehouse_audit.migrations", logger: logger
                ).decode(String.self) {
                    applied.insert(name)
                }
                for migration in PostgresAuditSchema.migrations where !applied.contains(migration.name) {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO gatehouse_audit.migrations (name) VALUES (\(migration.name))", logger: logger)
                }
            }
        }
    }

    /// Throws unless every migration this version knows is applied: a reader never migrates, and
    /// its queries need the current schema (``PostgresAuditSchema/migrations``).
    private func requireMigrated() throws {
        let applied = try self.blocking { client, logger in
            var names: Set<String> = []
            for try await name in try await client.query(
                "SELECT name FROM gatehouse_audit.migrations", logger: logger
            ).decode(String.self) {
                names.insert(name)
            }
            return names
        }
        let missing = PostgresAuditSchema.migrations.map(\.name).filter { !applied.contains($0) }
        guard missing.isEmpty else {
            throw AuditError(
                .storeUnavailable,
                "The decision log \(self.configuration.description) has an older schema (missing migration "
                    + "'\(missing.joined(separator: "', '"))'); start a replica of this version on it once "
                    + "('gatehouse serve' with this audit.store migrates it), then read it.")
        }
    }

    // MARK: - Errors

    /// PostgreSQL's own words for a failure: the SQLSTATE and message of a server error, else the client's.
    static func describe(_ error: any Error) -> String {
        describePostgresFailure(error)
    }

    package func failureCause(_ error: any Error) -> String {
        if error is PostgresTimeout { return "store_failed: postgres_timeout" }
        if error is PostgresInstanceLockHeld { return "store_failed: instance_locked_elsewhere" }
        if error is PostgresInstanceLockLost { return "store_failed: instance_lock_lost" }
        // Anything else comes from the pool: no connection could be had.
        guard let error = error as? PSQLError else { return "store_failed: postgres_unavailable" }
        if let state = error.serverInfo?[.sqlState] { return "store_failed: SQLSTATE_\(state)" }
        return "store_failed: postgres_\(error.code)"
    }
}
