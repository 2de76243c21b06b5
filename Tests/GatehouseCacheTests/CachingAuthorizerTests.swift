import GatehouseCache
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@Suite("Caching authorizer: reuse only what is provably the same decision")
struct CachingAuthorizerTests {
    static let alice = Identity(
        token: VerifiedToken(
            issuer: "https://idp.example", subject: "alice", expiresAt: UnixTime(seconds: 1_000)))
    static let bob = Identity(token: VerifiedToken(issuer: "https://idp.example", subject: "bob"))

    /// One policy: authenticated callers may GET /a/**; the allow names the subject and the path.
    static func tree(
        revision: String = "r1", cache: PolicyCacheSettings = PolicyCacheSettings(), header: String = "${subject}"
    )
        throws -> DecisionTree
    {
        let allow = AllowResponseShape(headers: [
            HeaderTemplate(name: "x-subject", value: try Fixture.template(header), action: .overwrite),
            HeaderTemplate(
                name: "x-path", value: try Fixture.template("${request.path}"), action: .overwrite),
        ])
        let rules = [
            try Fixture.rule("read", .allow, methods: ["GET"], paths: ["/a/**"], conditions: [.authenticated(true)])
        ]
        let policy = try Fixture.policy(
            "p", rules: rules,
            authentication: AuthenticationSummary(acceptsCredentials: true, acceptsBearerTokens: true),
            allowResponse: allow, cache: cache)
        return DecisionTree(revision: revision, policies: [policy])
    }

    static func request(
        _ path: String = "/a/1", token: String? = "alice", at seconds: Int64 = 100, headers: [(String, String)] = []
    ) -> AuthzRequest {
        AuthzRequest(
            path: path, headers: headers + (token.map { [("authorization", $0)] } ?? []),
            time: UnixTime(seconds: seconds))
    }

    static func subject(_ decision: Decision) -> String? {
        decision.headersToSet.first { $0.name == "x-subject" }?.value
    }

    struct Setup {
        let authorizer: Authorizer
        let authenticator: TableAuthenticator
        let caching: CachingAuthorizer

        func decide(_ request: AuthzRequest) async throws -> Decision {
            try await self.caching.decide(request, caller: CallerFacts())
        }
    }

    static func setup(
        tree: DecisionTree? = nil, tables: [[String: Identity]] = [["alice": alice, "bob": bob]],
        settings: DecisionCacheSettings = DecisionCacheSettings()
    ) throws -> Setup {
        let authenticator = TableAuthenticator(tables: tables)
        let authorizer = Authorizer()
        authorizer.activate(try tree ?? Self.tree(), authenticator: authenticator)
        let caching = CachingAuthorizer(
            authorizer: authorizer, settings: settings,
            keyGeneration: { authenticator.keyGeneration.load(ordering: .relaxed) })
        return Setup(authorizer: authorizer, authenticator: authenticator, caching: caching)
    }

    @Test("An identical request is a hit: same decision, no verification, metadata says cache=hit")
    func hit() async throws {
        let setup = try Self.setup()
        let first = try await setup.decide(Self.request())
        let second = try await setup.decide(Self.request(at: 101))
        #expect(first.cache == .miss && second.cache == .hit)
        #expect(second.dynamicMetadata(decisionID: "d").contains { $0 == ("cache", "hit") })
        var uncached = second
        uncached.cache = .miss
        #expect(uncached == first)
        #expect(setup.authenticator.verifications == 1)
        #expect(setup.caching.statistics.hits == 1 && setup.caching.statistics.misses == 1)
        #expect(setup.caching.statistics.entries == 1 && setup.caching.statistics.bytes > 0)
    }

    @Test("Another token is another entry: one caller's decision is never served to another")
    func acrossIdentities() async throws {
        let setup = try Self.setup()
        let alice = try await setup.decide(Self.request(token: "alice"))
        let bob = try await setup.decide(Self.request(token: "bob"))
        let nobody = try await setup.decide(Self.request(token: nil))
        #expect(Self.subject(alice) == "alice" && Self.subject(bob) == "bob")
        #expect(bob.cache == .miss && nobody.cache == .miss && !nobody.isAllowed)
        #expect(setup.authenticator.verifications == 3)
    }

    @Test("An attribute the policy reads splits entries; one it does not read shares them")
    func attributes() async throws {
        let setup = try Self.setup()
        #expect(try await setup.decide(Self.request("/a/1")).cache == .miss)
        let otherPath = try await setup.decide(Self.request("/a/2"))
        #expect(otherPath.cache == .miss && otherPath.headersToSet.contains { $0.value == "/a/2" })
        let unreadHeader = try await setup.decide(Self.request("/a/1", headers: [("x-unrelated", "1")]))
        #expect(unreadHeader.cache == .hit)
    }

    @Test("An entry is never served at or after the token's exp, whatever the TTL")
    func neverAfterExpiry() async throws {
        let setup = try Self.setup(settings: DecisionCacheSettings(timeToLive: .seconds(3_600)))
        #expect(try await setup.decide(Self.request(at: 999)).isAllowed)
        #expect(try await setup.decide(Self.request(at: 999)).cache == .hit)
        let atExpiry = try await setup.decide(Self.request(at: 1_000))
        #expect(atExpiry.cache == .miss && !atExpiry.isAllowed && atExpiry.reasonDetail?.code == "token_expired")
    }

    @Test("An entry is never served after its TTL")
    func neverAfterTimeToLive() async throws {
        let setup = try Self.setup(settings: DecisionCacheSettings(timeToLive: .seconds(10)))
        #expect(try await setup.decide(Self.request(token: "bob", at: 100)).cache == .miss)
        #expect(try await setup.decide(Self.request(token: "bob", at: 109)).cache == .hit)
        #expect(try await setup.decide(Self.request(token: "bob", at: 110)).cache == .miss)
    }

    @Test("A policy's own TTL overrides the server's")
    func policyTimeToLive() async throws {
        let tree = try Self.tree(cache: PolicyCacheSettings(timeToLive: .seconds(2)))
        let setup = try Self.setup(tree: tree, settings: DecisionCacheSettings(timeToLive: .seconds(60)))
        #expect(try await setup.decide(Self.request(token: "bob", at: 100)).cache == .miss)
        #expect(try await setup.decide(Self.request(token: "bob", at: 101)).cache == .hit)
        #expect(try await setup.decide(Self.request(token: "bob", at: 102)).cache == .miss)
    }

    @Test("A reload is a new generation: nothing decided under the old revision is served")
    func acrossReload() async throws {
        let setup = try Self.setup()
        #expect(try await setup.decide(Self.request()).policyRevision == "r1")
        setup.authorizer.activate(
            try Self.tree(revision: "r2", header: "v2-${subject}"), authenticator: setup.authenticator)
        let after = try await setup.decide(Self.request())
        #expect(after.cache == .miss && after.policyRevision == "r2" && Self.subject(after) == "v2-alice")
    }

    @Test("A key rotation is a new generation: a token that verified before is judged again")
    func acrossKeyRotation() async throws {
        // After the rotation "alice" no longer verifies (her key is gone).
        let setup = try Self.setup(tables: [["alice": Self.alice], [:]])
        #expect(try await setup.decide(Self.request()).isAllowed)
        setup.authenticator.keyGeneration.add(1, ordering: .relaxed)
        let after = try await setup.decide(Self.request())
        #expect(after.cache == .miss && !after.isAllowed && after.reason == .invalidToken)
    }

    @Test("A bad token's denial is cached only for the negative TTL: a flood costs one verification")
    func negativeCaching() async throws {
        let setup = try Self.setup(settings: DecisionCacheSettings(negativeTimeToLive: .seconds(5)))
        for second in Int64(100)..<Int64(105) {
            let decision = try await setup.decide(Self.request(token: "garbage", at: second))
            #expect(!decision.isAllowed && decision.reason == .invalidToken)
        }
        #expect(setup.authenticator.verifications == 1)
        #expect(try await setup.decide(Self.request(token: "garbage", at: 105)).cache == .miss)
        #expect(setup.authenticator.verifications == 2)
    }

    @Test("Concurrent identical misses verify once")
    func coalescing() async throws {
        let setup = try Self.setup()
        let decisions = try await withThrowingTaskGroup(of: Decision.self) { group in
            for _ in 0..<32 { group.addTask { try await setup.decide(Self.request(token: "bob")) } }
            return try await group.reduce(into: [Decision]()) { $0.append($1) }
        }
        #expect(decisions.allSatisfy { $0.isAllowed && Self.subject($0) == "bob" })
        #expect(decisions.filter { $0.cache == .miss }.count == 1)
        #expect(setup.authenticator.verifications == 1)
    }

    @Test("Caching off, a policy opting out, or ${request.id} in a header: every decision is computed")
    func bypass() async throws {
        let off = try Self.setup(settings: .disabled)
        let optedOut = try Self.setup(tree: try Self.tree(cache: PolicyCacheSettings(isEnabled: false)))
        let perRequest = try Self.setup(tree: try Self.tree(header: "${request.id}"))
        for setup in [off, optedOut, perRequest] {
            for id in ["one", "two"] {
                let decision = try await setup.decide(Self.request(headers: [("x-request-id", id)]))
                #expect(decision.cache == .bypass && decision.isAllowed)
            }
            #expect(setup.authenticator.verifications == 2)
            #expect(setup.caching.statistics.entries == 0)
        }
        #expect(
            Self.subject(try await perRequest.decide(Self.request(headers: [("x-request-id", "three")]))) == "three")
    }

    @Test("Before any policy is active, and for refused paths, nothing is cached")
    func notCachedEarlyDenials() async throws {
        let caching = CachingAuthorizer(authorizer: Authorizer())
        #expect(try await caching.decide(Self.request(), caller: CallerFacts()).reason == .policyNotLoaded)
        let setup = try Self.setup()
        #expect(try await setup.decide(Self.request("/a/..%2F..")).reason == .ambiguousPath)
        #expect(setup.caching.statistics.entries == 0 && setup.authenticator.verifications == 0)
    }
}
