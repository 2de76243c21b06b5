package import GatehouseCore

/// What ``TokenVerifier`` found out about a request's bearer token.
package enum TokenVerification: Sendable {
    /// No configured source holds a token (a `Basic` Authorization header counts as none).
    case absent
    /// The token verified: signature, issuer, algorithm, time claims, audience and required claims.
    case verified(VerifiedToken)
    /// A token was presented and failed; the failure's `detail` is one of the `token_*` reasons.
    case rejected(CredentialFailure)
}

/// A rejection inside the verification pipeline; becomes ``TokenVerification/rejected(_:)``.
///
/// Not an ``IdentityError``: a rejected token is a value, not an operational failure. The
/// pipeline's stages (`CompactJWS`, `KeySelector`, `ClaimChecks`) stop at the first problem with
/// `throws(TokenRejection)` (typed throws over a closed, internal API); ``TokenVerifier`` catches
/// every one and returns it as ``TokenVerification/rejected(_:)``, so it never escapes the target.
/// ``code`` is the stable `token_*` reason detail that Envoy's callers and tests compare.
struct TokenRejection: Error {
    var code: DecisionReason
    /// A sentence for `error_description`: never any part of the token.
    var description: String

    init(_ code: DecisionReason, _ description: String) {
        self.code = code
        self.description = description
    }

    var failure: CredentialFailure { .token(self.code, self.description) }
}
