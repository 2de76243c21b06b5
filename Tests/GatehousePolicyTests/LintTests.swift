import GatehouseCore
import GatehousePolicy
import Testing

/// A policy that compiles but earns one linter warning at a known position.
struct LintCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let code: String
    let line: Int
    let column: Int
    /// Text the warning's message must contain.
    let message: String

    var testDescription: String { self.name }
}

@Suite("Linter warnings")
struct LintTests {
    static let cases: [LintCase] = [
        LintCase(
            name: "an allow rule without conditions allows everything",
            text: """
                kind: Policy
                name: p
                rules:
                  - name: everything
                    action: allow
                """,
            code: "policy_allow_all", line: 4, column: 5, message: "'everything' allows every request"),
        LintCase(
            name: "an allow rule whose only condition is /** allows everything",
            text: """
                kind: Policy
                name: p
                rules:
                  - name: everything
                    action: allow
                    paths: [/**]
                """,
            code: "policy_allow_all", line: 4, column: 5, message: "'everything'"),
        LintCase(
            name: "two rules with the same conditions are duplicates",
            text: """
                kind: Policy
                name: p
                rules:
                  - name: first
                    action: allow
                    methods: [GET, HEAD]
                    paths: [/x]
                  - name: second
                    action: allow
                    methods: [HEAD, GET]
                    paths: [/x]
                """,
            code: "policy_duplicate_rule", line: 8, column: 5, message: "'second' has the same conditions as 'first'"),
        LintCase(
            name: "an allow rule inside an earlier broader allow is shadowed",
            text: """
                kind: Policy
                name: p
                rules:
                  - name: broad
                    action: allow
                    methods: [GET]
                    paths: [/a/**]
                  - name: narrow
                    action: allow
                    methods: [GET]
                    paths: [/a/b]
                """,
            code: "policy_shadowed_rule", line: 8, column: 5, message: "earlier rule 'broad'"),
        LintCase(
            name: "a deny rule inside an earlier broader deny is shadowed",
            text: """
                kind: Policy
                name: p
                rules:
                  - name: deny-x
                    action: deny
                    paths: [/x/**]
                  - name: deny-x-y
                    action: deny
                    paths: [/x/y]
                    headers: { x-debug: { present: true } }
                """,
            code: "policy_shadowed_rule", line: 7, column: 5, message: "'deny-x-y' never decides"),
        LintCase(
            name: "an allow rule that a deny rule covers is unreachable, even when the deny comes later",
            text: """
                kind: Policy
                name: p
                rules:
                  - name: allow-x-y
                    action: allow
                    methods: [GET]
                    paths: [/x/y]
                  - name: deny-x
                    action: deny
                    methods: [GET]
                    paths: [/x/**]
                """,
            code: "policy_unreachable_rule", line: 4, column: 5, message: "deny rule 'deny-x'"),
        LintCase(
            name: "a policy without rules denies everything it selects",
            text: """
                kind: Policy
                name: p
                select:
                  hosts: [a.example]
                """,
            code: "policy_no_rules", line: 1, column: 1, message: "'p' has no rules"),
        LintCase(
            name: "a group that no rule uses",
            text: """
                kind: Policy
                name: p
                rules:
                  - name: r
                    action: allow
                    paths: [/a]
                ---
                kind: Group
                name: lonely
                members:
                  spiffeIds: ["spiffe://gov.example/ns/x/*"]
                """,
            code: "policy_unused_group", line: 8, column: 1, message: "'lonely'"),
        LintCase(
            name: "a selector host with a port selects nothing",
            text: """
                kind: Policy
                name: p
                select:
                  hosts: [b.example, "a.example:8443"]
                rules:
                  - name: r
                    action: allow
                    paths: [/a]
                """,
            code: "policy_selects_nothing", line: 4, column: 22, message: "'a.example:8443' includes a port"),
        LintCase(
            name: "a required empty context extension selects nothing",
            text: """
                kind: Policy
                name: p
                select:
                  contextExtensions:
                    building_block: ""
                rules:
                  - name: r
                    action: allow
                    paths: [/a]
                """,
            code: "policy_selects_nothing", line: 5, column: 5, message: "'building_block'"),
        LintCase(
            name: "${request.id} in a response makes every decision uncacheable",
            text: """
                kind: Policy
                name: p
                rules: [{ name: r, action: allow, paths: [/a] }]
                response: { allow: { headers: [{ name: x-trace, value: "${request.id}" }] } }
                """,
            code: "policy_uncacheable", line: 1, column: 1, message: "${request.id}"),
    ]

    @Test("A lint problem is a warning at the rule, and the policy still compiles", arguments: cases)
    func warning(_ lint: LintCase) throws {
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "lint.yaml", text: lint.text)])
        #expect(result.errors.isEmpty, "\(result.summary)")
        let compiled = try #require(result.compiled)
        let warning = try #require(result.warnings.first { $0.code.rawValue == lint.code }, "\(result.summary)")
        #expect(warning.severity == .warning)
        #expect(warning.location.file == "lint.yaml")
        #expect(warning.location.line == lint.line, "\(warning)")
        #expect(warning.location.column == lint.column, "\(warning)")
        #expect(warning.message.contains(lint.message), "\(warning.message)")
        #expect(compiled.warnings.map(\.description) == result.warnings.map(\.description))
    }

    @Test("A policy whose every host has a port earns a second warning on the selector")
    func everyHostHasAPort() throws {
        let text = """
            kind: Policy
            name: p
            select:
              hosts: ["a.example:8443"]
            rules:
              - { name: r, action: allow, paths: [/a] }
            """
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "lint.yaml", text: text)])
        #expect(result.compiled != nil)
        #expect(result.summary == ["lint.yaml:4:3: policy_selects_nothing", "lint.yaml:4:11: policy_selects_nothing"])
    }

    @Test("A clean policy compiles without a single diagnostic")
    func cleanPolicy() throws {
        let text = """
            kind: Policy
            name: clean
            select:
              hosts: [clean.example, "*.clean.example"]
              contextExtensions: { building_block: clean }
            rules:
              - name: no-secrets
                action: deny
                paths: [/records/secret/**]
              - name: readers-read
                action: allow
                methods: [GET, HEAD]
                paths: [/records/*]
                claims:
                  roles: { contains: reader }
              - name: writers-write
                action: allow
                methods: [POST]
                paths: [/records]
                groups: [writers]
              - name: try-everyone
                action: allow
                shadow: true
            ---
            kind: Group
            name: writers
            members:
              spiffeIds: ["spiffe://clean.example/ns/writers/*"]
            """
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "clean.yaml", text: text)])
        #expect(result.diagnostics.isEmpty, "\(result.summary)")
        let compiled = try #require(result.compiled)
        #expect(compiled.warnings.isEmpty)
        #expect(compiled.tree.ruleCount == 4)
    }

    @Test("Warnings never stop compilation: a policy with many warnings still decides requests")
    func warningsDoNotStopCompilation() throws {
        let text = """
            kind: Policy
            name: noisy
            select:
              hosts: [noisy.example, "noisy.example:80"]
            rules:
              - name: allow-all
                action: allow
              - name: allow-all-again
                action: allow
              - name: deny-admin
                action: deny
                paths: [/admin/**]
            ---
            kind: Group
            name: unused
            members:
              xroadClients: [GOV/COM/1/*]
            """
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "noisy.yaml", text: text)])
        #expect(result.errors.isEmpty)
        #expect(
            Set(result.warnings.map(\.code.rawValue)) == [
                "policy_allow_all", "policy_duplicate_rule", "policy_selects_nothing", "policy_unused_group",
            ],
            "\(result.summary)")
        let tree = try #require(result.compiled).tree
        let allowed = tree.evaluate(AuthzRequest(path: "/x", host: "noisy.example"), identity: Identity())
        #expect(allowed.outcome == .allow)
        #expect(allowed.rule == "allow-all")
        let denied = tree.evaluate(AuthzRequest(path: "/admin/users", host: "noisy.example"), identity: Identity())
        #expect(denied.outcome == .deny)
        #expect(denied.rule == "deny-admin")
    }
}
