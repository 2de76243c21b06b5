import Foundation
import GatehouseTestSupport
import Testing

@Suite("gatehouse policy", .timeLimit(.minutes(2)))
struct PolicyCommandTests {
    @Test("Lint reports the example policies clean and exits 0")
    func lintExamples() throws {
        let output = try GatehouseProcess.run(["policy", "lint", "policies"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("no problems found"))
    }

    @Test("Compile prints a summary of policies, rules, nodes and attributes")
    func compileSummary() throws {
        let output = try GatehouseProcess.run(["policy", "compile", "policies"])
        #expect(output.status == 0)
        for field in [
            "revision: ", "policies: 4", "rules: ", "tree nodes: ", "attributes read (",
            "jwt.claims.realm_access.roles",
        ] {
            #expect(output.stdout.contains(field), "missing '\(field)' in \(output.stdout)")
        }
    }

    @Test("Test runs the example policy tests and exits 0")
    func testExamples() throws {
        let output = try GatehouseProcess.run(["policy", "test", "policies", "--require-coverage"])
        #expect(output.status == 0, "\(output.stdout)")
        #expect(output.stdout.contains(" passed, 0 failed, 0 rules untested"))
    }

    @Test("A broken policy exits 2 with file:line:col: code: message diagnostics")
    func brokenPolicy() throws {
        let output = try GatehouseProcess.withDirectory([
            "p.yaml":
                "kind: Policy\nname: p\nrules:\n  - name: r\n    action: allow\n    pathz: [/a]\n    sourceCidrs: [10.0.0.1/8]\n"
        ]) { directory in
            try GatehouseProcess.run(["policy", "lint", directory.path])
        }
        #expect(output.status == 2)
        #expect(
            output.stdout.contains("/p.yaml:6:5: policy_unknown_key: A rule has no key 'pathz'. Did you mean 'paths'?"))
        #expect(output.stdout.contains("/p.yaml:7:19: policy_invalid_cidr:"))
        #expect(output.stdout.contains("2 errors"))
    }

    @Test("A missing directory exits 2 with a message on standard error")
    func missingDirectory() throws {
        let output = try GatehouseProcess.run(["policy", "compile", "/nonexistent/policies"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("'/nonexistent/policies' does not exist"))
    }

    @Test("A failing policy test exits 1 and says what differed; untested rules are listed")
    func failingPolicyTest() throws {
        let policy = """
            kind: Policy
            name: p
            rules:
              - { name: readers, action: allow, methods: [GET], paths: [/docs/*] }
              - { name: writers, action: allow, methods: [PUT], paths: [/docs/*] }
            """
        let tests = """
            kind: PolicyTests
            tests:
              - name: a put is allowed
                request: { method: PUT, path: /docs/1 }
                expect: { decision: allow, rule: readers }
            """
        let output = try GatehouseProcess.withDirectory(["p.yaml": policy, "p_test.yaml": tests]) { directory in
            try GatehouseProcess.run(["policy", "test", directory.path])
        }
        #expect(output.status == 1)
        #expect(output.stdout.contains("FAIL "))
        #expect(output.stdout.contains("expected rule 'readers', got 'writers'"))
        #expect(
            output.stdout.contains(
                "policy_untested_rule: The rule 'readers' of policy 'p' is not exercised by any test."))
        #expect(output.stdout.contains("policy tests: 0 passed, 1 failed, 1 rules untested"))
    }
}
