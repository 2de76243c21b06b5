import CheckFixtures
import GatehouseCache
import GatehouseCore
import MemoryProbe

/// Measures the memory a full decision cache keeps: `swift run -c release CacheMemory [ENTRIES]`
/// (default 1,000,000).
///
/// Each entry is what the RS256 fixture's policy decides for a distinct caller: an allow whose
/// `x-auth-sub` header and subject hold a 36-character subject (a UUID, as many identity
/// providers issue), the `authorization` header to strip, policy, rule and revision names —
/// under a 32-byte key. Prints the resident set and heap in use before and after filling, per
/// entry, and the byte total the cache charges against `maxBytes`.
@main
enum CacheMemory {
    static func main() throws {
        let count = CommandLine.arguments.dropFirst().compactMap { Int($0) }.first ?? 1_000_000
        let fixture = try CheckFixture()
        guard let tree = fixture.authorizer.tree else { fatalError("the fixture activates a tree") }
        let start = Snapshot("start")
        // The cache `CachingAuthorizer` keeps: decisions stored compactly, their per-rule parts shared.
        var cache: CompactDecisionCache? = CompactDecisionCache(
            limits: CacheLimits(maximumEntries: count, maximumBytes: Int.max / 2))
        for number in 0..<count {
            let subject = Self.uuid(number)
            let identity = Identity(
                token: VerifiedToken(
                    issuer: "https://issuer.bench.local", subject: subject,
                    claims: .object(["sub": .string(subject), "role": .string("reader")])))
            let decision = tree.evaluate(fixture.authzRequest, identity: identity)
            precondition(decision.isAllowed)
            var key = DecisionKeyHasher()
            key.add(UInt64(number))
            cache?.insert(decision, for: key.finalize(), cost: decision.cacheCost, expiresAt: .max)
        }
        let statistics = cache!.statistics
        let filled = Snapshot("\(statistics.entries) entries")
        cache = nil
        let released = Snapshot("cache released")
        print("")
        print("entries: \(statistics.entries), charged bytes: \(megabytes(statistics.bytes))")
        print("cache (RSS, filled − start):        \(megabytes(filled.rss - start.rss))")
        print("cache (heap in use, filled − start): \(megabytes(filled.heap - start.heap))")
        print("per entry (heap):                    \((filled.heap - start.heap) / max(statistics.entries, 1)) bytes")
        print("heap after release − start:          \(megabytes(released.heap - start.heap))")
    }

    /// A UUID-shaped subject unique to `number`.
    static func uuid(_ number: Int) -> String {
        let hex = String(UInt64(number) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let digits = Array(padded + padded)
        return String(digits[0..<8]) + "-" + String(digits[8..<12]) + "-" + String(digits[12..<16]) + "-"
            + String(digits[16..<20]) + "-" + String(digits[20..<32])
    }
}
