import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Decision tree: residual conditions")
struct ConditionTests {
    /// Whether an allow rule with `conditions` allows, and a deny rule with them denies (over an allow-all rule).
    static func matches(
        _ conditions: [Condition],
        request: AuthzRequest = AuthzRequest(path: "/x"),
        identity: Identity = .anonymous
    ) throws -> (allow: Bool, deny: Bool) {
        let allowTree = try Fixture.tree([Fixture.rule("allow", .allow, paths: ["/x"], conditions: conditions)])
        let denyTree = try Fixture.tree([
            Fixture.rule("deny", .deny, conditions: conditions),
            Fixture.rule("all", .allow),
        ])
        let allowed = allowTree.evaluate(request, identity: identity)
        let denied = denyTree.evaluate(request, identity: identity)
        return (allowed.isAllowed, denied.rule == "deny")
    }

    static let headers = AuthzRequest(
        path: "/x",
        headers: [
            ("X-Tenant", "other"), ("x-tenant", "gov-1"), ("X-Empty", ""),
        ])

    @Test(
        "Header conditions look at every value sent under the lower-cased name",
        arguments: [
            ("x-tenant", HeaderMatch.equals("gov-1"), true),
            ("x-tenant", .equals("other"), true),
            ("x-tenant", .equals("GOV-1"), false),
            ("x-tenant", .equals("gov"), false),
            ("x-tenant", .prefix("gov-"), true),
            ("x-tenant", .prefix("oth"), true),
            ("x-tenant", .prefix("gov-12"), false),
            ("x-tenant", .present, true),
            ("x-tenant", .absent, false),
            ("x-empty", .present, true),
            ("x-empty", .equals(""), true),
            ("x-missing", .present, false),
            ("x-missing", .absent, true),
            ("x-missing", .equals(""), false),
            ("x-missing", .prefix(""), false),
        ]
    )
    func headerConditions(name: String, match: HeaderMatch, expected: Bool) throws {
        let result = try Self.matches([.header(name: name, match)], request: Self.headers)
        #expect(result.allow == expected)
        #expect(result.deny == expected)
    }

    static let claims = Fixture.token(claims: [
        "realm_access": .object(["roles": .array([.string("clerk"), .string("viewer")])]),
        "department": .string("births"),
        "level": .number(2),
        "code": .string("2"),
        "verified": .bool(true),
        "nothing": .null,
        "org": .object(["unit": .object(["id": .number(7)])]),
    ])

    @Test(
        "Claim conditions read nested paths, compare by type, and 'contains' takes an array or a single value",
        arguments: [
            (["realm_access", "roles"], ClaimMatch.contains(.string("clerk")), true),
            (["realm_access", "roles"], .contains(.string("admin")), false),
            (["realm_access", "roles"], .exists(true), true),
            (["realm_access", "missing"], .exists(true), false),
            (["realm_access", "missing"], .exists(false), true),
            (["act"], .exists(false), true),
            (["nothing"], .exists(true), true),
            (["nothing"], .equals(.null), true),
            (["department"], .equals(.string("births")), true),
            (["department"], .equals(.string("Births")), false),
            (["department"], .contains(.string("births")), true),
            (["department"], .contains(.string("birth")), false),
            (["level"], .contains(.number(2)), true),
            (["level"], .contains(.string("2")), false),
            (["org"], .contains(.object([:])), false),
            (["nothing"], .contains(.null), false),
            (["act"], .contains(.string("x")), false),
            (["level"], .equals(.number(2)), true),
            (["level"], .equals(.number(2.0)), true),
            (["level"], .equals(.string("2")), false),
            (["code"], .equals(.number(2)), false),
            (["code"], .equals(.string("2")), true),
            (["level"], .oneOf([.number(1), .number(2)]), true),
            (["level"], .oneOf([.string("2"), .number(3)]), false),
            (["verified"], .equals(.bool(true)), true),
            (["verified"], .equals(.string("true")), false),
            (["org", "unit", "id"], .equals(.number(7)), true),
            (["org", "unit"], .exists(true), true),
            (["department", "sub"], .exists(true), false),
            (["sub"], .equals(.string("alice")), true),
        ]
    )
    func claimConditions(path: [String], match: ClaimMatch, expected: Bool) throws {
        let result = try Self.matches([.claim(path: path, match)], identity: Self.claims)
        #expect(result.allow == expected)
        #expect(result.deny == expected)
    }

    @Test("Without a token only 'exists: false' holds")
    func claimsWithoutToken() throws {
        #expect(try Self.matches([.claim(path: ["sub"], .exists(false))]) == (true, true))
        #expect(try Self.matches([.claim(path: ["sub"], .exists(true))]) == (false, false))
        #expect(try Self.matches([.claim(path: ["sub"], .equals(.null))]) == (false, false))
        let peerOnly = Identity(peer: PeerIdentity(spiffeID: "spiffe://gov.example/x"))
        #expect(try Self.matches([.claim(path: ["sub"], .exists(false))], identity: peerOnly) == (true, true))
    }

    @Test(
        "'authenticated' holds for any verified credential, token or certificate",
        arguments: [
            (Identity.anonymous, false),
            (Fixture.token(), true),
            (Identity(peer: PeerIdentity(spiffeID: "spiffe://gov.example/x")), true),
            (Identity(peer: PeerIdentity(xroadClient: XRoadClientID("GOV/COM/1"))), true),
        ]
    )
    func authenticated(identity: Identity, isAuthenticated: Bool) throws {
        #expect(try Self.matches([.authenticated(true)], identity: identity).allow == isAuthenticated)
        #expect(try Self.matches([.authenticated(false)], identity: identity).allow == !isAuthenticated)
    }

    static let health = Identity(peer: PeerIdentity(spiffeID: "spiffe://gov.example/ns/health/sa/emr"))
    static let emr = Identity(peer: PeerIdentity(xroadClient: XRoadClientID("GOV/COM/12345678/emr")))

    @Test("Principal conditions match SPIFFE IDs and X-Road clients, and can be negated")
    func principals() throws {
        let patterns = try [
            #require(PrincipalPattern.spiffe("spiffe://gov.example/ns/health/*")),
            #require(PrincipalPattern.xroad("GOV/COM/*/emr")),
        ]
        let exact = try [#require(PrincipalPattern.spiffe("spiffe://gov.example/ns/health"))]
        let member = try [#require(PrincipalPattern.xroad("GOV/COM/*"))]
        #expect(try Self.matches([.principals(patterns, negated: false)], identity: Self.health) == (true, true))
        #expect(try Self.matches([.principals(patterns, negated: false)], identity: Self.emr) == (true, true))
        #expect(try Self.matches([.principals(exact, negated: false)], identity: Self.health) == (false, false))
        #expect(try Self.matches([.principals(member, negated: false)], identity: Self.emr) == (false, false))
        #expect(try Self.matches([.principals(patterns, negated: true)], identity: Self.health) == (false, false))
        #expect(try Self.matches([.principals(member, negated: true)], identity: Self.emr) == (true, true))
        // No verified peer: a positive list cannot hold, a negated one does.
        #expect(try Self.matches([.principals(patterns, negated: false)], identity: Fixture.token()) == (false, false))
        #expect(try Self.matches([.principals(patterns, negated: true)]) == (true, true))
    }

    @Test(
        "Source CIDR conditions match the connection's address, and can be negated",
        arguments: [
            ("10.1.2.3", false, true),
            ("fd12::1", false, true),
            ("::ffff:10.9.9.9", false, true),
            ("192.0.2.1", false, false),
            ("192.0.2.1", true, true),
            ("10.0.0.1", true, false),
        ]
    )
    func sourceCIDRs(address: String, negated: Bool, expected: Bool) throws {
        let blocks = try [Fixture.cidr("10.0.0.0/8"), Fixture.cidr("fd00::/8")]
        let request = AuthzRequest(path: "/x", source: Peer(address: try Fixture.address(address)))
        let result = try Self.matches([.sourceCIDRs(blocks, negated: negated)], request: request)
        #expect(result.allow == expected)
        #expect(result.deny == expected)
    }

    @Test(
        "Without a source address a CIDR condition fails closed: a deny rule matches, an allow rule does not",
        arguments: [false, true])
    func sourceCIDRsUnknown(negated: Bool) throws {
        let blocks = [try Fixture.cidr("10.0.0.0/8")]
        let request = AuthzRequest(path: "/x", source: Peer(address: nil))
        #expect(try Self.matches([.sourceCIDRs(blocks, negated: negated)], request: request) == (false, true))
        let condition = Condition.sourceCIDRs(blocks, negated: negated)
        #expect(condition.isSatisfied(request: request, identity: .anonymous, forDeny: true))
        #expect(!condition.isSatisfied(request: request, identity: .anonymous, forDeny: false))
    }

    @Test("Host and path conditions (hosts, notHosts, notPaths) hold as listed")
    func hostsAndPaths() throws {
        let hosts = try [Fixture.host("*.gov.example")]
        let paths = try [Fixture.path("/x/**")]
        let request = AuthzRequest(path: "/x", host: "a.gov.example")
        let other = AuthzRequest(path: "/x", host: "gov.example")
        #expect(try Self.matches([.hosts(hosts, negated: false)], request: request) == (true, true))
        #expect(try Self.matches([.hosts(hosts, negated: false)], request: other) == (false, false))
        #expect(try Self.matches([.hosts(hosts, negated: true)], request: other) == (true, true))
        #expect(try Self.matches([.paths(paths, negated: true)], request: request) == (false, false))
        #expect(try Self.matches([.paths(paths, negated: false)], request: request) == (true, true))
    }

    @Test("Every condition of a rule must hold")
    func allConditionsMustHold() throws {
        let conditions: [Condition] = [
            .header(name: "x-tenant", .prefix("gov-")),
            .claim(path: ["department"], .equals(.string("births"))),
            .authenticated(true),
        ]
        #expect(try Self.matches(conditions, request: Self.headers, identity: Self.claims) == (true, true))
        #expect(
            try Self.matches(conditions, request: AuthzRequest(path: "/x"), identity: Self.claims) == (false, false))
        #expect(try Self.matches(conditions, request: Self.headers) == (false, false))
    }
}
