package import GatehouseCore
import GatehouseTLS
package import Logging
package import NIOCore
import NIOSSL
import Synchronization

/// TLS on a front door's listener: swift-nio-ssl in front of the door's protocol pipeline.
///
/// ALPN offers the door's protocols (`h2` for the gRPC door, `http/1.1` for the HTTP door); a
/// client that offers no ALPN is served the door's protocol all the same. On an mTLS listener the
/// client's chain is verified during the handshake (``HandshakeVerification``) and every check on
/// the connection is admitted or denied by the listener's ``CallerPolicy`` (``ConnectionCaller``).
package struct ListenerTLS: Sendable {
    /// The server-only TLS listener's context, shared by its connections.
    private let context: NIOSSLContext
    /// An mTLS listener's configuration, from which each connection gets a context of its own.
    ///
    /// BoringSSL resumes a TLS session (a ticket, or its session cache, both per context) without
    /// calling the custom verification callback, so a resumed connection would carry no verified
    /// peer; Envoy resumes whenever it can (measured through Envoy 1.40: 2 of its 3 connections
    /// to one listener were resumptions, and every check on them was denied
    /// `caller_not_allowed`). swift-nio-ssl offers no switch for tickets or the session cache, so
    /// each connection gets a fresh context: no ticket or cached session of another context is
    /// accepted, every connection makes a full handshake, and every peer is verified (and checked
    /// against revocation) afresh. Envoy keeps its ext_authz connections open, so the extra
    /// handshakes are few; the certificate and key are parsed once.
    private let perConnection: TLSConfiguration?
    /// How client chains are verified; `nil` on a listener that asks for no client certificate.
    private let handshake: HandshakeVerification?
    private let callers: CallerPolicy

    /// The TLS of `listener`, or `nil` for a plaintext one.
    ///
    /// - Parameters:
    ///   - protocols: What ALPN offers, in order of preference.
    ///   - verifier: Verifies client chains; required for an mTLS listener.
    ///   - logger: Where refused client chains are logged.
    /// - Throws: When the certificate or key cannot be loaded, or an mTLS listener has no verifier.
    package static func make(
        _ listener: ListenerConfiguration, protocols: [String], verifier: (any ListenerPeerVerifier)?, logger: Logger
    ) throws -> ListenerTLS? {
        switch listener.security {
        case .plaintext:
            return nil
        case .tls(let chain, let key):
            let configuration = try ListenerTLSConfiguration.server(
                chain: chain, key: key, protocols: protocols, clientCertificates: .none)
            return ListenerTLS(
                context: try NIOSSLContext(configuration: configuration), perConnection: nil, handshake: nil,
                callers: listener.callers)
        case .mutualTLS(let chain, let key, _):
            guard let verifier else { throw MissingVerifierError(listener: listener) }
            let configuration = try ListenerTLSConfiguration.server(
                chain: chain, key: key, protocols: protocols, clientCertificates: .required)
            return ListenerTLS(
                context: try NIOSSLContext(configuration: configuration), perConnection: configuration,
                handshake: HandshakeVerification(
                    verifier: verifier, listener: "\(listener)", logger: logger,
                    clock: CheckPipeline.systemClock),
                callers: listener.callers)
        }
    }

    /// Adds the TLS handler to a new connection's pipeline.
    ///
    /// - Returns: The connection's caller, admitted per check once the handshake has verified it.
    package func configure(_ channel: any Channel) throws -> ConnectionCaller {
        guard let handshake = self.handshake else {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: self.context))
            return ConnectionCaller(unverified: self.callers)
        }
        let caller = ConnectionCaller(policy: self.callers)
        // A context of its own, so that the handshake cannot resume a session and skip verification
        // (an mTLS listener, the only one with a handshake verification, always has its configuration).
        try channel.pipeline.syncOperations.addHandler(
            try self.perConnection.map { try handshake.serverHandler(configuration: $0, onAccepted: caller.record) }
                ?? NIOSSLServerHandler(
                    context: self.context,
                    customVerificationCallbackWithMetadata: handshake.callback(
                        onAccepted: caller.record)))
        return caller
    }

    /// An mTLS listener was bound without a verifier for its clients (a wiring mistake).
    package struct MissingVerifierError: Error, CustomStringConvertible {
        let listener: ListenerConfiguration
        package var description: String {
            "The mTLS listener \(self.listener) has no client certificate verifier; it cannot verify its clients."
        }
    }
}

/// The client of one front-door connection, as its checks see it.
///
/// On an mTLS listener the handshake records the verified peer before any request can
/// arrive, and each check asks ``admit(at:)``; elsewhere every check is admitted with no peer.
package final class ConnectionCaller: Sendable {
    /// Every caller of a plaintext or server-only TLS listener.
    package static let anyone = ConnectionCaller(policy: nil)

    /// Whether a check from this connection is decided, and with what caller facts.
    package enum Admission {
        case admitted(CallerFacts)
        /// Denied with `caller_not_allowed`; `detail` says why when the certificate itself no
        /// longer passes (`certificate_expired`), `nil` when the caller is simply not pinned.
        case refused(detail: DecisionReason?)
    }

    /// GatehouseIdentity's code for a certificate past its `notAfter`.
    private static let certificateExpired = DecisionReason(code: "certificate_expired")

    /// The listener's pinning; `nil` when it verifies no client certificate.
    private let policy: CallerPolicy?
    /// What every check knows of its caller when the listener verifies no client certificate.
    private let unverified: CallerFacts
    /// The handshake's answer, which holds for the connection: the verified leaf's `notAfter`,
    /// and the caller facts when the pinning admits the peer (`nil` when it does not).
    private let verified = Mutex<(facts: CallerFacts?, notAfter: UnixTime?)?>(nil)

    package init(policy: CallerPolicy?) {
        self.policy = policy
        self.unverified = CallerFacts()
    }

    /// A caller of a listener that verifies no client certificate (plaintext, or TLS without
    /// client certificates), trusted for forwarded identities as `callers` says.
    package init(unverified callers: CallerPolicy) {
        self.policy = nil
        self.unverified = CallerFacts(trustsForwardedIdentity: callers.trustsForwardedIdentity)
    }

    /// Keeps the peer the handshake verified, pinned once for the connection's checks.
    @Sendable package func record(_ peer: ListenerPeer) {
        let facts = self.policy?.admit(peer)
        self.verified.withLock { $0 = (facts, peer.identity.notAfter) }
    }

    /// Whether a check on this connection at `time` is admitted.
    ///
    /// A connection may outlive its client certificate: a check after the leaf's `notAfter` is
    /// refused (`certificate_expired`), as a new handshake would be.
    package func admit(at time: @autoclosure () -> UnixTime) -> Admission {
        guard self.policy != nil else { return .admitted(self.unverified) }
        // An mTLS connection carries checks only after its handshake verified the peer; a missing
        // peer would be a bug, and admits no one.
        guard let verified = self.verified.withLock({ $0 }) else { return .refused(detail: nil) }
        if let notAfter = verified.notAfter, time() > notAfter {
            return .refused(detail: Self.certificateExpired)
        }
        guard let facts = verified.facts else { return .refused(detail: nil) }
        return .admitted(facts)
    }
}
