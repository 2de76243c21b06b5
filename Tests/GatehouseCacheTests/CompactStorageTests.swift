import GatehouseCache
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The cache's compact storage: the open-addressing shard and the shared decision parts.
@Suite("Decision cache: compact storage")
struct CompactStorageTests {
    @Test("Inserts, replacements, expiries and removals agree with a dictionary, across table growth")
    func shardAgreesWithModel() {
        var random = SplitMix64(seed: 1_515)
        let cache = DecisionCache<Int, String>(
            limits: CacheLimits(maximumEntries: 100_000, maximumBytes: 1 << 40, shards: 1))
        var model: [Int: (value: String, expiresAt: Int64)] = [:]
        var now: Int64 = 0
        for step in 0..<40_000 {
            let key = random.below(step < 20_000 ? 5_000 : 300)
            if random.chance(55) {
                let expiresAt = now + Int64(1 + random.below(400))
                cache.insert("v\(step)", for: key, cost: 1, expiresAt: expiresAt)
                model[key] = ("v\(step)", expiresAt)
            } else {
                let expected: String?
                if let entry = model[key] {
                    expected = now < entry.expiresAt ? entry.value : nil
                    if expected == nil { model[key] = nil }
                } else {
                    expected = nil
                }
                #expect(cache.value(for: key, now: now) == expected, "step \(step), key \(key)")
            }
            now += Int64(random.below(3))
        }
        // Every entry still held is found, and nothing else.
        var held = 0
        for key in 0..<5_000 {
            let expected = model[key].flatMap { now < $0.expiresAt ? $0.value : nil }
            #expect(cache.value(for: key, now: now) == expected)
            if expected != nil { held += 1 }
        }
        #expect(cache.statistics.entries == held)
    }

    @Test("A cached decision gives back exactly the decision stored, and shares its rule's parts")
    func roundTrip() {
        let pool = CachedDecision.Pool()
        var jwt = Decision(
            outcome: .allow, status: 200, reason: .allowed, policy: "civil-registry", rule: "clerks-read",
            headersToSet: [HeaderMutation(name: "x-auth-sub", value: "alice-0123456789abcdef", action: .overwrite)],
            headersToRemove: ["authorization"], subject: "alice-0123456789abcdef", policyRevision: "sha256:abc")
        jwt.caller = AuditedCaller(issuer: "https://idp.gov.example", subject: "alice-0123456789abcdef")
        var peer = Decision(
            outcome: .deny, status: 403, reason: .noMatchingRule, reasonDetail: .pathDotSegment, policy: "mesh",
            shadowMatches: [ShadowMatch(rule: "would-deny", action: .deny)], body: "{\"error\":\"forbidden\"}",
            subject: "spiffe://gov.example/ns/a/sa/b", policyRevision: "r2")
        peer.caller = AuditedCaller(
            spiffeID: "spiffe://gov.example/ns/a/sa/b", xroadClient: "EE/GOV/123", issuer: "https://idp",
            subject: "bob", claims: ["department": "\"audit\""])
        peer.queryParametersToSet = [QueryParameterMutation(name: "tenant", value: "gov")]
        peer.queryParametersToRemove = ["token"]
        let anonymous = Decision(outcome: .deny, status: 401, reason: .missingCredentials, policyRevision: "r3")
        for decision in [jwt, peer, anonymous] {
            #expect(CachedDecision(decision, pool: pool).decision == decision)
            #expect(CachedDecision(decision, pool: nil).decision == decision)
        }
        // Another caller of the same rule: its own subject and header, the same shared parts.
        var other = jwt
        other.subject = "carol-0123456789abcdef"
        other.caller.subject = other.subject
        other.headersToSet[0].value = "carol-0123456789abcdef"
        let first = CachedDecision(jwt, pool: pool)
        let second = CachedDecision(other, pool: pool)
        #expect(second.decision == other)
        #expect(second.sharesParts(with: first))
        #expect(!CachedDecision(other, pool: nil).sharesParts(with: first))
        #expect(!CachedDecision(peer, pool: pool).sharesParts(with: first))
        #expect(other.cacheCost < peer.cacheCost, "a bare JWT caller keeps no caller facts of its own")
    }
}
