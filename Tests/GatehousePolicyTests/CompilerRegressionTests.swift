import GatehouseCore
import GatehousePolicy
import Testing

/// Compiler bugs found by the table, lint and mutation tests, each pinned by a regression test.
@Suite("Compiler regressions")
struct CompilerRegressionTests {
    private static func compile(_ text: String) -> PolicyCompiler.Result {
        PolicyCompiler.compile(sources: [PolicySource(path: "known.yaml", text: text)])
    }

    @Test("A cycle between groups that no rule uses is still an error")
    func cycleInUnusedGroups() {
        let result = Self.compile(
            """
            kind: Policy
            name: p
            rules:
              - { name: r, action: allow, paths: [/a] }
            ---
            kind: Group
            name: a
            members: { groups: [b] }
            ---
            kind: Group
            name: b
            members: { groups: [a, missing] }
            """)
        #expect(result.errors.map(\.code.rawValue).contains("policy_circular_group"))
        #expect(result.errors.map(\.code.rawValue).contains("policy_unknown_group"))
    }

    @Test("An alias right after a quoted key in a flow mapping is refused")
    func aliasAfterQuotedFlowKey() {
        let result = Self.compile(
            """
            kind: Policy
            name: &n p
            rules: [{"name":*n, action: allow, paths: [/a]}]
            """)
        #expect(result.errors.first?.code.rawValue == "policy_limit_exceeded")
    }

    @Test("Pre-scan diagnostics count columns in Unicode scalars, like the YAML parser's")
    func preScanColumnsAreScalars() throws {
        let result = Self.compile("kind: Policy\nname: p\ndescription: &d x\nrules: [{name: \"é\", action: *d}]\n")
        let error = try #require(result.errors.first)
        #expect(error.code.rawValue == "policy_limit_exceeded")
        #expect(error.location.line == 4)
        #expect(error.location.column == 29)
    }

    @Test("The 32-level nesting limit holds for files with CR line breaks too")
    func nestingLimitWithCarriageReturns() {
        // A token payload nested 36 levels deep: refused with LF line breaks, accepted with CR ones.
        var lines = ["kind: PolicyTests", "tests:", "  - name: t", "    identity:", "      jwt:", "        iss: x"]
        for level in 0..<30 { lines.append(String(repeating: " ", count: 8 + 2 * level) + "k\(level):") }
        lines += [String(repeating: " ", count: 68) + "v: 1", "    expect: { decision: deny }"]
        for separator in ["\n", "\r"] {
            let text = lines.joined(separator: separator) + separator
            let result = PolicyCompiler.compile(sources: [PolicySource(path: "deep_test.yaml", text: text)])
            #expect(result.errors.first?.code.rawValue == "policy_limit_exceeded")
            #expect(result.errors.first?.location.line == 35)
        }
    }

    @Test("Two policies that select one host at the same specificity are a duplicate selector")
    func overlappingSelectors() {
        let anyHost = Self.compile(
            """
            kind: Policy
            name: p1
            select: { hosts: ["*", a.example] }
            ---
            kind: Policy
            name: p2
            select: { hosts: [a.example] }
            """)
        let contextValues = Self.compile(
            """
            kind: Policy
            name: p1
            select: { contextExtensions: { bb: [x, y] } }
            ---
            kind: Policy
            name: p2
            select: { contextExtensions: { bb: x } }
            """)
        #expect(anyHost.errors.map(\.code.rawValue) == ["policy_duplicate_selector"])
        #expect(contextValues.errors.map(\.code.rawValue) == ["policy_duplicate_selector"])
    }

    @Test("A leeway too large to multiply out is a diagnostic, not a crash")
    func leewayOverflow() {
        let result = Self.compile(
            """
            kind: Policy
            name: p
            authentication:
              jwt:
                - { issuer: https://idp.example, jwks: { url: "https://idp.example/jwks" }, leeway: 3000000000000000000m }
            rules:
              - { name: r, action: allow, paths: [/a] }
            """)
        #expect(result.errors.map(\.code.rawValue) == ["policy_invalid_value"])
    }

    @Test("The revision is FNV-1a over the sources sorted by path, each path and text ended by a zero byte")
    func revisionDigest() {
        // Computed independently (Python) over "policies/a.yaml\0name: café\n\0policies/b.yaml\0kind: Policy\n\0".
        let sources = [
            PolicySource(path: "policies/b.yaml", text: "kind: Policy\n"),
            PolicySource(path: "policies/a.yaml", text: "name: caf\u{E9}\n"),
        ]
        #expect(PolicySource.revision(of: sources) == "bd3a476ef3577e73")
        #expect(PolicySource.revision(of: sources.reversed()) == "bd3a476ef3577e73")
    }
}
