package import Foundation

/// Where a PostgreSQL database is, read from a URL
/// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…`) the way libpq reads one: user
/// `postgres` and a database named as the user when left out, port 5432, `sslmode` of
/// `disable`, `prefer` (the default) or `require`.
///
/// The decision log's store (`audit.store`) and the fleet (`fleet.postgres`) read their URLs with
/// it, so one URL serves both; each names the extra parameters it takes (the store's `pool`).
///
/// ```swift
/// let endpoint = try PostgresEndpoint(url: "postgres://gh@db:5432/fleet?sslmode=require", setting: "fleet.postgres")
/// let client = PostgresClient(configuration: endpoint.clientConfiguration(applicationName: "gatehouse-fleet r1"))
/// ```
package struct PostgresEndpoint: Sendable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var username: String
    /// Never printed: ``description`` shows `***`.
    package var password: String?
    package var database: String
    package var tls: PostgresTLSMode
    /// The URL's parameters other than `sslmode`, each one the caller allowed.
    package var parameters: [String: String]

    /// Whether `text` is a PostgreSQL URL (`postgres://` or `postgresql://`).
    package static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads `url`, the value of the setting named `setting` (for messages).
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - setting: The setting's name, which every message starts with (`audit.store`).
    ///   - parameters: The query parameters the caller takes besides `sslmode`.
    /// - Throws: ``PostgresEndpointError`` naming what is wrong and how to write it, never the password.
    package init(url: String, setting: String, parameters allowed: [String] = []) throws(PostgresEndpointError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresEndpointError(
                "\(setting) '\(Self.redacted(url))' is not a postgres:// URL; write postgres://USER@HOST:PORT/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresEndpointError(
                "\(setting) '\(Self.redacted(url))' names no host; write postgres://USER@HOST:PORT/DATABASE")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : (path.removingPercentEncoding ?? path)
        self.tls = .prefer
        self.parameters = [:]
        for item in components.queryItems ?? [] {
            if item.name == "sslmode" {
                guard let mode = item.value.flatMap(PostgresTLSMode.init(rawValue:)) else {
                    throw PostgresEndpointError(
                        "\(setting) sslmode '\(item.value ?? "")' is not supported; use one of "
                            + PostgresTLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                self.tls = mode
            } else if allowed.contains(item.name) {
                self.parameters[item.name] = item.value ?? ""
            } else {
                let names = (["sslmode"] + allowed).joined(separator: " and ")
                throw PostgresEndpointError(
                    "\(setting) parameter '\(item.name)' is not supported; only \(names) "
                        + (allowed.isEmpty ? "is" : "are"))
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

/// A PostgreSQL URL that cannot be used; the message names the setting, what is wrong and how to write it.
package struct PostgresEndpointError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole message, without the password.
    package var description: String

    init(_ description: String) { self.description = description }
}
