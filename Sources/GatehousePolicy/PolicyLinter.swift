import GatehouseCore

/// The lint stage: advice about rules that can never take effect, repeat one another, or allow too much.
///
/// Coverage is decided syntactically: rule A covers rule B when every condition of A appears
/// in B, A's methods include B's and each of B's path patterns lies inside one of A's. That
/// misses coverage that needs reasoning about values, and never reports one that is not real.
enum PolicyLinter {
    /// The most earlier rules each rule is compared with, so linting stays linear on huge generated policies.
    static let maximumComparisons = 2_000

    static func lint(_ policy: CompiledPolicy, document: PolicyDocument, into bag: inout DiagnosticBag) {
        if policy.rules.isEmpty {
            bag.warning(
                .noRules, "The policy '\(policy.name)' has no rules, so it denies every request it selects.",
                at: policy.location)
        }
        self.lintSelector(document, into: &bag)
        if policy.cache.isEnabled, policy.attributes.contains(.requestID) {
            bag.warning(
                .uncacheable,
                "The policy '\(policy.name)' puts ${request.id} in a response, so no decision under it can be cached and every check verifies its credentials again; drop the placeholder (Envoy's access log has x-request-id) or say 'cache: { enabled: false }'.",
                at: policy.location)
        }
        var duplicates: [RuleShape: Int] = [:]
        var index = CoverageIndex()
        for (position, rule) in policy.rules.enumerated() {
            if rule.action == .allow, !rule.isShadow, rule.isUnconditional {
                bag.warning(
                    .allowAll,
                    "The rule '\(rule.name)' allows every request the policy selects; add conditions or mark the intent with a description.",
                    at: rule.location)
            }
            let shape = RuleShape(rule)
            if let earlier = duplicates[shape] {
                let other = policy.rules[earlier]
                bag.warning(
                    .duplicateRule,
                    "The rule '\(rule.name)' has the same conditions as '\(other.name)' (\(other.location)); remove one.",
                    at: rule.location)
            } else {
                duplicates[shape] = position
                self.lintCoverage(rule, at: position, in: policy, index: index, into: &bag)
            }
            index.add(rule, at: position)
        }
        if !policy.rules.isEmpty { self.lintUnreachable(policy, into: &bag) }
    }

    private static func lintCoverage(
        _ rule: CompiledRule, at position: Int, in policy: CompiledPolicy, index: CoverageIndex,
        into bag: inout DiagnosticBag
    ) {
        guard !rule.isShadow else { return }
        for earlier in index.candidates(for: rule).prefix(maximumComparisons) {
            let other = policy.rules[earlier]
            guard !other.isShadow, other.action == rule.action, self.covers(other, rule) else { continue }
            bag.warning(
                .shadowedRule,
                "The rule '\(rule.name)' never decides: the earlier rule '\(other.name)' (\(other.location)) matches every request it matches.",
                at: rule.location)
            return
        }
    }

    /// An allow rule that some enforced deny rule always overrides.
    private static func lintUnreachable(_ policy: CompiledPolicy, into bag: inout DiagnosticBag) {
        var denies = CoverageIndex()
        for (position, rule) in policy.rules.enumerated() where rule.action == .deny && !rule.isShadow {
            denies.add(rule, at: position)
        }
        for rule in policy.rules where rule.action == .allow && !rule.isShadow {
            guard
                let deny = denies.candidates(for: rule).prefix(maximumComparisons).first(where: {
                    self.covers(policy.rules[$0], rule)
                })
            else { continue }
            let other = policy.rules[deny]
            bag.warning(
                .unreachableRule,
                "The allow rule '\(rule.name)' can never take effect: the deny rule '\(other.name)' (\(other.location)) matches every request it matches.",
                at: rule.location)
        }
    }

    /// Whether `general` matches every request `specific` matches.
    static func covers(_ general: CompiledRule, _ specific: CompiledRule) -> Bool {
        if !general.methods.isEmpty {
            guard !specific.methods.isEmpty else { return false }
            switch (general.excludesMethods, specific.excludesMethods) {
            case (false, false): guard Set(specific.methods).isSubset(of: general.methods) else { return false }
            case (true, true): guard Set(general.methods).isSubset(of: specific.methods) else { return false }
            case (true, false): guard Set(specific.methods).isDisjoint(with: general.methods) else { return false }
            case (false, true): return false
            }
        }
        if !general.paths.isEmpty {
            guard !specific.paths.isEmpty,
                specific.paths.allSatisfy({ path in general.paths.contains { path.isCovered(by: $0) } })
            else { return false }
        }
        return general.conditions.allSatisfy { specific.conditions.contains($0) }
    }

    private static func lintSelector(_ document: PolicyDocument, into bag: inout DiagnosticBag) {
        guard let select = document.select else { return }
        var withPort = 0
        for host in select.hosts {
            if case .exact(let name) = host.value, name.contains(":"), !name.hasPrefix("[") || name.contains("]:") {
                withPort += 1
                bag.warning(
                    .selectsNothing,
                    "The host '\(name)' includes a port; hosts are compared without the port, so it never matches. Write the name alone.",
                    at: host.location)
            }
        }
        if withPort > 0, withPort == select.hosts.count {
            bag.warning(
                .selectsNothing, "The policy '\(document.name.value)' selects no request: none of its hosts can match.",
                at: select.location)
        }
        for requirement in select.contextExtensions where requirement.value.values.allSatisfy(\.isEmpty) {
            bag.warning(
                .selectsNothing,
                "The context extension '\(requirement.value.key)' is required to be empty; Envoy does not send empty context extensions, so the policy selects nothing.",
                at: requirement.location)
        }
    }

    /// A rule without its name and location, for finding duplicates.
    private struct RuleShape: Hashable {
        var action: RuleAction
        var isShadow: Bool
        var methods: Set<String>
        var excludesMethods: Bool
        var paths: Set<PathPattern>
        var conditions: Set<Condition>

        init(_ rule: CompiledRule) {
            self.action = rule.action
            self.isShadow = rule.isShadow
            self.methods = Set(rule.methods)
            self.excludesMethods = rule.excludesMethods
            self.paths = Set(rule.paths)
            self.conditions = Set(rule.conditions)
        }
    }

    /// Rules indexed by the first literal segment of their paths, so only rules that could cover each other are compared.
    private struct CoverageIndex {
        private var anyPath: [Int] = []
        private var byFirstSegment: [String: [Int]] = [:]

        mutating func add(_ rule: CompiledRule, at position: Int) {
            let firsts = rule.paths.map { $0.segments.first }
            if rule.paths.isEmpty
                || firsts.contains(where: { if case .literal = $0 { return false } else { return true } })
            {
                self.anyPath.append(position)
                return
            }
            for case .literal(let text)? in Set(firsts) { self.byFirstSegment[text, default: []].append(position) }
        }

        func candidates(for rule: CompiledRule) -> [Int] {
            var result = self.anyPath
            var firsts: Set<String> = []
            for path in rule.paths { if case .literal(let text)? = path.segments.first { firsts.insert(text) } }
            for first in firsts { result += self.byFirstSegment[first] ?? [] }
            return result.sorted()
        }
    }
}
