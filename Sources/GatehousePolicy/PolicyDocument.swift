package import GatehouseCore

/// A `kind: Policy` document after the schema stage.
package struct PolicyDocument: Sendable {
    /// The policy name.
    package var name: Located<String>
    /// The free-text description.
    package var description: String?
    /// Where the document starts.
    package var location: SourceLocation
    /// The selector, if the document has one (without, it selects every request).
    package var select: SelectorDocument?
    /// The authentication section.
    package var authentication: AuthenticationSettings?
    /// The rules in order.
    package var rules: [RuleDocument]
    /// The response section.
    package var response: ResponseDocument
    /// The cache section.
    package var cache: PolicyCacheSettings
    /// The claims its decision records keep (`log: { claims: [...] }`).
    package var logClaims: [ClaimPath] = []
}

/// A policy's `select` section.
package struct SelectorDocument: Sendable {
    /// Host patterns.
    package var hosts: [Located<HostPattern>]
    /// Required context extensions.
    package var contextExtensions: [Located<PolicySelector.ContextRequirement>]
    /// Where the section starts.
    package var location: SourceLocation
}

/// One rule after the schema stage; groups are still names.
package struct RuleDocument: Sendable {
    package var name: Located<String>
    package var description: String?
    package var action: RuleAction
    package var isShadow: Bool
    package var methods: [String]
    package var excludesMethods: Bool
    package var paths: [PathPattern]
    /// Conditions that need no resolution.
    package var conditions: [Condition]
    /// `groups` / `notGroups` names, resolved by the semantics stage.
    package var groups: [Located<String>]
    package var excludedGroups: [Located<String>]
    package var deniedResponse: DeniedResponseShape?
    package var location: SourceLocation
}

/// A `kind: Group` document.
package struct GroupDocument: Sendable {
    package var name: Located<String>
    package var description: String?
    /// SPIFFE and X-Road patterns listed directly.
    package var patterns: [PrincipalPattern]
    /// Nested group names.
    package var groups: [Located<String>]
    package var location: SourceLocation
}

/// A policy's `response` section.
package struct ResponseDocument: Sendable {
    package var allow: AllowResponseShape = AllowResponseShape()
    package var unauthenticated: DeniedResponseShape = DeniedResponseShape(status: 401)
    package var forbidden: DeniedResponseShape = DeniedResponseShape(status: 403)
}
