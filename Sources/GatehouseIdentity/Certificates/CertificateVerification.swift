package import GatehouseCore

/// The outcome of verifying a client certificate (or Envoy's principal): a value, not an error.
///
/// A rejection is the caller's fault and becomes a 401 or 403 with reason
/// `invalid_client_certificate`; Gatehouse failing itself is never expressed here.
package enum CertificateVerification: Sendable {
    /// The certificate chained to the trust bundle and named an identity the policy accepts.
    case verified(PeerIdentity)
    /// The certificate was rejected; the failure's ``CredentialFailure/detail`` says why.
    case rejected(CredentialFailure)
}

extension CertificateVerification {
    /// A rejection with `code` and a description that names the certificate, never its contents.
    static func reject(_ code: DecisionReason, _ description: String) -> CertificateVerification {
        .rejected(.clientCertificate(code, description))
    }
}
