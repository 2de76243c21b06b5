/// How a connection to PostgreSQL is protected: libpq's `sslmode` names, as the URLs
/// (`audit.store`, `fleet.postgres`) write them.
package enum PostgresTLSMode: String, Sendable, CaseIterable {
    /// Plain TCP.
    case disable
    /// TLS when the server offers it, plain otherwise (libpq's default).
    case prefer
    /// TLS, and the server's certificate must verify against the system's roots for the host name.
    case require
}
