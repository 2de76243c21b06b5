/// Why a stored decision cannot be judged again: the candidate would need something the record
/// does not hold.
///
/// A replay never guesses: such a record is counted under this reason, never silently judged.
package struct ReplayLimit: Error, Hashable, Comparable, CustomStringConvertible {
    /// A stable code: one of the static members below.
    package var code: String
    /// What exactly is missing (`request.headers[x-tenant]`, `jwt.claims.roles`, the reason code).
    package var detail: String

    package init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// A rule the request reaches reads a header; records keep no header but `x-request-id`.
    package static func header(_ name: String) -> ReplayLimit {
        ReplayLimit(code: "header_not_recorded", detail: "request.headers[\(name)]")
    }

    /// A rule reads a token claim the policy that decided did not mark loggable.
    package static func claim(_ path: String) -> ReplayLimit {
        ReplayLimit(code: "claim_not_logged", detail: "jwt.claims.\(path)")
    }

    /// Policy selection or a rule reads Envoy's `context_extensions`, which records do not keep.
    package static func contextExtension(_ key: String) -> ReplayLimit {
        ReplayLimit(code: "context_extension_not_recorded", detail: "context_extensions[\(key)]")
    }

    /// A rule reads an AuthZEN entity's property, which records do not keep.
    package static func property(_ attribute: String) -> ReplayLimit {
        ReplayLimit(code: "property_not_recorded", detail: attribute)
    }

    /// No policy governed the request when it was decided, so no credential was ever verified;
    /// the candidate selects one and would need the caller's identity.
    package static let credentialsNotVerified = ReplayLimit(
        code: "credentials_not_verified", detail: "no active policy selected the request, so no credential was verified"
    )

    /// The recorded decision was not a policy's verdict (`internal_error`, `policy_not_loaded`,
    /// `audit_unavailable`, `caller_not_allowed`): there is nothing to compare with.
    package static func notAPolicyDecision(_ reason: String) -> ReplayLimit {
        ReplayLimit(code: "not_a_policy_decision", detail: reason)
    }

    /// A recorded field does not parse (a claim that is not JSON, an X-Road client or address that is malformed).
    package static func malformed(_ field: String) -> ReplayLimit {
        ReplayLimit(code: "malformed_record", detail: field)
    }

    package var description: String { "\(self.code) (\(self.detail))" }

    package static func < (lhs: ReplayLimit, rhs: ReplayLimit) -> Bool {
        (lhs.code, lhs.detail) < (rhs.code, rhs.detail)
    }
}
