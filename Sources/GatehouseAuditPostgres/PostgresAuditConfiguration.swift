package import Foundation

/// Where a decision log in PostgreSQL is: the `audit.store` URL
/// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…`) and the pool's size.
///
/// The URL is read the way `fleet.postgres` is (libpq's names: `sslmode` of `disable`, `prefer`
/// (the default) or `require`; user `postgres` and a database named as the user when left out),
/// so one URL can serve both.
package struct PostgresAuditConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// How the connection to PostgreSQL is protected, libpq's `sslmode` names.
    package enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain otherwise (libpq's default).
        case prefer
        /// TLS, and the server's certificate must verify against the system's roots for the host name.
        case require
    }

    package var host: String
    package var port: Int
    package var username: String
    /// Never printed: ``description`` shows `***`.
    package var password: String?
    package var database: String
    package var tls: TLSMode
    /// The most pooled connections (writes, queries, proofs); the instance lock has one of its own.
    package var maximumConnections = 4
    /// How long one store call (a batch's transaction, a page of a query) may wait for PostgreSQL,
    /// a free connection included; then it fails (the writer counts the batch into a gap and tries
    /// again at its next flush) instead of holding the writer while PostgreSQL is away.
    package var operationTimeout: Duration = .seconds(5)

    /// Whether `text` names a PostgreSQL store (`postgres://` or `postgresql://`) rather than a SQLite file.
    package static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads `url`.
    ///
    /// - Throws: ``PostgresAuditConfigurationError`` naming what is wrong, without the password.
    package init(url: String) throws(PostgresAuditConfigurationError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresAuditConfigurationError(
                "audit.store '\(Self.redacted(url))' is not a postgres:// URL; write postgres://USER@HOST:PORT/DATABASE"
            )
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresAuditConfigurationError(
                "audit.store '\(Self.redacted(url))' names no host; write postgres://USER@HOST:PORT/DATABASE")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : (path.removingPercentEncoding ?? path)
        self.tls = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw PostgresAuditConfigurationError(
                        "audit.store sslmode '\(item.value ?? "")' is not supported; use one of "
                            + TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                self.tls = mode
            case "pool":
                guard let size = item.value.flatMap(Int.init), (1...64).contains(size) else {
                    throw PostgresAuditConfigurationError(
                        "audit.store pool '\(item.value ?? "")' is not a connection count from 1 to 64")
                }
                self.maximumConnections = size
            default:
                throw PostgresAuditConfigurationError(
                    "audit.store parameter '\(item.name)' is not supported; only sslmode and pool are")
            }
        }
    }

    /// The URL with the password as `***`.
    package var description: String {
        let password = self.password == nil ? "" : ":***"
        return "postgres://\(self.username)\(password)@\(self.host):\(self.port)/\(self.database)?sslmode=\(self.tls)"
    }

    /// `url` with any password replaced by `***`, for messages.
    package static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unreadable URL)"
    }
}

/// An `audit.store` URL that cannot be used; the message says what is wrong and how to write it.
package struct PostgresAuditConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    package var description: String

    init(_ description: String) { self.description = description }
}
