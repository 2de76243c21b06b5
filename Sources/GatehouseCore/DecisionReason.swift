/// The stable snake_case code that says why a decision came out as it did.
///
/// Codes are public API: they appear in decision logs, dynamic metadata and metrics, and
/// change only with a changelog entry. The set grows with new layers (the identity layer
/// adds finer token codes), so this is a struct, not an enum.
package struct DecisionReason: Hashable, Sendable, CustomStringConvertible {
    /// The snake_case code.
    package let code: String

    package init(code: String) { self.code = code }

    package var description: String { self.code }

    /// An allow rule matched and no enforced deny rule did.
    package static let allowed = DecisionReason(code: "allowed")
    /// An enforced deny rule matched.
    package static let deniedByRule = DecisionReason(code: "denied_by_rule")
    /// The selected policy has no allow rule that matches.
    package static let noMatchingRule = DecisionReason(code: "no_matching_rule")
    /// No policy selects the request.
    package static let noPolicy = DecisionReason(code: "no_policy")
    /// The path's meaning is ambiguous (encoded `/` or `\`, NUL, invalid escapes, …).
    package static let ambiguousPath = DecisionReason(code: "ambiguous_path")
    /// The `reason_detail` of an `ambiguous_path` denial for a `.` or `..` segment or an encoded
    /// dot: the one kind the server setting `paths.dotSegments: normalize` would accept.
    package static let pathDotSegment = DecisionReason(code: "path_dot_segment")
    /// The path is longer than the normalizer accepts.
    package static let pathTooLong = DecisionReason(code: "path_too_long")
    /// The policy needs a credential and none was presented.
    package static let missingCredentials = DecisionReason(code: "missing_credentials")
    /// A bearer token was presented and failed verification.
    package static let invalidToken = DecisionReason(code: "invalid_token")
    /// A client certificate was presented and failed verification.
    package static let invalidClientCertificate = DecisionReason(code: "invalid_client_certificate")
    /// The client of the check (an Envoy on a TLS listener) passed TLS but is not one of the
    /// listener's `allowedClients`; the check is denied without looking at any policy.
    package static let callerNotAllowed = DecisionReason(code: "caller_not_allowed")
    /// Something inside Gatehouse failed; the request is denied (fail closed).
    package static let internalError = DecisionReason(code: "internal_error")
    /// No policy has been activated yet.
    package static let policyNotLoaded = DecisionReason(code: "policy_not_loaded")
    /// Strict auditing is on and the decision log cannot accept a record now (queue full, store
    /// failing): the request is denied rather than decided without a record.
    package static let auditUnavailable = DecisionReason(code: "audit_unavailable")
}
