import GatehouseCore
import GatehouseTestSupport
import Testing

/// Rebuilding a check from a decision record and deciding it again under a candidate tree.
@Suite("Replay of stored decisions", .bug(id: "13"))
struct ReplayTests {
    /// A record of `GET path` on `registry.example` decided `decision` by `rule`.
    static func entry(
        _ path: String, _ decision: Decision.Outcome = .allow, rule: String? = "read", reason: String? = nil,
        caller: AuditedCaller = AuditedCaller(), policy: String? = "registry"
    ) -> DecisionEntry {
        DecisionEntry(
            decision: decision, status: decision == .allow ? 200 : 403,
            reason: reason ?? (decision == .allow ? "allowed" : "denied_by_rule"), policy: policy,
            policyRevision: "r1", rule: rule, method: "GET", host: "registry.example", path: path,
            sourceAddress: "10.1.2.3", caller: caller, requestID: "req-1")
    }

    static func tree(_ rules: [CompiledRule], authentication: Bool = false) throws -> DecisionTree {
        let summary = AuthenticationSummary(
            acceptsCredentials: authentication, acceptsBearerTokens: authentication, realm: "r", forwardedIssuers: [])
        return DecisionTree(
            revision: "candidate",
            policies: [
                try Fixture.policy("registry", hosts: ["registry.example"], rules: rules, authentication: summary)
            ])
    }

    @Test("The record's method, host, path without its masked query, source address and caller come back")
    func rebuildsCheck() throws {
        let caller = AuditedCaller(
            spiffeID: "spiffe://gov.example/registry", xroadClient: "EE/GOV/70000001/registry",
            issuer: "https://idp.example", subject: "alice",
            claims: ["roles": "[\"clerk\",\"registrar\"]", "org.unit": "\"births\""])
        let check = try ReplayedCheck(Self.entry("/births/42?x=***", caller: caller), time: UnixTime(seconds: 7))
        #expect(check.request.method.rawValue == "GET")
        #expect(check.request.host == "registry.example")
        #expect(check.request.path == "/births/42")
        #expect(check.request.query.pairs.isEmpty)
        #expect(check.request.source.address?.description == "10.1.2.3")
        #expect(check.request.id == "req-1")
        #expect(check.identity.peer?.spiffeID == "spiffe://gov.example/registry")
        #expect(check.identity.peer?.xroadClient?.description == "EE/GOV/70000001/registry")
        #expect(check.identity.token?.issuer == "https://idp.example")
        #expect(check.identity.token?.subject == "alice")
        let claims = try #require(check.identity.token?.claims)
        #expect(claims.value(at: ["roles"]) == .array([.string("clerk"), .string("registrar")]))
        #expect(claims.value(at: ["org", "unit"]) == .string("births"))
        #expect(check.holdsClaim("roles") && check.holdsClaim("org.unit") && !check.holdsClaim("email"))
    }

    @Test("A decision that was no policy's verdict, or a malformed field, is refused with its reason")
    func refusesNonPolicyRecords() {
        #expect(throws: ReplayLimit.notAPolicyDecision("internal_error")) {
            try ReplayedCheck(Self.entry("/a", .deny, rule: nil, reason: "internal_error"), time: UnixTime(seconds: 0))
        }
        #expect(throws: ReplayLimit.malformed("claims.roles")) {
            try ReplayedCheck(
                Self.entry("/a", caller: AuditedCaller(issuer: "i", claims: ["roles": "[oops"])),
                time: UnixTime(seconds: 0))
        }
    }

    @Test("A candidate that denies one path changes exactly the records on that path")
    func candidateDeniesOnePath() throws {
        let candidate = try Self.tree([
            Fixture.rule("close-deaths", .deny, paths: ["/deaths/**"]),
            Fixture.rule("read", .allow, paths: ["/**"]),
        ])
        let births = try candidate.replay(ReplayedCheck(Self.entry("/births/1"), time: UnixTime(seconds: 0)))
        #expect(DecisionChange.between(outcome: .allow, reason: "allowed", rule: "read", candidate: births) == nil)
        let deaths = try candidate.replay(ReplayedCheck(Self.entry("/deaths/1"), time: UnixTime(seconds: 0)))
        #expect(deaths.outcome == .deny && deaths.rule == "close-deaths")
        #expect(
            DecisionChange.between(outcome: .allow, reason: "allowed", rule: "read", candidate: deaths) == .allowToDeny)
    }

    @Test("A rule the request reaches that reads a header or an unlogged claim makes the record unreplayable")
    func limits() throws {
        let candidate = try Self.tree(
            [
                Fixture.rule(
                    "tenant", .allow, paths: ["/tenant/**"], conditions: [.header(name: "x-tenant", .present)]),
                Fixture.rule(
                    "clerks", .allow, paths: ["/births/**"],
                    conditions: [
                        .claim(path: ["roles"], .contains(.string("clerk")))
                    ]),
                Fixture.rule("open", .allow, paths: ["/open"]),
            ], authentication: true)
        let token = AuditedCaller(issuer: "https://idp.example", subject: "alice")
        #expect(throws: ReplayLimit.header("x-tenant")) {
            try candidate.replay(ReplayedCheck(Self.entry("/tenant/1", caller: token), time: UnixTime(seconds: 0)))
        }
        #expect(throws: ReplayLimit.claim("roles")) {
            try candidate.replay(ReplayedCheck(Self.entry("/births/1", caller: token), time: UnixTime(seconds: 0)))
        }
        // The header rule is on another route: this record is judged.
        let open = try candidate.replay(ReplayedCheck(Self.entry("/open", caller: token), time: UnixTime(seconds: 0)))
        #expect(open.isAllowed && open.rule == "open")
        // With the claim logged it is judged too, and a record without a token has no claims at all.
        var logged = token
        logged.claims["roles"] = "[\"clerk\"]"
        let clerk = try candidate.replay(
            ReplayedCheck(Self.entry("/births/1", caller: logged), time: UnixTime(seconds: 0)))
        #expect(clerk.isAllowed && clerk.rule == "clerks")
        let anonymous = try candidate.replay(
            ReplayedCheck(
                Self.entry("/births/1", .deny, rule: nil, reason: "missing_credentials"), time: UnixTime(seconds: 0)))
        #expect(anonymous.outcome == .deny && anonymous.reason == .missingCredentials)
    }

    @Test(
        "A record no policy governed verified no credential: a candidate that selects a policy with credentials cannot judge it"
    )
    func unverifiedCredentials() throws {
        let candidate = try Self.tree([Fixture.rule("read", .allow)], authentication: true)
        let record = Self.entry("/a", .deny, rule: nil, reason: "no_policy", policy: nil)
        #expect(throws: ReplayLimit.credentialsNotVerified) {
            try candidate.replay(ReplayedCheck(record, time: UnixTime(seconds: 0)))
        }
        let open = try Self.tree([Fixture.rule("read", .allow)])
        #expect(try open.replay(ReplayedCheck(record, time: UnixTime(seconds: 0))).isAllowed)
    }

    @Test(
        "Context extensions are taken from the recorded policy of the same name; otherwise the record cannot be replayed"
    )
    func contextExtensions() throws {
        let candidate = DecisionTree(
            revision: "c",
            policies: [
                try Fixture.policy(
                    "other", hosts: ["registry.example"], context: [(key: "building_block", values: ["y"])],
                    rules: [Fixture.rule("deny-all", .deny)]),
                try Fixture.policy(
                    "registry", hosts: ["registry.example"], context: [(key: "building_block", values: ["x"])],
                    rules: [Fixture.rule("read", .allow)]),
            ])
        let same = try candidate.replay(ReplayedCheck(Self.entry("/a"), time: UnixTime(seconds: 0)))
        #expect(same.isAllowed && same.policy == "registry")
        #expect(throws: ReplayLimit.contextExtension("building_block")) {
            try candidate.replay(ReplayedCheck(Self.entry("/a", policy: "renamed"), time: UnixTime(seconds: 0)))
        }
    }

    @Test(
        "Claim JSON text parses back to the value the record was written from",
        arguments: [
            ClaimValue.string("a\"b\\c\u{01}é"), .number(42), .number(-1.5), .bool(true), .null,
            .array([.string("x"), .number(1)]), .object(["k": .object(["n": .array([])])]),
        ])
    func claimRoundTrip(value: ClaimValue) {
        #expect(ClaimValue(jsonText: value.jsonText) == value)
        #expect(ClaimValue(jsonText: "[1,") == nil)
        #expect(ClaimValue(jsonText: "\"\\ud83d\\ude00\"") == .string("😀"))
    }

    @Test("Changes: allow→deny, deny→allow, and same outcome with another reason or rule")
    func changes() {
        let allow = Decision(outcome: .allow, status: 200, reason: .allowed, rule: "a")
        let deny = Decision(outcome: .deny, status: 403, reason: .deniedByRule, rule: "d")
        #expect(DecisionChange.between(allow, deny) == .allowToDeny)
        #expect(DecisionChange.between(deny, allow) == .denyToAllow)
        var otherRule = allow
        otherRule.rule = "b"
        #expect(DecisionChange.between(allow, otherRule) == .reasonOrRule)
        #expect(DecisionChange.between(allow, allow) == nil)
    }
}
