/// Verifies the certificate chain a client presents to a TLS listener (mutual TLS).
///
/// The port belongs to the transports that call it (GatehouseGRPC); GatehouseIdentity's
/// `ClientCertificateVerifier` implements it with the rules it applies to a certificate Envoy
/// forwards (path to the trust bundle, validity, leaf not a CA, client-auth usage, revocation,
/// SPIFFE), and the CLI builds one per mTLS listener from its `tls` settings. A refusal is a
/// value, not an error: the transport refuses the handshake and logs the reason's code.
package protocol ListenerPeerVerifier: Sendable {
    /// Verifies `chain` at `time`.
    ///
    /// - Parameters:
    ///   - chain: The DER certificates as the client presented them, leaf first; the others are
    ///     untrusted candidates for building a path to the trust bundle.
    ///   - time: Now: validity and CRL freshness are judged at it.
    /// - Returns: The verified peer, or the refusal with its `certificate_*` code as ``CredentialFailure/detail``.
    func verify(chain: [[UInt8]], at time: UnixTime) async -> ListenerPeerVerification
}

/// What a ``ListenerPeerVerifier`` says about a presented chain.
package enum ListenerPeerVerification: Sendable, Hashable {
    /// The chain leads to the trust bundle and the leaf meets every rule.
    case accepted(ListenerPeer)
    /// The chain was refused; the failure's ``CredentialFailure/detail`` is the stable `certificate_*` code.
    case refused(CredentialFailure)
}
