package import GatehouseCore

/// The fine-grained codes for a rejected client certificate.
///
/// They go into ``CredentialFailure/detail`` (dynamic metadata `reason_detail`, decision
/// records, metrics) under the class `invalid_client_certificate`. Each rejection has exactly
/// one code; codes are public API and change only with a changelog entry.
extension DecisionReason {
    /// The URL-encoded certificate is larger than Gatehouse decodes (64 KiB).
    package static let certificateTooLarge = DecisionReason(code: "certificate_too_large")
    /// Not well-formed PEM `CERTIFICATE` blocks with only whitespace around them: bad
    /// percent-encoding, no PEM, another kind of block, text between blocks, DER, or an X.509
    /// structure or leaf extension that does not parse.
    package static let certificateMalformed = DecisionReason(code: "certificate_malformed")
    /// The forwarded chain holds more certificates than Gatehouse reads (8, the leaf included).
    package static let certificateChainTooLong = DecisionReason(code: "certificate_chain_too_long")
    /// The certificate marks an extension critical that Gatehouse does not enforce.
    package static let certificateUnsupportedCriticalExtension = DecisionReason(
        code: "certificate_unsupported_critical_extension")
    /// The certificate's `notAfter` is before the request time.
    package static let certificateExpired = DecisionReason(code: "certificate_expired")
    /// The certificate's `notBefore` is after the request time.
    package static let certificateNotYetValid = DecisionReason(code: "certificate_not_yet_valid")
    /// An intermediate or root of the chain is expired or not yet valid at the request time.
    package static let certificateChainExpired = DecisionReason(code: "certificate_chain_expired")
    /// No chain leads to a root of the trust bundle: unknown CA, intermediate missing from the
    /// bundle, or a signature that does not verify.
    package static let certificateUntrusted = DecisionReason(code: "certificate_untrusted")
    /// The chain breaks another RFC 5280 rule: an issuer that is not a CA or may not sign
    /// certificates, a path length or name constraint, a version 1 certificate with extensions.
    package static let certificateChainInvalid = DecisionReason(code: "certificate_chain_invalid")
    /// Path building gave up: every candidate issuer costs a signature check, and a
    /// verification may spend only a fixed number of them (many CAs sharing one name).
    package static let certificatePathLimitExceeded = DecisionReason(code: "certificate_path_limit_exceeded")
    /// The client certificate is itself a CA (basic constraints `cA: true`).
    package static let certificateIsCA = DecisionReason(code: "certificate_is_ca")
    /// The client certificate is not a CA but its key usage asserts `keyCertSign`, which RFC 5280
    /// §4.2.1.3 allows only with `cA: true`.
    package static let certificateKeyCertSignWithoutCA = DecisionReason(code: "certificate_key_cert_sign_not_ca")
    /// Extended key usage is present without `clientAuth`, or key usage is present without
    /// `digitalSignature`.
    package static let certificateUsageInvalid = DecisionReason(code: "certificate_usage_invalid")
    /// The certificate or one of its intermediates is listed on its issuer's CRL.
    package static let certificateRevoked = DecisionReason(code: "certificate_revoked")
    /// The issuer's CRL is not current at the request time (`nextUpdate` passed or `thisUpdate`
    /// in the future), or a CRL loaded for an intermediate's name does not verify with the key of
    /// the intermediate in the chain, so revocation cannot be decided.
    package static let certificateRevocationUnknown = DecisionReason(code: "certificate_revocation_unknown")
    /// No SPIFFE ID where the policy needs one, two or more, one that is malformed, or one
    /// outside the policy's trust domain.
    package static let certificateSPIFFEInvalid = DecisionReason(code: "certificate_spiffe_invalid")
    /// The policy maps X-Road clients, no mapping yields a complete client ID, and the
    /// certificate has no SPIFFE ID either: it names no identity the policy can match.
    package static let certificateXRoadUnmapped = DecisionReason(code: "certificate_xroad_unmapped")
    /// Envoy's `source.principal` is neither a URI nor an RFC 4514 distinguished name.
    package static let certificatePrincipalInvalid = DecisionReason(code: "certificate_principal_invalid")
}
