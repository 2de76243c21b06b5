import GatehouseCore
import GatehouseTLS
import Logging
import NIOCore
import NIOSSL

/// The TLS of a listener that serves the admin API's callers (the admin listener, the AuthZEN
/// listener), from its ``AdminServerConfiguration/Security``: one code path for both, so a client
/// certificate is verified and mapped to a role the same way on either.
///
/// On mTLS each connection gets a TLS context of its own (no session resumption skips
/// verification) and its chain goes through the listener's ``ListenerPeerVerifier`` during the
/// handshake (``HandshakeVerification``); the verified peer is kept in ``AdminConnections`` for
/// the connection's requests.
struct AdminListenerTLS: Sendable {
    private let configuration: TLSConfiguration
    /// `nil` on a TLS listener that asks for no client certificate (bearer tokens only).
    private let handshake: HandshakeVerification?
    /// The context of a listener that verifies no client certificate, shared by its connections.
    private let sharedContext: NIOSSLContext
    private let connections: AdminConnections

    /// The TLS of a listener with `security`, or `nil` for a plaintext one.
    ///
    /// - Parameters:
    ///   - listener: The listener's name for the log (`admin HOST:PORT`).
    ///   - protocols: What ALPN offers.
    /// - Throws: When the certificate or key cannot be loaded.
    static func make(
        _ security: AdminServerConfiguration.Security, listener: String, protocols: [String],
        connections: AdminConnections, logger: Logger, clock: @escaping @Sendable () -> UnixTime
    ) throws -> AdminListenerTLS? {
        switch security {
        case .plaintext:
            return nil
        case .tls(let chain, let key):
            let tls = try ListenerTLSConfiguration.server(
                chain: chain, key: key, protocols: protocols, clientCertificates: .none)
            return AdminListenerTLS(
                configuration: tls, handshake: nil, sharedContext: try NIOSSLContext(configuration: tls),
                connections: connections)
        case .mutualTLS(let chain, let key, let verifier):
            let tls = try ListenerTLSConfiguration.server(
                // Optional: a client without a certificate may still authenticate with a bearer token.
                chain: chain, key: key, protocols: protocols, clientCertificates: .optional)
            return AdminListenerTLS(
                configuration: tls,
                handshake: HandshakeVerification(verifier: verifier, listener: listener, logger: logger, clock: clock),
                sharedContext: try NIOSSLContext(configuration: tls), connections: connections)
        }
    }

    /// Adds the TLS handler to a new connection's pipeline (on its event loop).
    func configure(_ channel: any Channel) throws {
        let handler: NIOSSLServerHandler
        if let handshake = self.handshake {
            let connections = self.connections
            handler = try handshake.serverHandler(configuration: self.configuration) { peer in
                connections.record(peer.identity, for: channel)
            }
        } else {
            handler = NIOSSLServerHandler(context: self.sharedContext)
        }
        try channel.pipeline.syncOperations.addHandler(handler)
    }
}
