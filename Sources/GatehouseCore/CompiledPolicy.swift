/// Which requests a policy governs.
package struct PolicySelector: Sendable, Hashable {
    /// Host patterns; empty means any host.
    package var hosts: [HostPattern]
    /// Required context extensions: each key must be present with one of the listed values.
    package var contextExtensions: [ContextRequirement]

    /// One required context extension.
    package struct ContextRequirement: Sendable, Hashable {
        /// The key, e.g. `building_block`.
        package var key: String
        /// The accepted values.
        package var values: [String]

        package init(key: String, values: [String]) {
            self.key = key
            self.values = values
        }
    }

    package init(hosts: [HostPattern] = [], contextExtensions: [ContextRequirement] = []) {
        self.hosts = hosts
        self.contextExtensions = contextExtensions
    }

    /// Whether the request's context extensions satisfy every requirement.
    @inline(__always)
    func matchesContext(_ extensions: [String: String]) -> Bool {
        for requirement in self.contextExtensions {
            guard let value = extensions[requirement.key],
                requirement.values.contains(where: { ASCII.equal($0, value) })
            else { return false }
        }
        return true
    }
}

/// What a policy's authentication section means for the decision.
///
/// The identity layer does the verifying; the decision only needs to know whether a
/// missing credential turns a deny into a 401, and which credentials to strip.
package struct AuthenticationSummary: Sendable, Hashable {
    /// Whether the policy declares any JWT issuer or client-certificate trust.
    package var acceptsCredentials: Bool
    /// Whether bearer tokens are accepted, so a 401 carries `WWW-Authenticate: Bearer`.
    package var acceptsBearerTokens: Bool
    /// The realm for `WWW-Authenticate`.
    package var realm: String
    /// Issuers whose tokens are forwarded to the upstream; all others are stripped.
    package var forwardedIssuers: [String]
    /// The status for an invalid client certificate (401 or 403).
    package var invalidCertificateStatus: UInt16

    package init(
        acceptsCredentials: Bool = false,
        acceptsBearerTokens: Bool = false,
        realm: String = "gatehouse",
        forwardedIssuers: [String] = [],
        invalidCertificateStatus: UInt16 = 401
    ) {
        self.acceptsCredentials = acceptsCredentials
        self.acceptsBearerTokens = acceptsBearerTokens
        self.realm = realm
        self.forwardedIssuers = forwardedIssuers
        self.invalidCertificateStatus = invalidCertificateStatus
    }
}

/// One policy, compiled: its selector, rules, response shapes and per-method path tries.
///
/// Immutable, and a class so that the decision path borrows it by reference: as a struct, every
/// decision copied it (retaining each of its fields) when selecting it.
package final class CompiledPolicy: Sendable {
    /// The policy's name, unique in the tree.
    package let name: String
    /// Where the policy is written.
    package let location: SourceLocation
    /// Which requests it governs.
    package let selector: PolicySelector
    /// The rules in declaration order; a rule's index is its precedence.
    package let rules: [CompiledRule]
    /// What its authentication section implies.
    package let authentication: AuthenticationSummary
    /// What an allow adds to and removes from the request.
    package let allowResponse: AllowResponseShape
    /// The response for missing or invalid credentials (401 by default).
    package let unauthenticatedResponse: DeniedResponseShape
    /// The response for a forbidden request (403 by default).
    package let forbiddenResponse: DeniedResponseShape
    /// Whether and how long its decisions may be cached.
    package let cache: PolicyCacheSettings
    /// The token claims its decision records keep (`log: { claims: [...] }`); none by default.
    package let logClaims: [ClaimPath]
    /// One trie per method bucket for rules that name methods, then (at ``anyMethod``) one for rules that do not.
    ///
    /// A rule without a method condition lives only in the last trie, so a policy's memory grows
    /// with its rules, not with rules times methods.
    let tries: [PathTrie]
    /// Per method bucket (and ``anyMethod``), the rules without a path condition.
    let pathlessRules: [[Int32]]
    /// The index of the trie and pathless list for rules without a method condition.
    static let anyMethod = HTTPMethod.bucketCount

    package init(
        name: String,
        location: SourceLocation,
        selector: PolicySelector,
        rules: [CompiledRule],
        authentication: AuthenticationSummary = AuthenticationSummary(),
        allowResponse: AllowResponseShape = AllowResponseShape(),
        unauthenticatedResponse: DeniedResponseShape = DeniedResponseShape(status: 401),
        forbiddenResponse: DeniedResponseShape = DeniedResponseShape(status: 403),
        cache: PolicyCacheSettings = PolicyCacheSettings(),
        logClaims: [ClaimPath] = []
    ) {
        self.name = name
        self.location = location
        self.selector = selector
        self.rules = rules
        self.authentication = authentication
        self.allowResponse = allowResponse
        self.unauthenticatedResponse = unauthenticatedResponse
        self.forbiddenResponse = forbiddenResponse
        self.cache = cache
        self.logClaims = logClaims
        var tries = Array(repeating: PathTrie(), count: HTTPMethod.bucketCount + 1)
        var pathless = Array(repeating: [Int32](), count: HTTPMethod.bucketCount + 1)
        for (index, rule) in rules.enumerated() {
            let buckets =
                rule.methods.isEmpty
                ? [Self.anyMethod] : (0..<HTTPMethod.bucketCount).filter { rule.appliesTo(bucket: $0) }
            for bucket in buckets {
                if rule.paths.isEmpty {
                    pathless[bucket].append(Int32(index))
                } else {
                    for pattern in rule.paths { tries[bucket].insert(pattern, rule: Int32(index)) }
                }
            }
        }
        self.tries = tries
        self.pathlessRules = pathless
        let templates =
            allowResponse.headers.map(\.value) + allowResponse.setQueryParameters.map(\.value)
            + (unauthenticatedResponse.headers + forbiddenResponse.headers).map(\.value)
            + rules.flatMap { $0.deniedResponse?.headers.map(\.value) ?? [] }
        self.attributes = Self.attributes(
            selector: selector, rules: rules, authentication: authentication, templates: templates)
    }

    /// The number of trie nodes over all method buckets.
    package var nodeCount: Int { self.tries.reduce(0) { $0 + $1.nodeCount } }

    /// The attributes the policy reads: its selector, its rules and its response templates.
    ///
    /// Computed once at init: the linter, the tree and the cache plan each ask for it, and over a
    /// 100,000-rule policy each computation was ~2 % of the compile.
    package let attributes: Set<RequestAttribute>

    private static func attributes(
        selector: PolicySelector, rules: [CompiledRule], authentication: AuthenticationSummary,
        templates: [ValueTemplate]
    ) -> Set<RequestAttribute> {
        // `.method` and `.path` are in from the start, so a rule adds exactly its conditions'
        // attributes (``CompiledRule/attributes`` adds those two when it has methods or paths).
        var attributes: Set<RequestAttribute> = [.method, .path, .authenticated]
        if !selector.hosts.isEmpty { attributes.insert(.host) }
        for requirement in selector.contextExtensions { attributes.insert(.contextExtension(requirement.key)) }
        for rule in rules {
            for condition in rule.conditions { for attribute in condition.attributes { attributes.insert(attribute) } }
        }
        for template in templates {
            for case .attribute(let attribute) in template.parts { attributes.insert(attribute.requestAttribute) }
        }
        if authentication.acceptsBearerTokens { attributes.insert(.tokenIssuer) }
        return attributes
    }
}
