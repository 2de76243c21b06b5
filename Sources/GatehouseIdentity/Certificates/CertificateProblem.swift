import GatehouseCore

/// Why a certificate or chain was rejected: the stable code and a short description.
///
/// The description may name a subject or serial number, never the certificate's encoding.
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
