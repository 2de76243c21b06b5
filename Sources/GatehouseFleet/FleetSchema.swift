import Logging
import PostgresNIO

/// The fleet's tables and their migrations.
///
/// `gatehouse_fleet_desired` holds one row: the revision every replica should enforce, its
/// digest, who published it and when. `gatehouse_fleet_replicas` holds one row per replica:
/// the revision it last reported active, and its last refusal of the desired one, if any.
/// `gatehouse_fleet_migrations` lists the migrations
/// applied. Every replica migrates on each connect, under a transaction-scoped advisory lock so
/// that replicas starting together do not race to create the same table.
enum FleetSchema {
    /// The migrations in order; a migration, once released, never changes: add another.
    static let migrations: [(version: Int, statements: [PostgresQuery])] = [
        (
            1,
            [
                """
                CREATE TABLE IF NOT EXISTS gatehouse_fleet_desired (
                    id smallint PRIMARY KEY CHECK (id = 1),
                    revision text NOT NULL,
                    digest text NOT NULL,
                    published_by text,
                    published_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE IF NOT EXISTS gatehouse_fleet_replicas (
                    replica text PRIMARY KEY,
                    revision text NOT NULL,
                    digest text NOT NULL,
                    reported_at timestamptz NOT NULL DEFAULT now()
                )
                """,
            ]
        ),
        (
            2,
            [
                // Why a replica is not on the desired revision: its last refusal, cleared by its next success.
                """
                ALTER TABLE gatehouse_fleet_replicas
                    ADD COLUMN IF NOT EXISTS refused_revision text,
                    ADD COLUMN IF NOT EXISTS refused_digest text,
                    ADD COLUMN IF NOT EXISTS refusal_code text,
                    ADD COLUMN IF NOT EXISTS refusal_message text
                """
            ]
        ),
    ]

    /// Any number that other applications are unlikely to lock: "gatehouse fleet" in ASCII, truncated.
    static let advisoryLock: Int64 = 0x6761_7465_666C_6565

    /// Creates or migrates the tables on `connection`; a no-op once they are current.
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLock))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS gatehouse_fleet_migrations (
                    version integer PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0)::integer FROM gatehouse_fleet_migrations", logger: logger
            ).decode(Int.self) {
                applied = version
            }
            for migration in Self.migrations where migration.version > applied {
                for statement in migration.statements {
                    try await connection.query(statement, logger: logger)
                }
                try await connection.query(
                    "INSERT INTO gatehouse_fleet_migrations (version) VALUES (\(migration.version))", logger: logger)
                logger.info("fleet schema migrated", metadata: ["gatehouse.fleet.schema": "\(migration.version)"])
            }
        }
    }
}
