/// The rules of one policy that matched a request.
struct RuleMatch {
    /// The first matching enforced deny rule, or `Int32.max`.
    var deny: Int32 = .max
    /// The first matching enforced allow rule, or `Int32.max`.
    var allow: Int32 = .max
    /// Matching shadow rules, in the order reached.
    var shadows: [Int32] = []
}

extension DecisionTree {
    /// Walks the policy's method bucket and path trie and checks each reached rule's leaf conditions.
    static func matchRules<Tracer: EvaluationTracer>(
        of policy: CompiledPolicy,
        request: AuthzRequest,
        identity: Identity,
        tracer: inout Tracer
    ) -> RuleMatch {
        let bucket = request.method.bucket
        tracer.record(
            .walk(
                method: request.method.rawValue,
                bucket: bucket == HTTPMethod.otherBucket ? "other" : request.method.rawValue, path: request.path))
        // The matcher travels `inout` through the trie walk: a closure capturing the request, the
        // identity and the policy would be re-created, and every captured field retained, at each node.
        var matcher = RuleMatcher(rules: policy.rules, request: request, identity: identity, tracer: tracer)
        // The method's own bucket, then the rules that name no method.
        Self.walk(policy, list: bucket, path: request.path, &matcher)
        Self.walk(policy, list: CompiledPolicy.anyMethod, path: request.path, &matcher)
        tracer = matcher.tracer
        return matcher.match
    }

    private static func walk<Visitor: PathTrieVisitor>(
        _ policy: CompiledPolicy, list: Int, path: String, _ visitor: inout Visitor
    ) {
        for ruleIndex in policy.pathlessRules[list] { visitor.visit(rule: ruleIndex) }
        if path.utf8.first == UInt8(ascii: "/") {
            policy.tries[list].forEachCandidate(path: path, &visitor)
        }
    }

    static func via(_ rule: CompiledRule, _ path: String) -> String {
        guard !rule.paths.isEmpty else { return "no path condition" }
        return "path pattern '\(rule.paths.first { $0.matches(path) }?.description ?? "?")'"
    }
}

/// Checks the rules a trie walk reaches and keeps the best match of each kind.
private struct RuleMatcher<Tracer: EvaluationTracer>: PathTrieVisitor {
    let rules: [CompiledRule]
    let request: AuthzRequest
    let identity: Identity
    var tracer: Tracer
    var match = RuleMatch()

    init(rules: [CompiledRule], request: AuthzRequest, identity: Identity, tracer: Tracer) {
        self.rules = rules
        self.request = request
        self.identity = identity
        self.tracer = tracer
    }

    mutating func visit(rule ruleIndex: Int32) {
        let rule = self.rules[Int(ruleIndex)]
        if !self.tracer.wantsEveryRule, !rule.isShadow {
            // Rules later than the best match of their kind, and allows once a deny matched, cannot change the outcome.
            if rule.action == .deny
                ? ruleIndex >= self.match.deny : (self.match.deny != .max || ruleIndex >= self.match.allow)
            {
                return
            }
        }
        let path = self.request.path
        self.tracer.record(.ruleReached(name: rule.name, location: rule.location, via: DecisionTree.via(rule, path)))
        guard rule.acceptsMethod(self.request.method) else {
            self.tracer.record(
                .ruleFailed(
                    name: rule.name,
                    condition:
                        "method \(rule.excludesMethods ? "not " : "")in [\(rule.methods.joined(separator: ", "))]"))
            return
        }
        for condition in rule.conditions
        where !condition.isSatisfied(request: self.request, identity: self.identity, forDeny: rule.action == .deny) {
            self.tracer.record(.ruleFailed(name: rule.name, condition: condition.description))
            return
        }
        self.tracer.record(.ruleMatched(name: rule.name, action: rule.action, isShadow: rule.isShadow))
        if rule.isShadow {
            if !self.match.shadows.contains(ruleIndex) { self.match.shadows.append(ruleIndex) }
        } else if rule.action == .deny {
            self.match.deny = min(self.match.deny, ruleIndex)
        } else {
            self.match.allow = min(self.match.allow, ruleIndex)
        }
    }
}
