import Foundation
import GatehouseCore
import GatehousePolicy
import Testing

/// The fixture directories under `Fixtures/`, each a policy file and its `<case>_test.yaml`.
enum GoldenFixtures {
    static let expected = [
        "claims", "context-extensions", "deny-responses", "header-templates", "host-selection", "negations",
        "shadow-rules", "unauthenticated-vs-forbidden",
    ]

    /// The fixture directories actually present in the test bundle.
    static func present() throws -> [String] {
        let root = try TestPaths.fixtures
        return try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
    }

    /// Diagnoses one fixture directory.
    static func compile(_ name: String) throws -> PolicyCompiler.Result {
        try PolicyCompiler.diagnose(directory: TestPaths.fixtures.appendingPathComponent(name).path)
    }
}

@Suite("Golden policy fixtures")
struct GoldenPolicyTests {
    @Test("Every fixture directory is listed, and each holds a policy and its tests")
    func fixturesArePresent() throws {
        #expect(try GoldenFixtures.present() == GoldenFixtures.expected)
        for name in GoldenFixtures.expected {
            let directory = try TestPaths.fixtures.appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(files == ["\(name).yaml", "\(name)_test.yaml"])
        }
    }

    @Test(
        "A fixture compiles without diagnostics and passes every test, exercising every rule",
        arguments: GoldenFixtures.expected)
    func fixture(_ name: String) throws {
        let result = try GoldenFixtures.compile(name)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))")
        let compiled = try #require(result.compiled)
        #expect(compiled.tests.count >= 3)

        let report = PolicyTestRunner.run(compiled)
        for failed in report.results where !failed.passed {
            Issue.record("\(name): '\(failed.testCase.name.value)': \(failed.failures.joined(separator: "; "))")
        }
        #expect(report.failedCount == 0)
        #expect(report.passedCount == compiled.tests.count)
        #expect(report.untestedRules.isEmpty, "untested: \(report.untestedRules.map { "\($0.policy)/\($0.rule)" })")
    }

    @Test("A header whose template has no value, or an unsafe one, is left out rather than sent empty")
    func missingTemplateValues() throws {
        let tree = try #require(GoldenFixtures.compile("header-templates").compiled).tree
        let request = AuthzRequest(path: "/docs/1", host: "templates.example.gov")
        let claims: ClaimValue = .object([
            "iss": .string("https://idp.example.gov"),
            "realm_access": .object(["roles": .array([.string("reader"), .object([:])])]),
            "org": .object(["id": .string("42\r\nx-injected: yes")]),
            "level": .null,
        ])
        let token = VerifiedToken(issuer: "https://idp.example.gov", subject: nil, claims: claims)
        let decision = tree.evaluate(request, identity: Identity(token: token))

        #expect(decision.outcome == .allow)
        let names = decision.headersToSet.map(\.name)
        #expect(names == ["x-issuer", "x-price", "x-host"], "\(decision.headersToSet)")
        #expect(
            decision.headersToSet.contains(
                HeaderMutation(
                    name: "x-price", value: "$5 for GET /docs/1",
                    action: .overwrite)))
        #expect(!names.contains("x-subject"), "no sub claim")
        #expect(!names.contains("x-roles"), "an object inside the array has no header text")
        #expect(!names.contains("x-org"), "a value with CR LF is never sent")
        #expect(!names.contains("x-level"), "null has no header text")
        #expect(!names.contains("x-missing"))
        #expect(!names.contains("x-caller"), "no subject at all")
    }

    @Test("Query parameters are set from templates and removed, with a verified query token stripped too")
    func queryParameters() throws {
        let tree = try #require(GoldenFixtures.compile("header-templates").compiled).tree
        let request = AuthzRequest(path: "/docs/1?debug=1&access_token=abc", host: "templates.example.gov")
        let fromQuery = VerifiedToken(
            issuer: "https://idp.example.gov", subject: "carol",
            claims: .object(["iss": .string("https://idp.example.gov"), "sub": .string("carol")]),
            source: .query("access_token"))
        let decision = tree.evaluate(request, identity: Identity(token: fromQuery))
        #expect(decision.outcome == .allow)
        #expect(decision.queryParametersToSet == [QueryParameterMutation(name: "caller", value: "carol")])
        #expect(decision.queryParametersToRemove == ["debug", "access_token"])
        #expect(decision.headersToRemove == ["x-debug"], "a token read from the query leaves the headers alone")

        let fromHeader = VerifiedToken(issuer: "https://idp.example.gov", subject: "carol")
        let headerDecision = tree.evaluate(request, identity: Identity(token: fromHeader))
        #expect(headerDecision.queryParametersToRemove == ["debug"])
        #expect(headerDecision.headersToRemove == ["x-debug", "authorization"])
    }

    @Test("Header actions from the policy are kept on the rendered mutation")
    func headerActions() throws {
        let tree = try #require(GoldenFixtures.compile("header-templates").compiled).tree
        let identity = Identity(peer: PeerIdentity(spiffeID: "spiffe://example.gov/ns/a/sa/b"))
        let decision = tree.evaluate(AuthzRequest(path: "/docs/1", host: "templates.example.gov"), identity: identity)
        let caller = try #require(decision.headersToSet.first { $0.name == "x-caller" })
        #expect(caller.action == .addIfAbsent)
        #expect(caller.value == "spiffe://example.gov/ns/a/sa/b")
        #expect(decision.headersToSet.first { $0.name == "x-peer" }?.action == .overwrite)
    }
}
