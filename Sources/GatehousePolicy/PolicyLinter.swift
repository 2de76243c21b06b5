import GatehouseCore

/// The lint stage: advice about rules that can never take effect, repeat one another, or allow too much.
///
/// Coverage is decided syntactically: rule A covers rule B when every condition of A appears
/// in B, A's methods include B's and each of B's path patterns lies inside one of A's. That
/// misses coverage that needs reasoning about values, and never reports one that is not real.
enum PolicyLinter {
    /// The most earlier rules each rule is compared with, so linting stays linear on huge generated policies.
    static let maximumComparisons = 2_000

    /// Lints one compiled policy.
    ///
    /// - Parameter rulesPerChunk: Above this many rules, the per-rule checks run in chunks of this
    ///   size on all cores; the warnings do not depend on it.
    static func lint(
        _ policy: CompiledPolicy, document: PolicyDocument, rulesPerChunk: Int = PolicyCompiler.rulesPerChunk,
        into bag: inout DiagnosticBag
    ) {
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
        guard !policy.rules.isEmpty else { return }
        let rules = policy.rules
        let shapes = PolicyCompiler.concurrentMap(rules, chunkSize: rulesPerChunk) { HashedShape(RuleShape($0)) }
        // The two serial tables, one on each core.
        let (duplicates, (frozenIndex, frozenDenies)) = PolicyCompiler.both(
            concurrently: rules.count > rulesPerChunk, { Self.earlierDuplicates(shapes) }, { Self.indexes(of: rules) })
        // One pass over the chunks for both kinds of warning; each chunk keeps them apart, so the
        // list comes out as two passes gave it: every rule's own warnings, then the unreachable ones.
        let chunks = PolicyCompiler.concurrentChunks(policy.rules.count, chunkSize: rulesPerChunk) { range in
            var (ruleBag, unreachableBag) = (DiagnosticBag(), DiagnosticBag())
            for position in range {
                self.lintRule(
                    at: position, in: policy, duplicateOf: duplicates[position], index: frozenIndex, into: &ruleBag)
                self.lintUnreachable(policy.rules[position], in: policy, denies: frozenDenies, into: &unreachableBag)
            }
            return (ruleBag, unreachableBag)
        }
        for chunk in chunks { bag.append(contentsOf: chunk.0) }
        for chunk in chunks { bag.append(contentsOf: chunk.1) }
    }

    /// For each rule, the first earlier rule with the same shape (`-1` for none).
    ///
    /// The shapes (sets of methods, paths and conditions) and their hashes are computed on all
    /// cores; the table that finds the first of each shape is filled in rule order.
    private static func earlierDuplicates(_ shapes: [HashedShape]) -> [Int] {
        var first: [HashedShape: Int] = [:]
        first.reserveCapacity(shapes.count)
        var duplicates = [Int](repeating: -1, count: shapes.count)
        for (position, shape) in shapes.enumerated() {
            if let earlier = first[shape] { duplicates[position] = earlier } else { first[shape] = position }
        }
        return duplicates
    }

    /// Every rule by where coverage can come from, and the enforced deny rules alone.
    private static func indexes(of rules: [CompiledRule]) -> (all: CoverageIndex, denies: CoverageIndex) {
        var (all, denies) = (CoverageIndex(), CoverageIndex())
        for (position, rule) in rules.enumerated() {
            all.add(rule, at: position)
            if rule.action == .deny && !rule.isShadow { denies.add(rule, at: position) }
        }
        return (all, denies)
    }

    /// The warnings about one rule against the rules before it.
    private static func lintRule(
        at position: Int, in policy: CompiledPolicy, duplicateOf earlier: Int, index: CoverageIndex,
        into bag: inout DiagnosticBag
    ) {
        let rule = policy.rules[position]
        if rule.action == .allow, !rule.isShadow, rule.isUnconditional {
            bag.warning(
                .allowAll,
                "The rule '\(rule.name)' allows every request the policy selects; add conditions or mark the intent with a description.",
                at: rule.location)
        }
        if earlier >= 0 {
            let other = policy.rules[earlier]
            bag.warning(
                .duplicateRule,
                "The rule '\(rule.name)' has the same conditions as '\(other.name)' (\(other.location)); remove one.",
                at: rule.location)
        } else {
            self.lintCoverage(rule, at: position, in: policy, index: index, into: &bag)
        }
    }

    private static func lintCoverage(
        _ rule: CompiledRule, at position: Int, in policy: CompiledPolicy, index: CoverageIndex,
        into bag: inout DiagnosticBag
    ) {
        guard !rule.isShadow else { return }
        for earlier in index.candidates(for: rule, before: position).prefix(maximumComparisons) {
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
    private static func lintUnreachable(
        _ rule: CompiledRule, in policy: CompiledPolicy, denies: CoverageIndex, into bag: inout DiagnosticBag
    ) {
        guard rule.action == .allow, !rule.isShadow,
            let deny = denies.candidates(for: rule, before: .max).prefix(maximumComparisons).first(where: {
                self.covers(policy.rules[$0], rule)
            })
        else { return }
        let other = policy.rules[deny]
        bag.warning(
            .unreachableRule,
            "The allow rule '\(rule.name)' can never take effect: the deny rule '\(other.name)' (\(other.location)) matches every request it matches.",
            at: rule.location)
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

    /// A rule shape with its hash computed once, where the shapes are built, so the serial table
    /// that finds duplicates hashes one integer per rule.
    private struct HashedShape: Hashable {
        let shape: RuleShape
        let hash: Int

        init(_ shape: RuleShape) {
            self.shape = shape
            self.hash = shape.hashValue
        }

        static func == (lhs: HashedShape, rhs: HashedShape) -> Bool { lhs.hash == rhs.hash && lhs.shape == rhs.shape }

        func hash(into hasher: inout Hasher) { hasher.combine(self.hash) }
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

        /// The rules before `position` that could cover `rule`, ascending (a rule listed under two
        /// of `rule`'s first segments appears twice).
        func candidates(for rule: CompiledRule, before position: Int) -> [Int] {
            var result = Array(Self.prefix(self.anyPath, before: position))
            var firsts: Set<String> = []
            for path in rule.paths { if case .literal(let text)? = path.segments.first { firsts.insert(text) } }
            for first in firsts { result += Self.prefix(self.byFirstSegment[first] ?? [], before: position) }
            return result.sorted()
        }

        /// The positions below `position` of an ascending list.
        private static func prefix(_ positions: [Int], before position: Int) -> ArraySlice<Int> {
            var (low, high) = (0, positions.count)
            while low < high {
                let middle = (low + high) / 2
                if positions[middle] < position { low = middle + 1 } else { high = middle }
            }
            return positions[..<low]
        }
    }
}
