package import GatehouseCore

/// The fine-grained reasons a bearer token is rejected: the `reason_detail` of an `invalid_token` denial.
///
/// Stable public API (decision logs, dynamic metadata, metrics); documented in the README.
extension DecisionReason {
    /// The token is longer than the issuer's `maxTokenBytes`; rejected before any decoding.
    package static let tokenTooLarge = DecisionReason(code: "token_too_large")
    /// Not a compact JWS: not three segments (a JWE has five), bad JSON, a header or payload that is not an object.
    package static let tokenMalformed = DecisionReason(code: "token_malformed")
    /// A segment is not canonical unpadded base64url (padding, `+` or `/`, whitespace, stray bits).
    package static let tokenBadEncoding = DecisionReason(code: "token_bad_encoding")
    /// The header or payload names a member twice.
    package static let tokenDuplicateMember = DecisionReason(code: "token_duplicate_member")
    /// The header's `alg` is `none` in any spelling.
    package static let tokenAlgNone = DecisionReason(code: "token_alg_none")
    /// The header's `alg` is unknown or not in the issuer's allow-list.
    package static let tokenAlgNotAllowed = DecisionReason(code: "token_alg_not_allowed")
    /// The header has `crit`; Gatehouse implements no JWS extensions.
    package static let tokenCritUnsupported = DecisionReason(code: "token_crit_unsupported")
    /// The payload's `iss` is missing or names no configured issuer.
    package static let tokenIssuerUnknown = DecisionReason(code: "token_issuer_unknown")
    /// The issuer's key set has not loaded yet (or ever).
    package static let tokenKeysUnavailable = DecisionReason(code: "token_keys_unavailable")
    /// The header's `kid` names no key of the issuer usable for `alg`, even after a re-fetch.
    package static let tokenKeyUnknown = DecisionReason(code: "token_key_unknown")
    /// The header has no `kid` and the issuer has more than one key usable for `alg`.
    package static let tokenKeyAmbiguous = DecisionReason(code: "token_key_ambiguous")
    /// The signature has the wrong length or form for `alg` (e.g. DER-encoded ECDSA).
    package static let tokenSignatureMalformed = DecisionReason(code: "token_signature_malformed")
    /// The signature does not verify with the selected key.
    package static let tokenSignatureInvalid = DecisionReason(code: "token_signature_invalid")
    /// `exp` is at or before now minus the leeway.
    package static let tokenExpired = DecisionReason(code: "token_expired")
    /// `nbf` is after now plus the leeway.
    package static let tokenNotYetValid = DecisionReason(code: "token_not_yet_valid")
    /// `iat` is after now plus the leeway.
    package static let tokenIssuedInFuture = DecisionReason(code: "token_issued_in_future")
    /// `aud` holds none of the issuer's audiences, or is missing when audiences are configured.
    package static let tokenAudienceMismatch = DecisionReason(code: "token_audience_mismatch")
    /// A claim the issuer requires is missing.
    package static let tokenClaimMissing = DecisionReason(code: "token_claim_missing")
    /// A registered claim has the wrong type (`exp` as a string, `aud` as a number) or is beyond year 9999.
    package static let tokenClaimInvalid = DecisionReason(code: "token_claim_invalid")
    /// The token was found in a place its issuer does not read tokens from.
    package static let tokenSourceNotAllowed = DecisionReason(code: "token_source_not_allowed")
    /// The request carries two different tokens (e.g. a header and a cookie).
    package static let tokenAmbiguous = DecisionReason(code: "token_ambiguous")
}
