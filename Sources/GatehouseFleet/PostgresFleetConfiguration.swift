package import GatehousePostgres

/// Where the fleet's PostgreSQL is and how this replica follows it.
///
/// Made from the `fleet.postgres` URL (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…`,
/// read as ``PostgresEndpoint`` reads it, the same as `audit.store`), the replica's instance id,
/// and defaults for the rest.
package struct PostgresFleetConfiguration: Sendable, CustomStringConvertible {
    /// Where the database is.
    package var endpoint: PostgresEndpoint
    /// This replica's instance id, the key of its row in the replicas table.
    package var replica: String
    /// The `LISTEN`/`NOTIFY` channel; every replica of one fleet must use the same.
    package var channel = "gatehouse_fleet"
    /// How often the desired revision is read even without a notification, so that a lost one
    /// leaves a replica behind for at most this long (on a live connection).
    package var reconcileInterval: Duration = .seconds(30)
    /// The first wait before reconnecting once PostgreSQL went away; it doubles up to ``maximumBackoff``.
    package var initialBackoff: Duration = .milliseconds(100)
    /// The longest wait between reconnection attempts: a replica cut off converges at most this
    /// long after PostgreSQL is back (one attempt a second costs PostgreSQL nothing).
    package var maximumBackoff: Duration = .seconds(1)
    /// The most pooled connections for publishing, reporting and reading (the listener has its own).
    package var maximumConnections = 4
    /// The most one publish, report or read waits for PostgreSQL, a free connection included:
    /// then it fails (``FleetError``, `fleet_database_error`) and the admin API answers without
    /// the fleet. The listener's reads of the desired revision have the same bound; its
    /// connection attempts have ``connectTimeout``.
    package var operationTimeout: Duration = .seconds(2)
    /// The most the listener's connection attempt (connect, migrate, `LISTEN`) may take before it
    /// counts as failed and is tried again after the backoff.
    package var connectTimeout: Duration = .seconds(10)

    /// Reads `url` (`postgres://` or `postgresql://`; `sslmode` of `disable`, `prefer` (the
    /// default) or `require`; user `postgres` and database named as the user when left out).
    ///
    /// - Throws: ``FleetError`` (`fleet_invalid_url`) naming what is wrong, without the password.
    package init(url: String, replica: String) throws {
        do {
            self.endpoint = try PostgresEndpoint(url: url, setting: "fleet.postgres")
        } catch {
            throw FleetError(code: .invalidURL, message: error.description)
        }
        guard !replica.isEmpty else {
            throw FleetError(code: .invalidURL, message: "the fleet needs this replica's instance id; it was empty")
        }
        self.replica = replica
    }

    package var description: String { self.endpoint.description }

    /// `url` with any password replaced by `***`, for messages.
    package static func redacted(_ url: String) -> String {
        PostgresEndpoint.redacted(url)
    }
}
