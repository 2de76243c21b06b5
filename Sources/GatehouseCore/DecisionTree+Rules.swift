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
        var match = RuleMatch()
        let bucket = request.method.bucket
        tracer.record(.walk(method: request.method.rawValue, bucket: bucket == HTTPMethod.otherBucket ? "other" : request.method.rawValue, path: request.path))
        func consider(_ ruleIndex: Int32) {
            let rule = policy.rules[Int(ruleIndex)]
            if !tracer.wantsEveryRule, !rule.isShadow {
                // Rules later than the best match of their kind, and allows once a deny matched, cannot change the outcome.
                if rule.action == .deny ? ruleIndex >= match.deny : (match.deny != .max || ruleIndex >= match.allow) { return }
            }
            tracer.record(.ruleReached(name: rule.name, location: rule.location, via: Self.via(rule, request.path)))
            guard rule.acceptsMethod(request.method) else {
                tracer.record(.ruleFailed(name: rule.name, condition: "method \(rule.excludesMethods ? "not " : "")in [\(rule.methods.joined(separator: ", "))]"))
                return
            }
            for condition in rule.conditions
            where !condition.isSatisfied(request: request, identity: identity, forDeny: rule.action == .deny) {
                tracer.record(.ruleFailed(name: rule.name, condition: condition.description))
                return
            }
            tracer.record(.ruleMatched(name: rule.name, action: rule.action, isShadow: rule.isShadow))
            if rule.isShadow {
                if !match.shadows.contains(ruleIndex) { match.shadows.append(ruleIndex) }
            } else if rule.action == .deny {
                match.deny = min(match.deny, ruleIndex)
            } else {
                match.allow = min(match.allow, ruleIndex)
            }
        }
        func walk(_ list: Int) {
            for ruleIndex in policy.pathlessRules[list] { consider(ruleIndex) }
            if request.path.utf8.first == UInt8(ascii: "/") {
                policy.tries[list].forEachCandidate(path: request.path) { consider($0) }
            }
        }
        // The method's own bucket, then the rules that name no method.
        walk(bucket)
        walk(CompiledPolicy.anyMethod)
        return match
    }

    private static func via(_ rule: CompiledRule, _ path: String) -> String {
        guard !rule.paths.isEmpty else { return "no path condition" }
        return "path pattern '\(rule.paths.first { $0.matches(path) }?.description ?? "?")'"
    }
}
