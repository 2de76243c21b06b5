extension DecisionTree {
    /// Decides a stored check again, or says why it cannot.
    ///
    /// Refuses (``ReplayLimit``) rather than guess whenever the evaluation would read what the
    /// record does not hold: a header, a claim that was not logged, a context extension, an AuthZEN
    /// property, or the
    /// identity of a caller whose credentials were never verified because no policy selected the
    /// request then. Only the rules the request's method and path reach count, so a header rule
    /// on another route does not make every record unreplayable.
    package func replay(_ check: ReplayedCheck) throws(ReplayLimit) -> Decision {
        var request = check.request
        guard request.pathProblem == nil else { return self.evaluate(request, identity: check.identity) }
        // Records keep no context extensions, but they name the policy that governed: the
        // candidate's policy of that name is taken to receive the same route's extensions.
        if let name = check.recordedPolicy, let recorded = self.policies.first(where: { $0.name == name }) {
            for requirement in recorded.selector.contextExtensions {
                if let value = requirement.values.first { request.contextExtensions[requirement.key] = value }
            }
        }
        for policy in self.policies
        where policy.selector.hosts.isEmpty || policy.selector.hosts.contains(where: { $0.matches(request.host) }) {
            for requirement in policy.selector.contextExtensions where request.contextExtensions[requirement.key] == nil
            {
                throw .contextExtension(requirement.key)
            }
        }
        guard let index = self.policyIndex(for: request) else {
            return self.evaluate(request, identity: .anonymous)
        }
        let policy = self.policies[index]
        if !check.credentialsVerified, policy.authentication.acceptsCredentials { throw .credentialsNotVerified }
        if check.identity.credentialFailure == nil {
            // A credential failure decides before any rule runs, so only then do rules not matter.
            for rule in policy.rules where !rule.isShadow && Self.reaches(rule, request) {
                for attribute in rule.conditions.flatMap(\.attributes) {
                    switch attribute {
                    case .header(let name) where name != "x-request-id": throw .header(name)
                    case .tokenClaim(let path) where !check.holdsClaim(path): throw .claim(path)
                    case .contextExtension(let key): throw .contextExtension(key)
                    case .property: throw .property(attribute.description)
                    default: continue
                    }
                }
            }
        }
        return self.evaluate(request, identity: check.credentialsVerified ? check.identity : .anonymous)
    }

    /// Whether `rule`'s method and path limits let `request` through to its conditions.
    private static func reaches(_ rule: CompiledRule, _ request: AuthzRequest) -> Bool {
        guard rule.appliesTo(bucket: request.method.bucket), rule.acceptsMethod(request.method) else { return false }
        return rule.paths.isEmpty || rule.paths.contains { $0.matches(request.path) }
    }
}
