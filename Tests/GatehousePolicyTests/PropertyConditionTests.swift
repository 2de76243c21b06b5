import GatehouseCore
import GatehousePolicy
import Testing

/// Rules on AuthZEN entity properties (`properties: {subject.department: …}`, issue #16): parsed like
/// `claims`, evaluated against ``AuthzRequest/properties``, keyed in the decision cache, and
/// refused with file:line when the path names no entity.
@Suite("Policy conditions on AuthZEN properties", .bug(id: "16"))
struct PropertyConditionTests {
    static let policy = """
        kind: Policy
        name: reports
        rules:
          - name: finance-reads-reports
            action: allow
            paths: [/reports/**]
            properties:
              subject.department: finance
              resource.classification: { in: [public, internal] }
              action.purpose: { exists: true }
          - name: no-drafts
            action: deny
            paths: [/reports/**]
            properties: { resource.labels: { contains: draft } }
        """

    static func compile(_ text: String) -> PolicyCompiler.Result {
        PolicyCompiler.compile(sources: [PolicySource(path: "reports.yaml", text: text)])
    }

    static func request(
        subject: [String: ClaimValue] = ["department": .string("finance")],
        resource: [String: ClaimValue] = ["classification": .string("internal")],
        action: [String: ClaimValue] = ["purpose": .string("audit")]
    ) -> AuthzRequest {
        var request = AuthzRequest(path: "/reports/q3")
        request.properties = EntityProperties([.subject: subject, .resource: resource, .action: action])
        return request
    }

    @Test("Every property condition must hold; a missing property or entity fails the allow rule")
    func evaluation() throws {
        let tree = try #require(Self.compile(Self.policy).compiled).tree
        let allowed = tree.evaluate(Self.request(), identity: Identity())
        #expect(allowed.isAllowed, "\(allowed)")
        #expect(allowed.rule == "finance-reads-reports")
        for request in [
            Self.request(subject: ["department": .string("sales")]),
            Self.request(resource: ["classification": .string("secret")]),
            Self.request(action: [:]),
            AuthzRequest(path: "/reports/q3"),  // from Envoy: no properties at all
        ] {
            #expect(!tree.evaluate(request, identity: Identity()).isAllowed)
        }
        let draft = Self.request(
            resource: ["classification": .string("public"), "labels": .array([.string("draft"), .string("q3")])])
        let denied = tree.evaluate(draft, identity: Identity())
        #expect(!denied.isAllowed)
        #expect(denied.rule == "no-drafts")
    }

    @Test("Nested paths reach into objects; the tree reports what it reads, for the cache key")
    func nestedAndAttributes() throws {
        let text = """
            kind: Policy
            name: p
            rules:
              - { name: owner, action: allow, paths: [/**], properties: { resource.owner.id: alice } }
            """
        let compiled = try #require(Self.compile(text).compiled)
        var request = AuthzRequest(path: "/doc")
        request.properties = EntityProperties([.resource: ["owner": .object(["id": .string("alice")])]])
        #expect(compiled.tree.evaluate(request, identity: Identity()).isAllowed)
        #expect(compiled.tree.policies[0].attributes.contains(.property(.resource, ["owner", "id"])))
    }

    @Test("The cache key differs when a property the policy reads differs, and only then")
    func cacheKey() throws {
        let compiled = try #require(Self.compile(Self.policy).compiled)
        let plan = PolicyCachePlan(compiled.tree.policies[0])
        func key(_ request: AuthzRequest) -> [String] {
            var builder = RecordingKey()
            plan.addAttributes(of: request, to: &builder)
            return builder.fields
        }
        let base = key(Self.request())
        #expect(key(Self.request(subject: ["department": .string("sales")])) != base)
        #expect(key(Self.request(subject: ["department": .number(1)])) != base)
        #expect(key(Self.request(action: [:])) != base)
        #expect(key(Self.request(subject: ["department": .string("finance"), "unread": .bool(true)])) == base)
    }

    @Test(
        "A path that names no entity or property is an error at its line",
        arguments: [
            ("department: finance", 6), ("user.department: finance", 6), ("subject: finance", 6),
            ("subject..department: finance", 6),
        ])
    func badPath(line: String, expectedLine: Int) throws {
        let text = """
            kind: Policy
            name: p
            rules:
              - name: r
                action: allow
                properties: { \(line) }
            """
        let result = Self.compile(text)
        let error = try #require(result.errors.first, "\(result.summary)")
        #expect(error.code.rawValue == "policy_invalid_value", "\(error)")
        #expect(error.location.line == expectedLine)
        #expect(error.message.contains("subject.department"), "the message shows how to write it: \(error.message)")
    }

    @Test("Policy test cases send properties as an evaluator would")
    func testCases() throws {
        let tests = """
            kind: PolicyTests
            tests:
              - name: finance reads an internal report
                request:
                  path: /reports/q3
                  properties:
                    subject: { department: finance }
                    resource: { classification: internal }
                    action: { purpose: audit }
                expect: { decision: allow, rule: finance-reads-reports }
              - name: a draft is never read
                request:
                  path: /reports/q3
                  properties:
                    subject: { department: finance }
                    resource: { classification: public, labels: [draft] }
                    action: { purpose: audit }
                expect: { decision: deny, rule: no-drafts }
              - name: the same path from Envoy carries no properties
                request: { path: /reports/q3 }
                expect: { decision: deny }
            """
        let result = PolicyCompiler.compile(sources: [
            PolicySource(path: "reports.yaml", text: Self.policy), PolicySource(path: "reports_test.yaml", text: tests),
        ])
        #expect(result.errors.isEmpty, "\(result.summary)")
        let report = PolicyTestRunner.run(try #require(result.compiled))
        #expect(report.results.count == 3)
        #expect(report.results.filter { !$0.passed }.isEmpty, "\(report.results.map(\.failures))")

        let broken = PolicyCompiler.compile(sources: [
            PolicySource(path: "reports.yaml", text: Self.policy),
            PolicySource(
                path: "reports_test.yaml",
                text: """
                    kind: PolicyTests
                    tests:
                      - name: n
                        request: { path: /a, properties: { subject: finance } }
                        expect: { decision: deny }
                    """),
        ])
        let error = try #require(broken.errors.first, "\(broken.summary)")
        #expect(error.location.line == 4)
        #expect(error.message.contains("request.properties.subject"))
    }

    @Test("An empty or non-mapping properties section is an error, as for claims")
    func badSection() {
        for section in ["properties: {}", "properties: [subject.a]"] {
            let text = """
                kind: Policy
                name: p
                rules:
                  - { name: r, action: allow, paths: [/a], \(section) }
                """
            #expect(!Self.compile(text).errors.isEmpty, "\(section)")
        }
    }
}

/// Collects what a cache key is built from, as text.
private struct RecordingKey: CacheKeyBuilder {
    var fields: [String] = []
    mutating func add(_ text: Substring) { self.fields.append("s:" + text) }
    mutating func add(_ number: UInt64) { self.fields.append("n:\(number)") }
}
