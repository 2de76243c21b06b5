import GatehouseCore
import GatehousePolicy
import Testing

@Suite("Policy test runner")
struct PolicyTestRunnerTests {
    private static let policy = PolicySource(
        path: "shop.yaml",
        text: """
            kind: Policy
            name: shop
            select:
              hosts: [shop.example]
            rules:
              - name: no-refunds
                action: deny
                paths: [/refunds/**]
              - name: browse
                action: allow
                methods: [GET]
                paths: [/items/**]
              - name: buy
                action: allow
                methods: [POST]
                paths: [/orders]
              - name: would-block-bots
                action: deny
                shadow: true
                headers:
                  user-agent: { prefix: bot }
              - name: never-reached-shadow
                action: allow
                shadow: true
                paths: [/nowhere]
            response:
              allow:
                headers:
                  - { name: x-shop, value: "yes" }
            """)

    private static func run(tests: String) throws -> PolicyTestRunner.Report {
        let sources = [Self.policy, PolicySource(path: "shop_test.yaml", text: tests)]
        let result = PolicyCompiler.compile(sources: sources)
        #expect(result.errors.isEmpty, "\(result.summary)")
        return PolicyTestRunner.run(try #require(result.compiled))
    }

    @Test("A wrong decision is reported with what the tree decided instead")
    func wrongDecision() throws {
        let report = try Self.run(
            tests: """
                kind: PolicyTests
                tests:
                  - name: buying with GET
                    request: { method: GET, path: /orders, host: shop.example }
                    expect: { decision: allow, status: 200, reason: allowed, policy: shop }
                """)
        let result = try #require(report.results.first)
        #expect(!result.passed)
        #expect(
            result.failures == [
                "expected allow, got deny 403 no_matching_rule",
                "expected status 200, got 403",
                "expected reason 'allowed', got 'no_matching_rule'",
            ])
        #expect(report.failedCount == 1)
        #expect(report.passedCount == 0)
    }

    @Test("A wrong rule names both rules and the decision")
    func wrongRule() throws {
        let report = try Self.run(
            tests: """
                kind: PolicyTests
                tests:
                  - name: browsing
                    request: { path: /items/1, host: shop.example }
                    expect: { decision: allow, rule: buy, policy: other }
                """)
        let result = try #require(report.results.first)
        #expect(
            result.failures == [
                "expected policy 'other', got 'shop'",
                "expected rule 'buy', got 'browse' (allow 200 allowed by rule 'browse')",
            ])
    }

    @Test("A missing or different header, removal, body and shadow set are each reported")
    func headersAndShadows() throws {
        let report = try Self.run(
            tests: """
                kind: PolicyTests
                tests:
                  - name: browsing with expectations the tree does not meet
                    request: { path: /items/1, host: shop.example, headers: { user-agent: botnet } }
                    expect:
                      decision: allow
                      headers: { x-shop: "no", x-absent: "1" }
                      removedHeaders: [cookie]
                      shadowRules: []
                      body: nope
                """)
        let result = try #require(report.results.first)
        #expect(
            result.failures == [
                "expected header x-shop: 'no', got 'yes'",
                "expected header x-absent: '1', got no such header",
                "expected header 'cookie' to be removed; removed: []",
                "expected shadow rules [], got [would-block-bots]",
                "expected body 'nope', got ''",
            ])
    }

    @Test("Failures become policy_test_failed diagnostics at the test, untested rules become warnings")
    func reportDiagnostics() throws {
        let report = try Self.run(
            tests: """
                kind: PolicyTests
                tests:
                  - name: passes
                    request: { path: /items/1, host: shop.example }
                    expect: { decision: allow, rule: browse }
                  - name: fails
                    request: { path: /items/1, host: shop.example }
                    expect: { decision: deny }
                """)
        #expect(report.passedCount == 1)
        #expect(report.failedCount == 1)
        let diagnostics = report.diagnostics.map { "\($0.location): \($0.code.rawValue) (\($0.severity))" }
        #expect(
            diagnostics == [
                "shop_test.yaml:6:5: policy_test_failed (error)",
                "shop.yaml:6:5: policy_untested_rule (warning)",
                "shop.yaml:13:5: policy_untested_rule (warning)",
                "shop.yaml:17:5: policy_untested_rule (warning)",
                "shop.yaml:22:5: policy_untested_rule (warning)",
            ])
        let failed = try #require(report.diagnostics.first)
        #expect(failed.message == "Test 'fails' failed: expected deny, got allow 200 allowed by rule 'browse'.")
    }

    @Test("Rules no test exercised are listed in file order with their policy")
    func untestedRules() throws {
        let report = try Self.run(
            tests: """
                kind: PolicyTests
                tests:
                  - name: a refund is refused
                    request: { method: POST, path: /refunds/7, host: shop.example }
                    expect: { decision: deny, rule: no-refunds }
                """)
        #expect(report.failedCount == 0)
        #expect(
            report.untestedRules.map(\.rule) == ["browse", "buy", "would-block-bots", "never-reached-shadow"])
        #expect(report.untestedRules.allSatisfy { $0.policy == "shop" })
        #expect(report.untestedRules.map(\.location.line) == [9, 13, 17, 22])
    }

    @Test("A shadow rule counts as exercised when it only matched; deciding rules count when they decided")
    func shadowMatchCountsAsExercised() throws {
        let report = try Self.run(
            tests: """
                kind: PolicyTests
                tests:
                  - name: a bot browses and the shadow deny is reported
                    request: { path: /items/1, host: shop.example, headers: { user-agent: bot/1.0 } }
                    expect: { decision: allow, rule: browse, shadowRules: [would-block-bots] }
                  - name: an order
                    request: { method: POST, path: /orders, host: shop.example }
                    expect: { decision: allow, rule: buy }
                  - name: a refund
                    request: { method: POST, path: /refunds, host: shop.example }
                    expect: { decision: deny, reason: denied_by_rule }
                  - name: the never-reached shadow allow matches once, on a request that is denied
                    request: { method: DELETE, path: /nowhere, host: shop.example }
                    expect: { decision: deny, reason: no_matching_rule, shadowRules: [never-reached-shadow] }
                """)
        #expect(report.failedCount == 0, "\(report.results.flatMap(\.failures))")
        #expect(report.untestedRules.isEmpty, "\(report.untestedRules.map(\.rule))")
    }

    @Test("Cases run in file order across files, and no-policy decisions exercise nothing")
    func orderAndNoPolicy() throws {
        let sources = [
            Self.policy,
            PolicySource(
                path: "b_test.yaml",
                text: """
                    kind: PolicyTests
                    tests:
                      - { name: second, request: { host: elsewhere.example }, expect: { decision: deny } }
                    """),
            PolicySource(
                path: "a_test.yaml",
                text: """
                    kind: PolicyTests
                    tests:
                      - { name: first, request: { host: elsewhere.example }, expect: { decision: deny } }
                    """),
        ]
        let compiled = try #require(PolicyCompiler.compile(sources: sources).compiled)
        let report = PolicyTestRunner.run(compiled)
        #expect(report.results.map(\.testCase.name.value) == ["first", "second"])
        #expect(report.results.allSatisfy { $0.decision.reason == .noPolicy })
        #expect(report.untestedRules.count == 5)
    }
}
