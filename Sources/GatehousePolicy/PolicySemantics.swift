import GatehouseCore

/// The semantics stage: names, selectors and limits across every file.
enum PolicySemantics {
    /// The most policies and rules a directory may hold.
    static let maximumPolicies = 10_000
    static let maximumRules = 1_000_000

    static func check(
        policies: [PolicyDocument], groups: [GroupDocument], tests: [PolicyTestCase], into bag: inout DiagnosticBag
    ) {
        self.checkUnique(policies.map(\.name), what: "policy", into: &bag)
        self.checkUnique(groups.map(\.name), what: "group", into: &bag)
        for policy in policies {
            self.checkUnique(policy.rules.map(\.name), what: "rule in policy '\(policy.name.value)'", into: &bag)
            self.checkUnique(
                policy.authentication?.jwt.map(\.issuer) ?? [], what: "issuer in policy '\(policy.name.value)'",
                into: &bag)
        }
        let testsByFile = Dictionary(grouping: tests, by: { $0.location.file })
        for file in testsByFile.keys.sorted() {
            self.checkUnique(testsByFile[file]!.map(\.name), what: "test", into: &bag)
        }
        self.checkSelectors(policies, into: &bag)
        if policies.count > maximumPolicies, let last = policies.last {
            bag.error(
                .limitExceeded, "There are \(policies.count) policies, over the limit of \(maximumPolicies).",
                at: last.location)
        }
        let ruleCount = policies.reduce(0) { $0 + $1.rules.count }
        if ruleCount > maximumRules, let last = policies.last {
            bag.error(
                .limitExceeded, "There are \(ruleCount) rules, over the limit of \(maximumRules).", at: last.location)
        }
    }

    private static func checkUnique(_ names: [Located<String>], what: String, into bag: inout DiagnosticBag) {
        var first: [String: SourceLocation] = [:]
        first.reserveCapacity(names.count)
        for name in names {
            if let earlier = first[name.value] {
                bag.error(
                    .duplicateName, "The \(what) name '\(name.value)' is already used at \(earlier); rename one.",
                    at: name.location)
            } else {
                first[name.value] = name.location
            }
        }
    }

    /// Two policies may not both claim the same (host pattern, context extensions) pair: neither would be more specific.
    private static func checkSelectors(_ policies: [PolicyDocument], into bag: inout DiagnosticBag) {
        var claimed: [String: (policy: String, location: SourceLocation)] = [:]
        for policy in policies {
            let hosts = policy.select?.hosts.map(\.value) ?? []
            let hostKeys = hosts.isEmpty ? ["*"] : hosts.map(\.description)
            for context in Self.contextCombinations(policy.select?.contextExtensions.map(\.value) ?? []) {
                for host in Set(hostKeys).sorted() {
                    let key = host + " " + context
                    if let other = claimed[key], other.policy != policy.name.value {
                        bag.error(
                            .duplicateSelector,
                            "The policy '\(policy.name.value)' selects host '\(host)'\(context.isEmpty ? "" : " with \(context)") exactly like policy '\(other.policy)' (\(other.location)); make one selector more specific or merge the policies.",
                            at: policy.select?.location ?? policy.location)
                    } else {
                        claimed[key] = (policy.name.value, policy.location)
                    }
                }
            }
        }
    }

    /// Each way a request can satisfy the requirements, as sorted `key=value` lists; capped,
    /// since a selector listing many values per key multiplies out.
    private static func contextCombinations(_ requirements: [PolicySelector.ContextRequirement]) -> [String] {
        var combinations: [[String]] = [[]]
        for requirement in requirements.sorted(by: { $0.key < $1.key }) {
            combinations = combinations.flatMap { prefix in
                Set(requirement.values).sorted().map { prefix + ["\(requirement.key)=\($0)"] }
            }
            if combinations.count > 4_096 { break }
        }
        return combinations.map { $0.joined(separator: ",") }
    }
}
