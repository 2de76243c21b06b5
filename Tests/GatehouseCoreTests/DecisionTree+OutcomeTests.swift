import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Decision tree: outcomes and responses")
struct DecisionOutcomeTests {
    static let secretToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl"

    static func authenticating(
        _ rules: [CompiledRule],
        bearer: Bool = true,
        forwardedIssuers: [String] = [],
        allowResponse: AllowResponseShape = AllowResponseShape(),
        forbidden: DeniedResponseShape = DeniedResponseShape(status: 403)
    ) throws -> DecisionTree {
        let authentication = AuthenticationSummary(
            acceptsCredentials: true, acceptsBearerTokens: bearer, realm: "civil \"registry\"",
            forwardedIssuers: forwardedIssuers, invalidCertificateStatus: 403)
        let policy = try Fixture.policy(
            "registry", rules: rules, authentication: authentication, allowResponse: allowResponse,
            unauthenticatedResponse: DeniedResponseShape(status: 401, body: "{\"error\":\"unauthenticated\"}"),
            forbiddenResponse: forbidden)
        return DecisionTree(revision: "r9", policies: [policy])
    }

    static func header(_ name: String, in decision: Decision) -> String? {
        decision.headersToSet.first { $0.name == name }?.value
    }

    @Test("A token that failed verification is denied 401 invalid_token before any rule, without echoing the token")
    func invalidToken() throws {
        let tree = try Self.authenticating([Fixture.rule("everything", .allow)])
        let failure = CredentialFailure(
            kind: .token, reason: .invalidToken, description: "signature does not verify\r\nx-injected: \"1\"")
        let request = AuthzRequest(path: "/x", headers: [("Authorization", "Bearer \(Self.secretToken)")])
        let decision = tree.evaluate(request, identity: Identity(credentialFailure: failure))
        #expect(decision.outcome == .deny)
        #expect(decision.status == 401)
        #expect(decision.reason == .invalidToken)
        #expect(decision.rule == nil)
        #expect(decision.policy == "registry")
        #expect(decision.body == "{\"error\":\"unauthenticated\"}")
        let challenge = try #require(Self.header("www-authenticate", in: decision))
        #expect(challenge.hasPrefix("Bearer realm=\"civil registry\""))
        #expect(challenge.contains("error=\"invalid_token\""))
        #expect(challenge.contains("error_description=\"signature does not verifyx-injected: 1\""))
        #expect(!challenge.contains(Self.secretToken))
        #expect(!challenge.utf8.contains { $0 < 0x20 || $0 == 0x7F })
        for mutation in decision.headersToSet { #expect(!mutation.value.contains(Self.secretToken)) }
        #expect(!decision.body.contains(Self.secretToken))
    }

    @Test("A client certificate that failed verification gets the policy's certificate status and no challenge")
    func invalidCertificate() throws {
        let tree = try Self.authenticating([Fixture.rule("everything", .allow)])
        let failure = CredentialFailure(
            kind: .clientCertificate, reason: .invalidClientCertificate, description: "revoked")
        let decision = tree.evaluate(AuthzRequest(path: "/x"), identity: Identity(credentialFailure: failure))
        #expect(decision.status == 403)
        #expect(decision.reason == .invalidClientCertificate)
        #expect(Self.header("www-authenticate", in: decision) == nil)
    }

    @Test("An anonymous caller no allow rule admits gets 401 missing_credentials when the policy takes credentials")
    func missingCredentials() throws {
        let rules = try [Fixture.rule("clerks", .allow, conditions: [.authenticated(true)])]
        let decision = try Self.authenticating(rules).evaluate(AuthzRequest(path: "/x"), identity: .anonymous)
        #expect(decision.status == 401)
        #expect(decision.reason == .missingCredentials)
        #expect(Self.header("www-authenticate", in: decision) == "Bearer realm=\"civil registry\"")

        let certificatesOnly = try Self.authenticating(rules, bearer: false)
        let noChallenge = certificatesOnly.evaluate(AuthzRequest(path: "/x"), identity: .anonymous)
        #expect(noChallenge.reason == .missingCredentials)
        #expect(Self.header("www-authenticate", in: noChallenge) == nil)
    }

    @Test("Without an authentication section, or for an authenticated caller, no matching allow is 403")
    func forbiddenNotUnauthenticated() throws {
        let rules = try [Fixture.rule("nobody", .allow, conditions: [.header(name: "x-never", .present)])]
        let plain = try Fixture.tree(rules)
        let anonymous = plain.evaluate(AuthzRequest(path: "/x"), identity: .anonymous)
        #expect(anonymous.status == 403)
        #expect(anonymous.reason == .noMatchingRule)
        #expect(Self.header("www-authenticate", in: anonymous) == nil)

        let authenticated = try Self.authenticating(rules).evaluate(AuthzRequest(path: "/x"), identity: Fixture.token())
        #expect(authenticated.status == 403)
        #expect(authenticated.reason == .noMatchingRule)
        #expect(authenticated.subject == "alice")
    }

    @Test("An explicit deny rule answers 403, or with its own response, even to an anonymous caller")
    func denyRuleResponse() throws {
        let own = DeniedResponseShape(
            status: 451,
            headers: [
                HeaderTemplate(
                    name: "content-type", value: ValueTemplate(literal: "application/json"), action: .overwrite)
            ],
            body: "{\"error\":\"bulk export is not permitted\"}")
        let forbidden = DeniedResponseShape(
            status: 403,
            headers: [
                HeaderTemplate(name: "x-request", value: try Fixture.template("id ${request.id}"), action: .append)
            ],
            body: "forbidden")
        let tree = try Self.authenticating(
            [
                Fixture.rule("no-export", .deny, paths: ["/export/**"], deniedResponse: own),
                Fixture.rule("no-admin", .deny, paths: ["/admin/**"]),
            ], forbidden: forbidden)

        let exported = tree.evaluate(AuthzRequest(path: "/export/all"), identity: .anonymous)
        #expect(exported.status == 451)
        #expect(exported.reason == .deniedByRule)
        #expect(exported.body == "{\"error\":\"bulk export is not permitted\"}")
        #expect(
            exported.headersToSet == [
                HeaderMutation(name: "content-type", value: "application/json", action: .overwrite)
            ])

        let admin = tree.evaluate(
            AuthzRequest(path: "/admin/x", headers: [("x-request-id", "req-1")]), identity: .anonymous)
        #expect(admin.status == 403)
        #expect(admin.body == "forbidden")
        #expect(admin.headersToSet == [HeaderMutation(name: "x-request", value: "id req-1", action: .append)])
        #expect(tree.evaluate(AuthzRequest(path: "/admin/x"), identity: .anonymous).headersToSet.isEmpty)
    }

    static func allowShape() throws -> AllowResponseShape {
        func header(_ name: String, _ template: String, _ action: HeaderAppendAction) throws -> HeaderTemplate {
            HeaderTemplate(name: name, value: try Fixture.template(template), action: action)
        }
        return AllowResponseShape(
            headers: [
                try header("x-static", "yes", .overwrite),
                try header("x-subject", "${jwt.sub}", .overwrite),
                try header("x-roles", "roles=${jwt.claims.realm.roles}", .append),
                try header("x-unit", "${jwt.claims.unit}", .addIfAbsent),
                try header("x-spiffe", "${source.spiffe}", .overwrite),
                try header("x-where", "${request.method} ${request.host}${request.path}", .overwriteIfExists),
                try header("x-context", "bb=${context.bb}", .overwrite),
            ],
            removeHeaders: ["x-debug"],
            setQueryParameters: [
                (name: "caller", value: try Fixture.template("${subject}")),
                (name: "v", value: ValueTemplate(literal: "2")),
            ],
            removeQueryParameters: ["trace"])
    }

    @Test("An allow sets literal and template headers, leaving out those without a value or with CR/LF")
    func allowHeaders() throws {
        let tree = try Self.authenticating([Fixture.rule("all", .allow)], allowResponse: Self.allowShape())
        let identity = Fixture.token(claims: [
            "realm": .object(["roles": .array([.string("clerk"), .string("viewer")])]),
            "unit": .string("births\r\nx-admin: true"),
        ])
        // Behind an Envoy that normalizes paths, so the template sees the normalized one.
        let request = AuthzRequest(
            method: "GET", path: "/a/./b", host: "Reg.Example:443", contextExtensions: ["bb": "x"],
            paths: .init(dotSegments: .normalize))
        let decision = tree.evaluate(request, identity: identity)
        #expect(decision.isAllowed)
        #expect(
            decision.headersToSet == [
                HeaderMutation(name: "x-static", value: "yes", action: .overwrite),
                HeaderMutation(name: "x-subject", value: "alice", action: .overwrite),
                HeaderMutation(name: "x-roles", value: "roles=clerk,viewer", action: .append),
                HeaderMutation(name: "x-where", value: "GET reg.example/a/b", action: .overwriteIfExists),
                HeaderMutation(name: "x-context", value: "bb=x", action: .overwrite),
            ])
        #expect(
            decision.queryParametersToSet == [
                QueryParameterMutation(name: "caller", value: "alice"), QueryParameterMutation(name: "v", value: "2"),
            ])
        #expect(decision.subject == "alice")
        #expect(decision.policyRevision == "r9")

        let literalOnly = try Fixture.tree([Fixture.rule("all", .allow)])
        #expect(literalOnly.evaluate(request, identity: .anonymous).headersToSet.isEmpty)
        let anonymous = try Self.authenticating([Fixture.rule("all", .allow)], allowResponse: Self.allowShape())
        #expect(
            anonymous.evaluate(request, identity: .anonymous).headersToSet.map(\.name) == [
                "x-static", "x-where", "x-context",
            ])
    }

    @Test("A verified token's header is removed before the upstream unless its issuer is forwarded")
    func credentialsStripped() throws {
        let rules = [try Fixture.rule("all", .allow)]
        let stripped = try Self.authenticating(rules, allowResponse: Self.allowShape())
            .evaluate(AuthzRequest(path: "/x"), identity: Fixture.token())
        #expect(stripped.headersToRemove == ["x-debug", "authorization"])
        #expect(stripped.queryParametersToRemove == ["trace"])

        let forwarding = try Self.authenticating(
            rules, forwardedIssuers: ["https://idp.example"], allowResponse: Self.allowShape())
        let forwarded = forwarding.evaluate(AuthzRequest(path: "/x"), identity: Fixture.token())
        #expect(forwarded.headersToRemove == ["x-debug"])
        let otherIssuer = forwarding.evaluate(AuthzRequest(path: "/x"), identity: Fixture.token(issuer: "https://b"))
        #expect(otherIssuer.headersToRemove == ["x-debug", "authorization"])

        let custom = try Self.authenticating(rules).evaluate(
            AuthzRequest(path: "/x"), identity: Fixture.token(source: .header("x-api-token")))
        #expect(custom.headersToRemove == ["x-api-token"])

        let anonymous = try Fixture.tree(rules).evaluate(AuthzRequest(path: "/x"), identity: .anonymous)
        #expect(anonymous.headersToRemove.isEmpty)
    }

    @Test("A token read from the query has its parameter removed; one from a cookie is left alone")
    func queryTokenStripped() throws {
        let tree = try Self.authenticating([Fixture.rule("all", .allow)], allowResponse: Self.allowShape())
        let request = AuthzRequest(path: "/x?access_token=abc&trace=1")
        let query = tree.evaluate(request, identity: Fixture.token(source: .query("access_token")))
        #expect(query.queryParametersToRemove == ["trace", "access_token"])
        #expect(query.headersToRemove == ["x-debug"])

        let cookie = tree.evaluate(request, identity: Fixture.token(source: .cookie("session")))
        #expect(cookie.queryParametersToRemove == ["trace"])
        #expect(cookie.headersToRemove == ["x-debug"])
    }

    @Test("Dynamic metadata carries decision id, revision, reason, policy, rule, subject, shadow rules, cache use")
    func dynamicMetadata() throws {
        let tree = try Self.authenticating([
            Fixture.rule("watch", .deny, shadow: true),
            Fixture.rule("all", .allow),
        ])
        let decision = tree.evaluate(AuthzRequest(path: "/x"), identity: Fixture.token())
        let fields = decision.dynamicMetadata(decisionID: "d-42")
        let metadata = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(fields.count == metadata.count)
        #expect(
            metadata == [
                "decision_id": "d-42", "decision": "allow", "reason": "allowed", "status": "200",
                "policy_revision": "r9", "policy": "registry", "rule": "all", "subject": "alice",
                "shadow_rules": "watch:deny", "cache": "bypass",
            ])

        let global = DecisionTree(revision: "r0", policies: []).evaluate(AuthzRequest(), identity: .anonymous)
        let minimal = Dictionary(
            uniqueKeysWithValues: global.dynamicMetadata(decisionID: "d-1").map { ($0.key, $0.value) })
        #expect(
            minimal == [
                "decision_id": "d-1", "decision": "deny", "reason": "no_policy", "status": "403",
                "policy_revision": "r0", "cache": "bypass",
            ])
    }
}
