import GatehouseCore

/// Why a certificate or chain was rejected: the stable code and a short description.
///
/// The description may name a subject or serial number, never the certificate's encoding.
///
/// Not an ``IdentityError``: a rejected certificate is a value, not an operational failure. It
/// is the failure side of internal `Result`s (PEM decoding, SPIFFE parsing) and what each
/// ``ClientCertificatePolicy`` returns; ``ClientCertificateVerifier`` turns it into a
/// ``CredentialFailure`` (``failure``), so it never escapes the target. ``code`` is the stable
/// `certificate_*` reason detail that tests compare.
struct CertificateProblem: Error, Hashable, Sendable {
    /// The fine-grained code, one of the `certificate_` ``DecisionReason`` constants.
    var code: DecisionReason
    /// What is wrong, for logs and the decision record.
    var message: String

    init(_ code: DecisionReason, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The failure the decision tree turns into a denial.
    var failure: CredentialFailure { .clientCertificate(self.code, self.message) }
}
