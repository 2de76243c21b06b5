package import Foundation

/// Where the fleet's PostgreSQL is and how this replica follows it.
///
/// Made from the `fleet.postgres` URL (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…`),
/// the replica's instance id, and defaults for the rest.
package struct PostgresFleetConfiguration: Sendable, CustomStringConvertible {
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

    /// Reads `url` (`postgres://` or `postgresql://`; `sslmode` of `disable`, `prefer` (the
    /// default) or `require`; user `postgres` and database named as the user when left out).
    ///
    /// - Throws: ``FleetError`` (`fleet_invalid_url`) naming what is wrong, without the password.
    package init(url: String, replica: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw FleetError(
                code: .invalidURL,
                message:
                    "fleet.postgres '\(Self.redacted(url))' is not a postgres:// URL; write postgres://USER@HOST:PORT/DATABASE"
            )
        }
        guard let host = components.host, !host.isEmpty else {
            throw FleetError(
                code: .invalidURL,
                message:
                    "fleet.postgres '\(Self.redacted(url))' names no host; write postgres://USER@HOST:PORT/DATABASE")
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
                    throw FleetError(
                        code: .invalidURL,
                        message: """
                            fleet.postgres sslmode '\(item.value ?? "")' is not supported; use one of \
                            \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                            """)
                }
                self.tls = mode
            default:
                throw FleetError(
                    code: .invalidURL,
                    message: "fleet.postgres parameter '\(item.name)' is not supported; only sslmode is")
            }
        }
        guard !replica.isEmpty else {
            throw FleetError(code: .invalidURL, message: "the fleet needs this replica's instance id; it was empty")
        }
        self.replica = replica
    }

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
