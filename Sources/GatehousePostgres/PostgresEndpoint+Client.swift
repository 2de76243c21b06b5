package import NIOSSL
package import PostgresNIO

extension PostgresEndpoint {
    /// postgres-nio's pool configuration for this endpoint.
    ///
    /// - Parameters:
    ///   - applicationName: How the connections show in `pg_stat_activity` (PostgreSQL keeps 63 bytes).
    ///   - maximumConnections: The pool's size.
    package func clientConfiguration(applicationName: String, maximumConnections: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: self.host, port: self.port, username: self.username, password: self.password,
            database: self.database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.additionalStartupParameters = [("application_name", Self.truncated(applicationName))]
        return configuration
    }

    /// A single connection's configuration (a listener, a lock holder), outside the pool.
    ///
    /// - Throws: NIOSSL's error when no TLS context can be made (no system roots): the attempt
    ///   fails, never falls back to plain TCP.
    package func connectionConfiguration(applicationName: String) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: self.host, port: self.port, username: self.username, password: self.password,
            database: self.database, tls: tls)
        configuration.options.additionalStartupParameters = [("application_name", Self.truncated(applicationName))]
        return configuration
    }

    /// PostgreSQL truncates `application_name` at 63 bytes; cut it at a character boundary instead.
    private static func truncated(_ name: String) -> String {
        var bytes = 0
        return String(
            name.prefix { character in
                bytes += character.utf8.count
                return bytes <= 63
            })
    }
}

/// PostgreSQL's own words for a failure, for messages: the SQLSTATE and message of a server
/// error, a timeout's bound, else the client's description.
package func describePostgresFailure(_ error: any Error) -> String {
    if let timeout = error as? PostgresTimeout { return timeout.description }
    guard let error = error as? PSQLError else { return String(describing: error) }
    if let info = error.serverInfo {
        return "SQLSTATE \(info[.sqlState] ?? "?"): \(info[.message] ?? "no message")"
    }
    return "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
}
