import GatehouseCache
import GatehouseCore
import Testing

/// A cached decision carries the caller its record names, so a hit is recorded as the miss was.
@Suite("Caching authorizer: the audited caller", .bug(id: "13"))
struct CachedCallerTests {
    @Test("A hit carries the caller of the miss that filled it; another token's entry names its own caller")
    func callerOnHit() async throws {
        let setup = try CachingAuthorizerTests.setup()
        let miss = try await setup.decide(CachingAuthorizerTests.request(token: "alice"))
        let hit = try await setup.decide(CachingAuthorizerTests.request(token: "alice", at: 101))
        let bob = try await setup.decide(CachingAuthorizerTests.request(token: "bob"))
        #expect(hit.cache == .hit)
        #expect(miss.caller == AuditedCaller(issuer: "https://idp.example", subject: "alice"))
        #expect(hit.caller == miss.caller)
        #expect(bob.caller.subject == "bob")
    }

    @Test("What the caller takes counts toward the cache's byte bound")
    func callerCost() {
        var decision = Decision(outcome: .allow, status: 200, reason: .allowed)
        let bare = decision.cacheCost
        decision.caller = AuditedCaller(
            issuer: "https://idp.example/realms/government", subject: "a-subject-longer-than-15-bytes",
            claims: ["department": "\"civil-registry-east\""])
        #expect(decision.cacheCost > bare + 100)
    }
}
