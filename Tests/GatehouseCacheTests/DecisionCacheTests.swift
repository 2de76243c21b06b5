import GatehouseCache
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@Suite("Decision cache")
struct DecisionCacheTests {
    /// A counter tasks can share.
    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { self.count.load(ordering: .relaxed) }
        func increment() { self.count.add(1, ordering: .relaxed) }
    }

    static func cache(entries: Int = 100, bytes: Int = 1 << 20, shards: Int = 1) -> DecisionCache<Int, String> {
        DecisionCache(limits: CacheLimits(maximumEntries: entries, maximumBytes: bytes, shards: shards))
    }

    @Test("A value is served before its deadline and never at or after it")
    func deadlines() {
        let cache = Self.cache()
        cache.insert("allow", for: 1, cost: 10, expiresAt: 1_000)
        #expect(cache.value(for: 1, now: 999) == "allow")
        #expect(cache.value(for: 1, now: 1_000) == nil)
        #expect(cache.value(for: 1, now: 999) == nil, "an expired entry is removed, not revived")
        let statistics = cache.statistics
        #expect(statistics.hits == 1 && statistics.misses == 2 && statistics.expirations == 1)
        #expect(statistics.entries == 0 && statistics.bytes == 0)
    }

    @Test("The entry bound holds, eviction is counted", arguments: [1, 4, 16])
    func entryBound(shards: Int) {
        let cache = Self.cache(entries: 64, shards: shards)
        for key in 0..<1_000 { cache.insert("v\(key)", for: key, cost: 1, expiresAt: .max) }
        let statistics = cache.statistics
        #expect(statistics.entries <= 64 + shards, "each shard holds its share (rounded up)")
        #expect(statistics.evictions == 1_000 - statistics.entries)
        #expect(cache.value(for: 999, now: 0) == "v999", "the newest entry is kept")
    }

    @Test("The byte bound holds; a value larger than a shard's budget is not stored")
    func byteBound() {
        let cache = Self.cache(entries: 1_000, bytes: 1_000)
        for key in 0..<100 { cache.insert("v", for: key, cost: 100, expiresAt: .max) }
        #expect(cache.statistics.bytes <= 1_000)
        #expect(cache.statistics.entries == 10)
        cache.insert("huge", for: -1, cost: 5_000, expiresAt: .max)
        #expect(cache.value(for: -1, now: 0) == nil)
        #expect(cache.statistics.bytes <= 1_000)
    }

    @Test("Replacing a key updates its value and its cost")
    func replace() {
        let cache = Self.cache()
        cache.insert("a", for: 1, cost: 10, expiresAt: .max)
        cache.insert("b", for: 1, cost: 30, expiresAt: .max)
        #expect(cache.value(for: 1, now: 0) == "b")
        #expect(cache.statistics.entries == 1 && cache.statistics.bytes == 30)
    }

    @Test("CLOCK eviction spares an entry read since the last sweep")
    func secondChance() {
        let cache = Self.cache(entries: 3)
        for key in 1...3 { cache.insert("v\(key)", for: key, cost: 1, expiresAt: .max) }
        _ = cache.value(for: 1, now: 0)  // 1 is referenced; 2 is the oldest unreferenced
        cache.insert("v4", for: 4, cost: 1, expiresAt: .max)
        #expect(cache.value(for: 1, now: 0) == "v1")
        #expect(cache.value(for: 2, now: 0) == nil)
        #expect(cache.value(for: 3, now: 0) == "v3" && cache.value(for: 4, now: 0) == "v4")
    }

    @Test("removeAll empties every shard")
    func removeAll() {
        let cache = Self.cache(shards: 8)
        for key in 0..<50 { cache.insert("v", for: key, cost: 1, expiresAt: .max) }
        cache.removeAll()
        #expect(cache.statistics.entries == 0 && cache.statistics.bytes == 0)
        #expect((0..<50).allSatisfy { cache.value(for: $0, now: 0) == nil })
    }

    @Test("Concurrent misses for one key compute once; the rest wait for it or hit")
    func coalescing() async throws {
        let cache = Self.cache(shards: 4)
        let computations = Counter()
        let arrived = Counter()
        let callers = 50
        let outcomes = try await withThrowingTaskGroup(of: CacheOutcome<String>?.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    arrived.increment()
                    return try await cache.value(for: 7, now: 0) {
                        computations.increment()
                        // Hold the computation until every caller has started, so that they overlap.
                        try await yield(until: "all \(callers) callers arrived") { arrived.value >= callers }
                        return CachedComputation("allow", cost: 1, expiresAt: 1_000)
                    }
                }
            }
            return try await group.reduce(into: [CacheOutcome<String>]()) { if let outcome = $1 { $0.append(outcome) } }
        }
        #expect(computations.value == 1)
        #expect(outcomes.count == callers && outcomes.allSatisfy { $0.value == "allow" })
        #expect(outcomes.filter { if case .computed = $0 { return true } else { return false } }.count == 1)
        #expect(cache.statistics.coalesced + cache.statistics.hits == callers - 1)
    }

    @Test("A computation whose deadline has passed is returned but not stored; nil stores nothing")
    func unstoredComputations() async throws {
        let cache = Self.cache()
        let stale = try await cache.value(for: 1, now: 500) { CachedComputation("old", cost: 1, expiresAt: 500) }
        #expect(stale?.value == "old" && cache.value(for: 1, now: 0) == nil)
        let nothing = try await cache.value(for: 2, now: 0) { nil }
        #expect(nothing == nil && cache.statistics.entries == 0)
    }

    @Test("A failed computation reaches every waiter, stores nothing and does not block the next try")
    func failedComputation() async throws {
        struct Failure: Error {}
        let cache = Self.cache()
        await #expect(throws: Failure.self) {
            _ = try await cache.value(for: 3, now: 0) { throw Failure() }
        }
        #expect(cache.statistics.entries == 0)
        let retried = try await cache.value(for: 3, now: 0) { CachedComputation("ok", cost: 1, expiresAt: 10) }
        #expect(retried?.value == "ok" && cache.value(for: 3, now: 1) == "ok")
    }

    @Test("A waiter whose computing caller was cancelled computes for itself instead of failing")
    func cancelledOwner() async throws {
        let cache = Self.cache()
        let started = Counter()
        let owner = Task {
            try await cache.value(for: 9, now: 0) {
                started.increment()
                try await Task.sleep(for: .seconds(60))
                return CachedComputation("owner", cost: 1, expiresAt: 10)
            }
        }
        try await yield(until: "the owner started computing") { started.value > 0 }
        let waiter = Task {
            try await cache.value(for: 9, now: 0) { CachedComputation("waiter", cost: 1, expiresAt: 10) }
        }
        try await yield(until: "the waiter joined the owner's computation") { cache.statistics.coalesced > 0 }
        owner.cancel()
        await #expect(throws: CancellationError.self) { _ = try await owner.value }
        #expect(try await waiter.value?.value == "waiter")
        #expect(cache.value(for: 9, now: 1) == "waiter")
    }

    @Test("Hammered from many tasks the bounds and counters stay consistent")
    func concurrentHammer() async {
        let cache = Self.cache(entries: 256, bytes: 4_096, shards: 16)
        await withDiscardingTaskGroup { group in
            for worker in 0..<8 {
                group.addTask {
                    for step in 0..<5_000 {
                        let key = (step * 31 + worker * 7) % 1_000
                        if cache.value(for: key, now: Int64(step)) == nil {
                            cache.insert("v\(key)", for: key, cost: 8, expiresAt: Int64(step + 500))
                        }
                        if step % 1_000 == 999, worker == 0 { cache.removeAll() }
                    }
                }
            }
        }
        let statistics = cache.statistics
        #expect(statistics.entries <= 256 && statistics.bytes <= 4_096)
        #expect(statistics.bytes == statistics.entries * 8)
        #expect(statistics.hits + statistics.misses == 8 * 5_000)
    }
}
