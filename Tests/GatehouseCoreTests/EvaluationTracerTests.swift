import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Decision tree: tracing")
struct EvaluationTracerTests {
    static func tree() throws -> DecisionTree {
        let policy = try Fixture.policy(
            "registry", hosts: ["registry.example"],
            rules: [
                Fixture.rule("no-admin", .deny, line: 3, paths: ["/admin/**"]),
                Fixture.rule("clerks", .allow, line: 7, paths: ["/births/*"], conditions: [.authenticated(true)]),
                Fixture.rule("public", .allow, line: 12, paths: ["/births/*"]),
                Fixture.rule("audit", .deny, line: 15, shadow: true),
            ])
        return DecisionTree(revision: "r", policies: [policy])
    }

    static func trace(_ request: AuthzRequest, identity: Identity = .anonymous) throws -> (Decision, [TraceEvent]) {
        var tracer = RecordingTracer()
        let decision = try Self.tree().evaluate(request, identity: identity, tracer: &tracer)
        return (decision, tracer.events)
    }

    @Test("A traced evaluation records selection, the walk, every reached rule and the decision, in order")
    func recordsEveryStep() throws {
        let (decision, events) = try Self.trace(AuthzRequest(path: "/births/42", host: "registry.example"))
        #expect(decision.rule == "public")

        guard case .policySelected(let name, let location, let selector)? = events.first else {
            Issue.record("first event is \(String(describing: events.first))")
            return
        }
        #expect(name == "registry")
        #expect(location == Fixture.location(1))
        #expect(selector == "host 'registry.example'")
        #expect(events.contains(.walk(method: "GET", bucket: "GET", path: "/births/42")))
        #expect(
            events.contains(
                .ruleReached(name: "clerks", location: Fixture.location(7), via: "path pattern '/births/*'")))
        #expect(events.contains(.ruleFailed(name: "clerks", condition: "caller is authenticated")))
        #expect(events.contains(.ruleMatched(name: "public", action: .allow, isShadow: false)))
        #expect(events.contains(.ruleReached(name: "audit", location: Fixture.location(15), via: "no path condition")))
        #expect(events.contains(.ruleMatched(name: "audit", action: .deny, isShadow: true)))
        #expect(!events.contains { if case .ruleReached(name: "no-admin", _, _) = $0 { true } else { false } })
        #expect(events.last == .decided(outcome: .allow, status: 200, reason: .allowed, rule: "public"))
        #expect(events.allSatisfy { !$0.description.isEmpty })
    }

    @Test("A traced evaluation reaches rules the untraced one skips, and decides the same")
    func tracingDoesNotChangeTheDecision() throws {
        let request = AuthzRequest(path: "/births/42", host: "registry.example")
        let identity = Fixture.token()
        let (traced, events) = try Self.trace(request, identity: identity)
        let plain = try Self.tree().evaluate(request, identity: identity)
        #expect(traced.rule == "clerks")
        #expect(plain.rule == traced.rule)
        #expect(plain.outcome == traced.outcome)
        #expect(plain.shadowMatches == traced.shadowMatches)
        // `public` cannot change the outcome once `clerks` matched, but an explanation shows it anyway.
        #expect(events.contains(.ruleMatched(name: "public", action: .allow, isShadow: false)))
        #expect(events.last == .decided(outcome: .allow, status: 200, reason: .allowed, rule: "clerks"))
    }

    @Test("A refused path, an unselected request and a rejected credential are each traced")
    func earlyExits() throws {
        let (_, refused) = try Self.trace(AuthzRequest(path: "/a%2fb", host: "registry.example"))
        #expect(
            refused == [
                .pathRejected(raw: "/a%2fb", .ambiguous),
                .decided(outcome: .deny, status: 400, reason: .ambiguousPath, rule: nil),
            ])

        let (_, unselected) = try Self.trace(AuthzRequest(host: "Other.Example"))
        #expect(
            unselected == [
                .noPolicySelected(host: "other.example"),
                .decided(outcome: .deny, status: 403, reason: .noPolicy, rule: nil),
            ])

        let failure = CredentialFailure(kind: .token, reason: .invalidToken, description: "expired")
        let (_, rejected) = try Self.trace(
            AuthzRequest(host: "registry.example"), identity: Identity(credentialFailure: failure))
        #expect(rejected.count == 3)
        #expect(rejected.dropFirst().first == .credentialRejected(failure))
        #expect(rejected.last == .decided(outcome: .deny, status: 401, reason: .invalidToken, rule: nil))
    }

    @Test("A non-standard method is walked in the 'other' bucket")
    func otherBucket() throws {
        let (decision, events) = try Self.trace(
            AuthzRequest(method: "PROPFIND", path: "/admin/x", host: "registry.example"))
        #expect(decision.rule == "no-admin")
        #expect(events.contains(.walk(method: "PROPFIND", bucket: "other", path: "/admin/x")))
        #expect(events.contains(.ruleMatched(name: "no-admin", action: .deny, isShadow: false)))
    }

    @Test("Trace events read as an explanation")
    func descriptions() {
        let decided = TraceEvent.decided(outcome: .deny, status: 403, reason: .deniedByRule, rule: "no-admin")
        #expect(decided.description == "decision: deny 403 denied_by_rule by rule 'no-admin'")
        let matched = TraceEvent.ruleMatched(name: "audit", action: .deny, isShadow: true)
        #expect(matched.description.contains("shadow deny (reported, not enforced)"))
        #expect(TraceEvent.pathRejected(raw: "/x", .tooLong).description == "path '/x' refused: too long")
    }
}
