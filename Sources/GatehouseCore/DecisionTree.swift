/// The compiled form of a whole policy set: what every check is decided against.
///
/// A tree is an immutable value; a reload builds a new one and swaps it whole, so a check
/// that started on one revision finishes on it. Evaluation walks policy selection → method
/// bucket → path trie → leaf conditions, and on the common path allocates nothing.
///
/// ```swift
/// let tree = try PolicyCompiler.compile(directory: "policies").tree
/// let request = AuthzRequest(method: "GET", path: "/births/42", host: "civil-registry.gov.example")
/// let decision = tree.evaluate(request, identity: identity)
/// if decision.isAllowed { … }
/// ```
package struct DecisionTree: Sendable {
    /// The revision of the policy set, e.g. a content digest.
    package let revision: String
    /// The policies, in the order the compiler produced them.
    package let policies: [CompiledPolicy]
    /// Every request attribute any policy reads, sorted.
    package let attributesRead: [RequestAttribute]
    /// Per policy (indexed like ``policies``), what the decision cache keys its decisions on.
    package let cachePlans: [PolicyCachePlan]
    private let index: PolicyIndex

    package init(revision: String, policies: [CompiledPolicy]) {
        self.revision = revision
        self.policies = policies
        self.index = PolicyIndex(policies: policies)
        self.cachePlans = policies.map(PolicyCachePlan.init)
        self.attributesRead = policies.reduce(into: Set<RequestAttribute>()) { $0.formUnion($1.attributes) }.sorted()
    }

    /// The number of rules over all policies.
    package var ruleCount: Int { self.policies.reduce(0) { $0 + $1.rules.count } }
    /// The number of trie nodes over all policies and method buckets.
    package var nodeCount: Int { self.policies.reduce(0) { $0 + $1.nodeCount } }

    /// Decides a request.
    package func evaluate(_ request: AuthzRequest, identity: Identity) -> Decision {
        var tracer = NoTracer()
        return self.evaluate(request, identity: identity, tracer: &tracer)
    }

    /// Decides a request, reporting each step to `tracer`.
    package func evaluate<Tracer: EvaluationTracer>(
        _ request: AuthzRequest,
        identity: Identity,
        tracer: inout Tracer
    ) -> Decision {
        if let problem = request.pathProblem {
            tracer.record(.pathRejected(raw: request.rawPath, problem))
            var decision: Decision
            switch problem {
            case .tooLong: decision = self.globalDenial(status: 414, reason: .pathTooLong, identity: identity)
            case .ambiguous: decision = self.globalDenial(status: 400, reason: .ambiguousPath, identity: identity)
            case .dotSegment:
                decision = self.globalDenial(status: 400, reason: .ambiguousPath, identity: identity)
                decision.reasonDetail = .pathDotSegment
            }
            Self.trace(decision, &tracer)
            return decision
        }
        guard let policyIndex = self.selectPolicy(for: request) else {
            tracer.record(.noPolicySelected(host: request.host))
            let decision = self.globalDenial(status: 403, reason: .noPolicy, identity: identity)
            Self.trace(decision, &tracer)
            return decision
        }
        // Built once in its final place: every `var decision = …; decision.x = …` step and every
        // pass-through return here was an outlined copy and destroy of the whole `Decision` (its
        // fifteen strings and arrays retained and released), about a quarter of a decision's
        // instructions (callgrind, DecisionLoop).
        let decision = self.decide(
            request, identity: identity, policy: self.policies[Int(policyIndex)], tracer: &tracer)
        Self.trace(decision, &tracer)
        return decision
    }

    private func decide<Tracer: EvaluationTracer>(
        _ request: AuthzRequest, identity: Identity, policy: CompiledPolicy, tracer: inout Tracer
    ) -> Decision {
        tracer.record(
            .policySelected(
                name: policy.name, location: policy.location, selector: Self.describe(policy.selector, request)))
        // Kept with the decision (and so in the cache) so that every record names the caller it was made for.
        let caller =
            identity.isAuthenticated ? AuditedCaller(identity, loggableClaims: policy.logClaims) : AuditedCaller()
        if let failure = identity.credentialFailure {
            tracer.record(.credentialRejected(failure))
            return self.credentialDenial(policy, failure, request: request, identity: identity, caller: caller)
        }
        let match = Self.matchRules(of: policy, request: request, identity: identity, tracer: &tracer)
        return self.decide(policy, match, request: request, identity: identity, caller: caller)
    }

    /// The index in ``policies`` of the policy that governs `request`, if any.
    package func policyIndex(for request: AuthzRequest) -> Int? {
        self.selectPolicy(for: request).map { Int($0) }
    }

    private func selectPolicy(for request: AuthzRequest) -> Int32? {
        self.policies.withUnsafeBufferPointer { policies in
            for candidate in self.index.candidates(host: request.host)
            where policies[Int(candidate)].selector.matchesContext(request.contextExtensions) {
                return candidate
            }
            return nil
        }
    }

    private static func trace<Tracer: EvaluationTracer>(_ decision: borrowing Decision, _ tracer: inout Tracer) {
        tracer.record(
            .decided(outcome: decision.outcome, status: decision.status, reason: decision.reason, rule: decision.rule))
    }

    private static func describe(_ selector: PolicySelector, _ request: AuthzRequest) -> String {
        var parts: [String] = []
        if let host = selector.hosts.first(where: { $0.matches(request.host) }) { parts.append("host '\(host)'") }
        for requirement in selector.contextExtensions {
            parts.append("context extension \(requirement.key)=\(request.contextExtensions[requirement.key] ?? "")")
        }
        return parts.isEmpty ? "default (selects every request)" : parts.joined(separator: ", ")
    }
}
