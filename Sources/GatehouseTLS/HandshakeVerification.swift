package import GatehouseCore
package import Logging
package import NIOCore
package import NIOSSL

/// Verifies the client chain of an mTLS handshake with a ``ListenerPeerVerifier``.
///
/// Shared by every listener that verifies client certificates (the gRPC transport's and the
/// admin API's), so that a client certificate is judged the same way wherever it is presented.
/// swift-nio-ssl calls ``callback`` once per handshake with the chain the client presented (leaf
/// first) in place of BoringSSL's own chain verification. An accepted chain completes the
/// handshake and is handed to `onAccepted` before it does (the direct transport keeps it for the
/// connection's checks); a refused one fails the handshake with a TLS alert, and the refusal is
/// logged with its stable `certificate_*` code. Under TLS 1.3 the client finishes its side of
/// the handshake before the server has verified it, so it sees the alert on its first read.
package struct HandshakeVerification: Sendable {
    let verifier: any ListenerPeerVerifier
    /// The listener, as logs name it (its address).
    let listener: String
    let logger: Logger
    /// Now, at which validity and CRL freshness are judged.
    let clock: @Sendable () -> UnixTime

    /// - Parameters:
    ///   - verifier: Judges each presented chain.
    ///   - listener: The listener's address, for the log.
    ///   - logger: Where refusals are logged.
    ///   - clock: Now, at which validity and CRL freshness are judged.
    package init(
        verifier: any ListenerPeerVerifier, listener: String, logger: Logger, clock: @escaping @Sendable () -> UnixTime
    ) {
        self.verifier = verifier
        self.listener = listener
        self.logger = logger
        self.clock = clock
    }

    /// The swift-nio-ssl callback; `onAccepted` runs for an accepted chain before the handshake completes.
    ///
    /// Give each connection a TLS context of its own (`NIOSSLContext(configuration:)` per
    /// connection): BoringSSL resumes a session without calling this callback, so a shared
    /// context would let a resumed connection skip verification.
    package func callback(
        onAccepted: @escaping @Sendable (ListenerPeer) -> Void = { _ in }
    ) -> @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void {
        { certificates, promise in
            // An unreadable certificate becomes an empty one, which the verifier refuses as malformed.
            let chain = certificates.map { (try? $0.toDERBytes()) ?? [] }
            // swift-certificates validates asynchronously, and the callback runs on the event loop
            // with no task to be the parent: this task is the handshake's, it ends with it, and
            // the connection waits for its promise (or closes, which fails the handshake).
            promise.completeWithTask { await self.verify(chain, onAccepted: onAccepted) }
        }
    }

    private func verify(
        _ chain: [[UInt8]], onAccepted: @Sendable (ListenerPeer) -> Void
    ) async -> NIOSSLVerificationResultWithMetadata {
        switch await self.verifier.verify(chain: chain, at: self.clock()) {
        case .accepted(let peer):
            guard let validated = try? peer.certificateChain.map({ try NIOSSLCertificate(bytes: $0, format: .der) }),
                !validated.isEmpty
            else {
                self.logger.error(
                    "client certificate refused: the verified chain cannot be handed to TLS",
                    metadata: ["gatehouse.listener": "\(self.listener)"])
                return .failed
            }
            onAccepted(peer)
            return .certificateVerified(VerificationMetadata(ValidatedCertificateChain(validated)))
        case .refused(let failure):
            self.logger.warning(
                "client certificate refused; handshake failed",
                metadata: [
                    "gatehouse.listener": "\(self.listener)",
                    "gatehouse.reason": "\(failure.detail ?? failure.reason)",
                    "gatehouse.reason.description": "\(failure.description)",
                ])
            return .failed
        }
    }
}

extension HandshakeVerification {
    /// The TLS handler of one new connection: a context of its own made from `configuration`
    /// (so that no session of another connection can be resumed without verification) and this
    /// verification as its custom callback.
    ///
    /// - Parameters:
    ///   - configuration: The listener's server configuration, asking for a client certificate.
    ///   - onAccepted: Receives the verified peer before the handshake completes.
    /// - Throws: When the context cannot be made from `configuration`.
    package func serverHandler(
        configuration: TLSConfiguration, onAccepted: @escaping @Sendable (ListenerPeer) -> Void
    ) throws -> NIOSSLServerHandler {
        NIOSSLServerHandler(
            context: try NIOSSLContext(configuration: configuration),
            customVerificationCallbackWithMetadata: self.callback(onAccepted: onAccepted))
    }
}
