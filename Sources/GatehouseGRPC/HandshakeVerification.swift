import GatehouseCore
import Logging
import NIOCore
import NIOSSL

/// Verifies the client chain of an mTLS handshake with a ``ListenerPeerVerifier``.
///
/// swift-nio-ssl calls ``callback`` once per handshake with the chain the client presented (leaf
/// first) in place of BoringSSL's own chain verification. An accepted chain completes the
/// handshake and is handed to `onAccepted` before it does (the direct transport keeps it for the
/// connection's checks); a refused one fails the handshake with a TLS alert, and the refusal is
/// logged with its stable `certificate_*` code. Under TLS 1.3 the client finishes its side of
/// the handshake before the server has verified it, so it sees the alert on its first read.
struct HandshakeVerification: Sendable {
    let verifier: any ListenerPeerVerifier
    let listener: ListenerConfiguration
    let logger: Logger
    /// Now, at which validity and CRL freshness are judged.
    let clock: @Sendable () -> UnixTime

    /// The swift-nio-ssl callback; `onAccepted` runs for an accepted chain before the handshake completes.
    func callback(
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
