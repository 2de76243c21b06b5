import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Decision tree: equivalence with a linear scan")
struct DecisionTreePropertyTests {
    /// What the policy decides, found by checking every rule in order.
    struct Expected: Equatable {
        var outcome: Decision.Outcome
        var rule: String?
        var reason: DecisionReason
        var shadows: Set<String>
    }

    static func reference(_ rules: [CompiledRule], _ request: AuthzRequest, _ identity: Identity) -> Expected {
        var deny: String?
        var allow: String?
        var shadows: Set<String> = []
        for rule in rules {
            let listed = rule.methods.contains { Array($0.utf8) == Array(request.method.rawValue.utf8) }
            let methodMatches = rule.methods.isEmpty || listed != rule.excludesMethods
            let pathMatches = rule.paths.isEmpty || rule.paths.contains { $0.matches(request.path) }
            let conditionsHold = rule.conditions.allSatisfy {
                $0.isSatisfied(request: request, identity: identity, forDeny: rule.action == .deny)
            }
            guard methodMatches, pathMatches, conditionsHold else { continue }
            if rule.isShadow {
                shadows.insert(rule.name)
            } else if rule.action == .deny {
                deny = deny ?? rule.name
            } else {
                allow = allow ?? rule.name
            }
        }
        if let deny { return Expected(outcome: .deny, rule: deny, reason: .deniedByRule, shadows: shadows) }
        if let allow { return Expected(outcome: .allow, rule: allow, reason: .allowed, shadows: shadows) }
        return Expected(outcome: .deny, rule: nil, reason: .noMatchingRule, shadows: shadows)
    }

    static func actual(_ decision: Decision) -> Expected {
        Expected(
            outcome: decision.outcome, rule: decision.rule, reason: decision.reason,
            shadows: Set(decision.shadowMatches.map(\.rule)))
    }

    @Test(
        "For 2,000 random requests the tree decides exactly as a linear scan of ~50 random rules",
        arguments: [UInt64(1), 7, 2_024, 0xDEAD_BEEF]
    )
    func treeEqualsLinearScan(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let rules = try RandomPolicy.rules(&random, count: 45 + random.below(11))
        let tree = try Fixture.tree(rules)
        var mismatches = 0
        var reasons: [String: Int] = [:]
        for _ in 0..<2_000 {
            let request = try RandomPolicy.request(&random)
            let identity = RandomPolicy.identity(&random)
            let expected = Self.reference(rules, request, identity)
            let decision = tree.evaluate(request, identity: identity)
            var tracer = RecordingTracer()
            let traced = tree.evaluate(request, identity: identity, tracer: &tracer)
            reasons[decision.reason.code, default: 0] += 1
            guard Self.actual(decision) != expected || Self.actual(traced) != expected else { continue }
            mismatches += 1
            Issue.record(
                """
                \(request.method) \(request.rawPath.debugDescription) host '\(request.host)' \
                headers \(request.headers["x-h"] ?? []) source \(request.source.address?.description ?? "none") \
                subject \(identity.subject ?? "none"): tree \(Self.actual(decision)), traced \(Self.actual(traced)), \
                linear scan \(expected)
                """)
            if mismatches >= 5 { break }
        }
        // The generator must produce every outcome, or the comparison proves little.
        #expect(reasons["allowed", default: 0] >= 20)
        #expect(reasons["denied_by_rule", default: 0] >= 20)
        #expect(reasons["no_matching_rule", default: 0] >= 20)
    }
}
