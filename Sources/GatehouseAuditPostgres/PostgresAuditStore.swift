import Dispatch
package import GatehouseAudit
import GatehouseCore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The decision log in PostgreSQL (`audit.store: postgres://…`): every replica of a fleet writes
/// its own instance's Merkle tree and checkpoints into one database, and `gatehouse audit
/// verify|query|prove|consistency` read all of them in one place.
///
/// The store speaks ``AuditLogStore``'s synchronous methods, which the writer calls from its own
/// thread and the CLI from its command: each runs its queries on PostgresNIO's pool
/// (``PostgresClient``, at most ``PostgresAuditConfiguration/maximumConnections`` connections,
/// reconnecting by itself after PostgreSQL restarts) and waits for the answer. It is never on the
/// check path: checks only enqueue records for the writer.
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
    /// The connection holding each locked instance's advisory lock (session-level: held while it lives).
    private let locks = Mutex<[String: PostgresConnection]>([:])

    package var location: String { self.configuration.description }

    /// Connects the pool and, unless `readOnly`, applies pending migrations.
    ///
    /// - Throws: ``AuditError`` (`store_unavailable`) when PostgreSQL cannot be reached, the
    ///   migrations fail, or (read-only) the database holds no decision log.
    package init(configuration: PostgresAuditConfiguration, readOnly: Bool = false) throws {
        self.configuration = configuration
        self.logger = Logger(label: "gatehouse.audit.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        var options = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: Self.clientTLS(configuration.tls))
        options.options.maximumConnections = configuration.maximumConnections
        options.options.additionalStartupParameters = [("application_name", "gatehouse-audit")]
        let client = PostgresClient(configuration: options, backgroundLogger: self.logger)
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

    /// Ends the pool and releases every instance lock.
    package func close() {
        let connections = self.locks.withLock { locks in
            defer { locks.removeAll() }
            return Array(locks.values)
        }
        for connection in connections { try? connection.close().wait() }
        self.running.cancel()
    }

    // MARK: - Running queries

    /// Runs `body` with the pool and waits for it: the bridge from ``AuditLogStore``'s synchronous
    /// methods. The work runs as a detached task on the store's own executor (never the
    /// cooperative pool), so the caller's thread only waits, whichever thread it is.
    func blocking<T: Sendable>(
        _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let (client, logger) = (self.client, self.logger)
        let timeout = self.configuration.operationTimeout
        Task.detached(executorPreference: self.executor) {
            let outcome: Result<T, any Error>
            do {
                // While PostgreSQL is away the pool keeps a query waiting for a connection; the
                // deadline turns that into a failure the writer records (a gap) and retries.
                outcome = .success(
                    try await withThrowingTaskGroup(of: T?.self) { group in
                        group.addTask { try await body(client, logger) }
                        group.addTask {
                            try await Task.sleep(for: timeout)
                            return nil
                        }
                        defer { group.cancelAll() }
                        guard let first = try await group.next(), let value = first else {
                            throw PostgresAuditTimeout(timeout: timeout)
                        }
                        return value
                    })
            } catch {
                outcome = .failure(error)
            }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    /// ``blocking(_:)`` for reads, turning database errors into ``AuditError`` (`store_failed`).
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
        try self.blocking { client, logger in
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

    // MARK: - One writer per instance

    /// Takes `instance`'s advisory lock on a connection of its own, held until ``close()`` or the
    /// process ends: two servers configured with the same instance id cannot both write its tree.
    ///
    /// - Throws: ``AuditError`` (`store_unavailable`) when another session holds it, or PostgreSQL
    ///   cannot be reached.
    package func lock(instance: String) throws {
        guard self.locks.withLock({ $0[instance] }) == nil else { return }
        let configuration = try self.connectionConfiguration()
        let query = Self.lockQuery(instance)
        let connection: PostgresConnection
        let taken: Bool
        do {
            (connection, taken) = try self.blocking { _, logger in
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 1, logger: logger)
                let rows = try await connection.query(query, logger: logger)
                var taken = false
                for try await value in rows.decode(Bool.self) { taken = value }
                return (connection, taken)
            }
        } catch {
            throw AuditError(
                .storeUnavailable,
                "Cannot take the writer lock of instance '\(instance)' in \(self.location) (\(Self.describe(error))).")
        }
        guard taken else {
            try? connection.close().wait()
            throw AuditError(
                .storeUnavailable,
                "Another server writes instance '\(instance)' into \(self.location) (it holds the instance's advisory "
                    + "lock): give every replica its own audit.instance (or its own key file beside which the id is kept)."
            )
        }
        self.locks.withLock { $0[instance] = connection }
    }

    /// Tries `instance`'s advisory lock, keyed by a 64-bit hash of its name computed by the server
    /// (`hashtextextended`), so every replica derives the same key.
    static func lockQuery(_ instance: String) -> PostgresQuery {
        "SELECT pg_try_advisory_lock(hashtextextended(\("gatehouse.audit/" + instance), 0))"
    }

    private func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch self.configuration.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: self.configuration.host, port: self.configuration.port, username: self.configuration.username,
            password: self.configuration.password, database: self.configuration.database, tls: tls)
        configuration.options.additionalStartupParameters = [("application_name", "gatehouse-audit-lock")]
        return configuration
    }

    private static func clientTLS(_ mode: PostgresAuditConfiguration.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    // MARK: - Errors

    /// PostgreSQL's own words for a failure: the SQLSTATE and message of a server error, else the client's.
    static func describe(_ error: any Error) -> String {
        if let timeout = error as? PostgresAuditTimeout { return "no answer from PostgreSQL within \(timeout.timeout)" }
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            return "SQLSTATE \(info[.sqlState] ?? "?"): \(info[.message] ?? "no message")"
        }
        return "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
    }

    package func failureCause(_ error: any Error) -> String {
        if error is PostgresAuditTimeout { return "store_failed: postgres_timeout" }
        // Anything else comes from the pool: no connection could be had.
        guard let error = error as? PSQLError else { return "store_failed: postgres_unavailable" }
        if let state = error.serverInfo?[.sqlState] { return "store_failed: SQLSTATE_\(state)" }
        return "store_failed: postgres_\(error.code)"
    }
}

/// PostgreSQL did not answer within ``PostgresAuditConfiguration/operationTimeout``.
struct PostgresAuditTimeout: Error {
    var timeout: Duration
}
