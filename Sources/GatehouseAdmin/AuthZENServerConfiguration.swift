/// Where and how the AuthZEN listener listens, and how long it waits for a slow client.
///
/// Its TLS and its callers are the admin listener's (``AdminServerConfiguration/Security``, the
/// API's ``AdminAccess``): the same certificate, the same client certificate verification, the
/// same tokens and roles.
package struct AuthZENServerConfiguration: Sendable {
    /// The host to bind: an IP address or a name.
    package var host: String
    /// The port; `0` picks a free one (the server announces it).
    package var port: Int
    package var security: AdminServerConfiguration.Security
    /// How long a connection may send nothing (between requests, or in the middle of one) before
    /// it is closed: 60 s, the admin listener's.
    package var idleTimeout: Duration = .seconds(60)
    /// How long a request's head and body may take to arrive, from its first byte; past it the
    /// answer is 408 and the connection is closed: 30 s.
    package var requestTimeout: Duration = .seconds(30)

    /// - Parameters:
    ///   - host: The host to bind.
    ///   - port: The port; `0` picks a free one.
    ///   - security: Plaintext, TLS or mTLS, as the admin listener's.
    package init(host: String, port: Int, security: AdminServerConfiguration.Security) {
        self.host = host
        self.port = port
        self.security = security
    }
}
