package import GatehousePostgres

/// Where a decision log in PostgreSQL is: the `audit.store` URL
/// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…&pool=N`) and the pool's size.
///
/// The URL is read as `fleet.postgres` is (``PostgresEndpoint``), so one URL can serve both;
/// `pool` (1 to 64) is the store's own parameter.
package struct PostgresAuditConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// Where the database is.
    package var endpoint: PostgresEndpoint
    /// The most pooled connections (writes, queries, proofs); the instance lock has one of its own.
    package var maximumConnections = 4
    /// How long one store call (a batch's transaction, a page of a query) may wait for PostgreSQL,
    /// a free connection included; then it fails (the writer counts the batch into a gap and tries
    /// again at its next flush) instead of holding the writer while PostgreSQL is away.
    package var operationTimeout: Duration = .seconds(5)
    /// How long opening the store may wait for its migrations, another replica's included (they
    /// run one at a time): `v2-integer-query-keys` rewrites the records table once (77 s for
    /// 1.05 M records measured), so a store's first start on a new version waits that long.
    package var migrationTimeout: Duration = .seconds(3_600)

    /// Whether `text` names a PostgreSQL store (`postgres://` or `postgresql://`) rather than a SQLite file.
    package static func isURL(_ text: String) -> Bool {
        PostgresEndpoint.isURL(text)
    }

    /// Reads `url`.
    ///
    /// - Throws: ``PostgresAuditConfigurationError`` naming what is wrong, without the password.
    package init(url: String) throws(PostgresAuditConfigurationError) {
        do {
            self.endpoint = try PostgresEndpoint(url: url, setting: "audit.store", parameters: ["pool"])
        } catch {
            throw PostgresAuditConfigurationError(error.description)
        }
        if let pool = self.endpoint.parameters["pool"] {
            guard let size = Int(pool), (1...64).contains(size) else {
                throw PostgresAuditConfigurationError(
                    "audit.store pool '\(pool)' is not a connection count from 1 to 64")
            }
            self.maximumConnections = size
        }
    }

    /// The URL with the password as `***`.
    package var description: String { self.endpoint.description }
}

/// An `audit.store` URL that cannot be used; the message says what is wrong and how to write it.
package struct PostgresAuditConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    package var description: String

    init(_ description: String) { self.description = description }
}
