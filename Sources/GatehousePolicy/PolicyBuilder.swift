import GatehouseCore

/// The tree-build stage: documents → compiled policies.
enum PolicyBuilder {
    /// Compiles one policy document.
    ///
    /// - Parameter rulesPerChunk: Above this many rules, the rules are built in chunks of this size
    ///   on all cores (each chunk shares repeated lists within itself); the rules do not depend on it.
    static func compile(
        _ policy: PolicyDocument, groups: inout GroupResolver, rulesPerChunk: Int = PolicyCompiler.rulesPerChunk
    ) -> CompiledPolicy {
        // Groups first, in rule order: the resolver records which groups are used and reports
        // unknown and circular ones as it goes.
        var groupConditions: [Int: [Condition]] = [:]
        for (index, rule) in policy.rules.enumerated() where !rule.groups.isEmpty || !rule.excludedGroups.isEmpty {
            var conditions: [Condition] = []
            if !rule.groups.isEmpty, let patterns = groups.patterns(of: rule.groups) {
                conditions.append(.principals(patterns, negated: false))
            }
            if !rule.excludedGroups.isEmpty, let patterns = groups.patterns(of: rule.excludedGroups) {
                conditions.append(.principals(patterns, negated: true))
            }
            groupConditions[index] = conditions
        }
        let documents = policy.rules
        let resolved = groupConditions
        let rules = PolicyCompiler.concurrentArray(documents.count, chunkSize: rulesPerChunk, state: { RuleStorage() })
        {
            index, storage in
            Self.rule(documents[index], groupConditions: resolved[index] ?? [], storage: &storage)
        }
        let authentication =
            policy.authentication.map { document in
                AuthenticationSummary(
                    acceptsCredentials: !document.jwt.isEmpty || document.mtls != nil,
                    acceptsBearerTokens: !document.jwt.isEmpty,
                    realm: document.realm ?? policy.name.value,
                    forwardedIssuers: document.jwt.filter(\.forward).map(\.issuer.value),
                    invalidCertificateStatus: document.mtls?.invalidCertificateStatus ?? 401)
            } ?? AuthenticationSummary(realm: policy.name.value)
        let selector = PolicySelector(
            hosts: policy.select?.hosts.map(\.value) ?? [],
            contextExtensions: policy.select?.contextExtensions.map(\.value) ?? [])
        return CompiledPolicy(
            name: policy.name.value, location: policy.location, selector: selector, rules: rules,
            authentication: authentication, allowResponse: policy.response.allow,
            unauthenticatedResponse: policy.response.unauthenticated, forbiddenResponse: policy.response.forbidden,
            cache: policy.cache, logClaims: policy.logClaims)
    }

    /// One compiled rule, in storage of its own.
    private static func rule(
        _ rule: RuleDocument, groupConditions: [Condition], storage: inout RuleStorage
    ) -> CompiledRule {
        CompiledRule(
            name: RuleStorage.copy(rule.name.value), action: rule.action, isShadow: rule.isShadow,
            methods: storage.shared(rule.methods), excludesMethods: rule.excludesMethods,
            paths: rule.paths.map { storage.pattern($0) },
            conditions: (rule.conditions + groupConditions).sorted(by: Self.cheaperFirst).map { storage.condition($0) },
            location: rule.location, deniedResponse: rule.deniedResponse)
    }

    /// Orders leaf conditions so the cheap ones that most often fail run first.
    private static func cheaperFirst(_ lhs: Condition, _ rhs: Condition) -> Bool {
        Self.cost(lhs) < Self.cost(rhs)
    }

    private static func cost(_ condition: Condition) -> Int {
        switch condition {
        case .authenticated: return 0
        case .methods: return 1
        case .header: return 2
        case .claim, .property: return 3
        case .hosts: return 4
        case .sourceCIDRs: return 5
        case .principals: return 6
        case .paths: return 7
        }
    }
}
