package import GatehouseCore

/// Where and how the admin API listens.
package struct AdminServerConfiguration: Sendable {
    /// How the listener protects its connections.
    package enum Security: Sendable {
        /// Plain HTTP: bearer tokens only, for a loopback address in development.
        case plaintext
        /// HTTPS without client certificates: bearer tokens only.
        case tls(certificateChain: String, privateKey: String)
        /// HTTPS asking for a client certificate, verified by `verifier` during the handshake; a
        /// client without one may still present a bearer token.
        case mutualTLS(certificateChain: String, privateKey: String, verifier: any ListenerPeerVerifier)
    }

    /// The host to bind: an IP address or a name.
    package var host: String
    /// The port; `0` picks a free one (the server announces it).
    package var port: Int
    package var security: Security

    /// The default admin listener: plaintext on `127.0.0.1:8181`.
    package static var defaults: Self { Self(host: "127.0.0.1", port: 8181, security: .plaintext) }

    package init(host: String, port: Int, security: Security) {
        self.host = host
        self.port = port
        self.security = security
    }
}
