import GatehouseCache
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

/// Cached and uncached decisions compared over generated policies and request streams.
///
/// Requests are drawn from a small pool, so identical ones repeat and hit; between them the
/// clock advances past tokens' `exp` and entries' TTLs, keys rotate (a token's identity
/// changes) and policies reload. Every cached decision must equal the one evaluated afresh
/// at that moment with the identity the credentials give at that moment.
@Suite("Decision cache: a cached decision always equals the uncached one")
struct CachePropertyTests {
    static let templates = [
        "${subject}", "${request.path}", "${jwt.claims.role}", "${source.address}", "${context.bb}",
        "${request.method}", "${request.host}", "${source.spiffe}", "fixed",
    ]

    static func tree(_ random: inout SplitMix64, revision: String) throws -> DecisionTree {
        let selectors: [(hosts: [String], context: [(key: String, values: [String])])] = [
            (["a.example"], []), ([], [(key: "bb", values: ["x"])]), ([], []),
        ]
        let policies = try selectors.enumerated().map { index, selector in
            let headers = try (0..<random.below(3)).map { number in
                HeaderTemplate(
                    name: "x-t\(number)", value: try Fixture.template(random.pick(Self.templates)), action: .overwrite)
            }
            let forbidden = DeniedResponseShape(
                status: 403,
                headers: random.chance(50)
                    ? [
                        HeaderTemplate(
                            name: "x-why", value: try Fixture.template("${request.host}"), action: .overwrite)
                    ]
                    : [])
            return try Fixture.policy(
                "p\(index)", hosts: selector.hosts, context: selector.context,
                rules: try RandomPolicy.rules(&random, count: 8 + random.below(12)),
                authentication: AuthenticationSummary(acceptsCredentials: true, acceptsBearerTokens: true),
                allowResponse: AllowResponseShape(headers: headers), forbiddenResponse: forbidden,
                cache: PolicyCacheSettings(timeToLive: random.chance(30) ? .seconds(2) : nil))
        }
        return DecisionTree(revision: revision, policies: policies)
    }

    /// Identities by token for one key generation; some tokens expire during the run.
    static func table(_ random: inout SplitMix64) -> [String: Identity] {
        var table: [String: Identity] = [:]
        for number in 0..<6 {
            var identity = RandomPolicy.identity(&random)
            if identity.token != nil, random.chance(50) {
                identity.token?.expiresAt = UnixTime(seconds: 1_000 + Int64(random.below(400)))
            }
            table["t\(number)"] = identity
        }
        return table
    }

    static func pool(_ random: inout SplitMix64) throws -> [AuthzRequest] {
        try (0..<60).map { _ in
            var request = try RandomPolicy.request(&random)
            if let token = random.pick(["t0", "t1", "t2", "t3", "t4", "t5", "bad", nil] as [String?]) {
                request.headers.add(name: "authorization", value: token)
            }
            if let extensionValue = random.pick(["x", "y", nil] as [String?]) {
                request.contextExtensions["bb"] = extensionValue
            }
            return request
        }
    }

    @Test(
        "3,000 decisions through reloads, rotations and expiries equal fresh evaluation",
        arguments: [
            UInt64(1), 7, 2_024, 0xDEAD_BEEF,
        ])
    func cachedEqualsUncached(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let authenticator = TableAuthenticator(tables: (0..<8).map { _ in Self.table(&random) })
        let authorizer = Authorizer()
        var revision = 0
        authorizer.activate(try Self.tree(&random, revision: "r0"), authenticator: authenticator)
        let caching = CachingAuthorizer(
            authorizer: authorizer,
            settings: DecisionCacheSettings(
                limits: CacheLimits(maximumEntries: 512, shards: 4), timeToLive: .seconds(20),
                negativeTimeToLive: .seconds(3)),
            keyGeneration: { authenticator.keyGeneration.load(ordering: .relaxed) })
        let pool = try Self.pool(&random)
        // Milliseconds: about 0.15 s a step, so a pooled request recurs within the TTL and the
        // run crosses the tokens' expiry times (1,000–1,400 s).
        var clock: Int64 = 900_000
        var mismatches = 0
        for _ in 0..<3_000 {
            clock += Int64(random.below(300))
            switch random.below(1_000) {
            case 0..<6: authenticator.keyGeneration.add(1, ordering: .relaxed)
            case 6..<10:
                revision += 1
                authorizer.activate(try Self.tree(&random, revision: "r\(revision)"), authenticator: authenticator)
            default: break
            }
            var request = random.pick(pool)
            request.time = UnixTime(seconds: clock / 1_000, nanoseconds: Int32(clock % 1_000) * 1_000_000)
            var cached = try await caching.decide(request, caller: CallerFacts())
            cached.cache = .bypass
            let tree = try #require(authorizer.tree)
            let expected = tree.evaluate(request, identity: authenticator.identity(for: request))
            guard cached != expected else { continue }
            mismatches += 1
            Issue.record(
                """
                \(request.method) \(request.rawPath) host '\(request.host)' token \
                \(request.headers["authorization"] ?? []) at \(clock): cached \(cached.outcome) \(cached.reason) \
                \(cached.headersToSet), fresh \(expected.outcome) \(expected.reason) \(expected.headersToSet)
                """)
            if mismatches >= 5 { break }
        }
        let statistics = caching.statistics
        // The stream must exercise the cache, or the comparison proves little.
        #expect(statistics.hits >= 1_000, "hits: \(statistics.hits)")
        #expect(statistics.misses >= 300, "misses: \(statistics.misses)")
    }
}
