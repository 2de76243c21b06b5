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
        // The matcher travels `inout` through the trie walk and borrows the rules by address; the
        // request and identity are passed down borrowed. A copy of either, or of a rule, would
        // retain every field it holds, at every decision.
        return policy.rules.withUnsafeBufferPointer { rules in
            var matcher = RuleMatcher(rules: rules, tracer: tracer)
            // The method's own bucket, then the rules that name no method.
            Self.walk(policy, list: bucket, request, identity, &matcher)
            Self.walk(policy, list: CompiledPolicy.anyMethod, request, identity, &matcher)
            tracer = matcher.tracer
            return matcher.match
        }
    }

    private static func walk<Visitor: PathTrieVisitor>(
        _ policy: CompiledPolicy, list: Int, _ request: AuthzRequest, _ identity: Identity, _ visitor: inout Visitor
    ) {
        for ruleIndex in policy.pathlessRules[list] {
            visitor.visit(rule: ruleIndex, request: request, identity: identity)
        }
        if request.path.utf8.first == UInt8(ascii: "/") {
            policy.tries[list].forEachCandidate(request: request, identity: identity, &visitor)
        }
    }

    static func via(_ rule: CompiledRule, _ path: String) -> String {
        guard !rule.paths.isEmpty else { return "no path condition" }
        return "path pattern '\(rule.paths.first { $0.matches(path) }?.description ?? "?")'"
    }
}

/// Checks the rules a trie walk reaches and keeps the best match of each kind.
///
/// It holds the rules by address, valid for the walk that ``DecisionTree/matchRules(of:request:identity:tracer:)``
/// runs inside their scope.
private struct RuleMatcher<Tracer: EvaluationTracer>: PathTrieVisitor {
    let rules: UnsafeBufferPointer<CompiledRule>
    var tracer: Tracer
    var match = RuleMatch()

    init(rules: UnsafeBufferPointer<CompiledRule>, tracer: Tracer) {
        self.rules = rules
        self.tracer = tracer
    }

    mutating func visit(rule ruleIndex: Int32, request: AuthzRequest, identity: Identity) {
        let index = Int(ruleIndex)
        let action = self.rules[index].action
        let isShadow = self.rules[index].isShadow
        if !self.tracer.wantsEveryRule, !isShadow {
            // Rules later than the best match of their kind, and allows once a deny matched, cannot change the outcome.
            if action == .deny
                ? ruleIndex >= self.match.deny : (self.match.deny != .max || ruleIndex >= self.match.allow)
            {
                return
            }
        }
        let rules = self.rules
        self.tracer.record(
            .ruleReached(
                name: rules[index].name, location: rules[index].location,
                via: DecisionTree.via(rules[index], request.path)))
        guard rules[index].acceptsMethod(request.method) else {
            self.tracer.record(
                .ruleFailed(
                    name: rules[index].name,
                    condition:
                        "method \(rules[index].excludesMethods ? "not " : "")in [\(rules[index].methods.joined(separator: ", "))]"
                ))
            return
        }
        for condition in rules[index].conditions
        where !condition.isSatisfied(request: request, identity: identity, forDeny: action == .deny) {
            self.tracer.record(.ruleFailed(name: rules[index].name, condition: condition.description))
            return
        }
        self.tracer.record(.ruleMatched(name: rules[index].name, action: action, isShadow: isShadow))
        if isShadow {
            if !self.match.shadows.contains(ruleIndex) { self.match.shadows.append(ruleIndex) }
        } else if action == .deny {
            self.match.deny = min(self.match.deny, ruleIndex)
        } else {
            self.match.allow = min(self.match.allow, ruleIndex)
        }
    }
}
