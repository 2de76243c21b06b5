import Foundation
import GatehouseCore
import GatehousePolicy
import Testing

@Suite("The example policies in policies/")
struct ExamplePoliciesTests {
    private static func compile() throws -> PolicyCompiler.Result {
        try PolicyCompiler.diagnose(directory: TestPaths.examplePolicies.path)
    }

    @Test("The example policies compile with no errors and no warnings")
    func compileCleanly() throws {
        let result = try Self.compile()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))")
        let compiled = try #require(result.compiled)
        #expect(compiled.warnings.isEmpty)
        #expect(
            compiled.tree.policies.map(\.name).sorted() == ["civil-registry", "death-registry", "health", "id-card"])
        #expect(compiled.tree.ruleCount > 10)
    }

    @Test("The example policy tests all pass and exercise every rule")
    func testsPass() throws {
        let compiled = try #require(try Self.compile().compiled)
        #expect(compiled.tests.count >= 20)
        let report = PolicyTestRunner.run(compiled)
        for failed in report.results where !failed.passed {
            Issue.record("'\(failed.testCase.name.value)': \(failed.failures.joined(separator: "; "))")
        }
        #expect(report.failedCount == 0)
        #expect(report.untestedRules.isEmpty, "untested: \(report.untestedRules.map { "\($0.policy)/\($0.rule)" })")
        #expect(report.diagnostics.isEmpty)
    }

    @Test("The tree records the request attributes the example policies read")
    func attributesRead() throws {
        let tree = try #require(try Self.compile().compiled).tree
        let attributes = Set(tree.attributesRead)
        for expected: RequestAttribute in [
            .tokenClaim("realm_access.roles"), .contextExtension("building_block"), .method, .path, .host,
            .peerIdentity, .tokenIssuer, .subject, .header("x-api-version"), .header("x-purpose-of-use"),
        ] {
            #expect(attributes.contains(expected), "\(expected) is missing from \(tree.attributesRead)")
        }
        #expect(tree.attributesRead == tree.attributesRead.sorted())
        #expect(!attributes.contains(.tokenClaim("realm_access")), "claim paths are recorded whole")
    }

    @Test("A clerk's token reads a birth record through the example tree")
    func clerkReadsBirthRecord() throws {
        let tree = try #require(try Self.compile().compiled).tree
        let request = AuthzRequest(
            method: "GET", path: "/births/1987-0042", host: "civil-registry.gov.example",
            headers: [("x-purpose-of-use", "benefit-claim")],
            contextExtensions: ["building_block": "civil-registry"])
        let claims: ClaimValue = .object([
            "iss": .string("https://idp.gov.example"), "sub": .string("alice"),
            "realm_access": .object(["roles": .array([.string("clerk")])]),
        ])
        let token = VerifiedToken(issuer: "https://idp.gov.example", subject: "alice", claims: claims)
        let identity = Identity(token: token)
        let decision = tree.evaluate(request, identity: identity)
        #expect(decision.outcome == .allow)
        #expect(decision.policy == "civil-registry")
        #expect(decision.rule == "clerks-read-births")
        #expect(decision.headersToRemove.contains("authorization"))
        let subject = HeaderMutation(name: "x-gatehouse-subject", value: "alice", action: .overwrite)
        #expect(decision.headersToSet.contains(subject))
    }
}
