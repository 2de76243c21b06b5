import GatehouseCache
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

/// Run under `swift test --sanitize=thread` too: the cache's locks, coalescing and generation
/// changes must be free of data races, and no interleaving may hand one caller another's decision.
@Suite("Caching authorizer under concurrent load")
struct CachingAuthorizerConcurrencyTests {
    @Test("Eight tasks, reloads and key rotations meanwhile: every decision names its own caller")
    func hammer() async throws {
        let subjects = (0..<40).map { "user-\($0)" }
        let table = Dictionary(
            uniqueKeysWithValues: subjects.map { ($0, Identity(token: VerifiedToken(issuer: "i", subject: $0))) })
        let authenticator = TableAuthenticator(table)
        let authorizer = Authorizer()
        let tree = try CachingAuthorizerTests.tree()
        authorizer.activate(tree, authenticator: authenticator)
        let caching = CachingAuthorizer(
            authorizer: authorizer,
            settings: DecisionCacheSettings(limits: CacheLimits(maximumEntries: 64, shards: 8)),
            keyGeneration: { authenticator.keyGeneration.load(ordering: .relaxed) })
        let wrong = DecisionCacheTests.Counter()
        try await withThrowingDiscardingTaskGroup { group in
            for worker in 0..<8 {
                group.addTask {
                    var random = SplitMix64(seed: UInt64(worker))
                    for step in 0..<2_000 {
                        let subject = random.pick(subjects)
                        let path = "/a/\(random.below(3))"
                        let request = CachingAuthorizerTests.request(path, token: subject, at: 100 + Int64(step / 100))
                        let decision = try await caching.decide(request, caller: CallerFacts())
                        let named = CachingAuthorizerTests.subject(decision)
                        let echoedPath = decision.headersToSet.first { $0.name == "x-path" }?.value
                        if named != subject || echoedPath != path { wrong.increment() }
                    }
                }
            }
            group.addTask {
                for round in 0..<50 {
                    if round % 2 == 0 {
                        authorizer.activate(tree, authenticator: authenticator)
                    } else {
                        authenticator.keyGeneration.add(1, ordering: .relaxed)
                    }
                    await Task.yield()
                }
            }
        }
        #expect(wrong.value == 0)
        let statistics = caching.statistics
        #expect(statistics.hits + statistics.misses >= 16_000)
        #expect(statistics.entries <= 64)
    }
}
