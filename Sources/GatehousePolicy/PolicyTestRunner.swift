package import GatehouseCore

/// Runs the `*_test.yaml` cases of a compiled policy set.
package enum PolicyTestRunner {
    /// One case's outcome.
    package struct CaseResult: Sendable {
        /// The case.
        package var testCase: PolicyTestCase
        /// What the tree decided.
        package var decision: Decision
        /// What differed from the expectation; empty when the case passed.
        package var failures: [String]

        /// Whether the case passed.
        package var passed: Bool { self.failures.isEmpty }
    }

    /// A rule that no case exercised.
    package struct UntestedRule: Sendable, Hashable {
        package var policy: String
        package var rule: String
        package var location: SourceLocation
    }

    /// The whole run.
    package struct Report: Sendable {
        /// Every case, in file order.
        package var results: [CaseResult]
        /// Rules no case exercised (decided a case, or for a shadow rule, matched one).
        package var untestedRules: [UntestedRule]

        package var passedCount: Int { self.results.filter(\.passed).count }
        package var failedCount: Int { self.results.count - self.passedCount }

        /// The failures as diagnostics, then the untested rules.
        package var diagnostics: [Diagnostic] {
            let failures = self.results.filter { !$0.passed }.map { result in
                Diagnostic(
                    .error, .testFailed,
                    "Test '\(result.testCase.name.value)' failed: \(result.failures.joined(separator: "; ")).",
                    at: result.testCase.location)
            }
            let untested = self.untestedRules.map { rule in
                Diagnostic(
                    .warning, .untestedRule,
                    "The rule '\(rule.rule)' of policy '\(rule.policy)' is not exercised by any test.",
                    at: rule.location)
            }
            return failures + untested
        }
    }

    /// Runs every case against the set's tree.
    package static func run(_ set: CompiledPolicySet) -> Report {
        var exercised: Set<String> = []
        var results: [CaseResult] = []
        for testCase in set.tests.sorted(by: { $0.location < $1.location }) {
            let decision = set.tree.evaluate(testCase.request, identity: testCase.identity)
            if let policy = decision.policy {
                if let rule = decision.rule { exercised.insert(policy + "\u{0}" + rule) }
                for shadow in decision.shadowMatches { exercised.insert(policy + "\u{0}" + shadow.rule) }
            }
            results.append(
                CaseResult(
                    testCase: testCase, decision: decision, failures: self.compare(decision, testCase.expectation)))
        }
        var untested: [UntestedRule] = []
        for policy in set.tree.policies {
            for rule in policy.rules where !exercised.contains(policy.name + "\u{0}" + rule.name) {
                untested.append(UntestedRule(policy: policy.name, rule: rule.name, location: rule.location))
            }
        }
        return Report(results: results, untestedRules: untested.sorted { $0.location < $1.location })
    }

    static func compare(_ decision: Decision, _ expected: PolicyTestCase.Expectation) -> [String] {
        var failures: [String] = []
        let summary =
            "\(decision.outcome.rawValue) \(decision.status) \(decision.reason.code)\(decision.rule.map { " by rule '\($0)'" } ?? "")"
        if decision.outcome != expected.outcome {
            failures.append("expected \(expected.outcome.rawValue), got \(summary)")
        }
        if let status = expected.status, status != decision.status {
            failures.append("expected status \(status), got \(decision.status)")
        }
        if let reason = expected.reason, reason != decision.reason.code {
            failures.append("expected reason '\(reason)', got '\(decision.reason.code)'")
        }
        if let policy = expected.policy, policy != decision.policy {
            failures.append("expected policy '\(policy)', got \(decision.policy.map { "'\($0)'" } ?? "none")")
        }
        if let rule = expected.rule, rule != decision.rule {
            failures.append("expected rule '\(rule)', got \(decision.rule.map { "'\($0)'" } ?? "none") (\(summary))")
        }
        for (name, value) in expected.headers
        where !decision.headersToSet.contains(where: { $0.name == name && $0.value == value }) {
            let actual = decision.headersToSet.filter { $0.name == name }.map { "'\($0.value)'" }
            failures.append(
                "expected header \(name): '\(value)', got \(actual.isEmpty ? "no such header" : actual.joined(separator: ", "))"
            )
        }
        for name in expected.removedHeaders where !decision.headersToRemove.contains(name) {
            failures.append(
                "expected header '\(name)' to be removed; removed: [\(decision.headersToRemove.joined(separator: ", "))]"
            )
        }
        if let shadows = expected.shadowRules, Set(shadows) != Set(decision.shadowMatches.map(\.rule)) {
            failures.append(
                "expected shadow rules [\(shadows.joined(separator: ", "))], got [\(decision.shadowMatches.map(\.rule).joined(separator: ", "))]"
            )
        }
        if let body = expected.body, body != decision.body {
            failures.append("expected body '\(body)', got '\(decision.body)'")
        }
        return failures
    }
}
