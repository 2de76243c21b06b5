package import GatehouseCore
import Synchronization

/// A bounded, sharded cache of computed values with deadlines, with request coalescing.
///
/// Built for whole authorization decisions on the hot path: lookups take one shard's lock
/// for a dictionary probe and set one bit (CLOCK eviction moves nothing on a hit); counters
/// are atomics. Bounds hold per shard (entries and bytes, each limit divided evenly), so a
/// full cache evicts within the shard that grows. An entry is never returned at or after its
/// deadline; the caller chooses the deadline (a TTL, a token's `exp`, a certificate's
/// `notAfter`, whichever is first) and clears the cache when what the values were computed
/// from changes.
///
/// ```swift
/// let cache = DecisionCache<CacheKey, Decision>(limits: CacheLimits(maximumEntries: 100_000))
/// let outcome = await cache.value(for: key, now: now) {
///     let decision = await decide(request)
///     return CachedComputation(decision, cost: 512, expiresAt: now + ttl)
/// }
/// ```
package final class DecisionCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One shard: its entries and the computations under way for keys that hash to it.
    private final class Shard: Sendable {
        let entries: ShardLock<CacheShard<Key, Value>>
        let inFlight = ShardLock<[Key: CacheFlight<Value>]>([:])

        init(maximumEntries: Int, maximumBytes: Int) {
            self.entries = ShardLock(CacheShard(maximumEntries: maximumEntries, maximumBytes: maximumBytes))
        }
    }

    /// After a miss: a value stored meanwhile, the computation to wait for, or the
    /// computation to run.
    private enum CoalescingStep {
        case hit(Value)
        case join(CacheFlight<Value>)
        case compute(CacheFlight<Value>)
    }

    private let shards: [Shard]
    private let shardShift: UInt
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)
    private let evictions = Atomic<Int>(0)
    private let expirations = Atomic<Int>(0)
    private let coalesced = Atomic<Int>(0)
    /// The bounds it was made with.
    package let limits: CacheLimits

    package init(limits: CacheLimits = CacheLimits()) {
        self.limits = limits
        let perShardEntries = max(1, (limits.maximumEntries + limits.shards - 1) / limits.shards)
        let perShardBytes = max(1, (limits.maximumBytes + limits.shards - 1) / limits.shards)
        self.shards = (0..<limits.shards).map { _ in
            Shard(maximumEntries: perShardEntries, maximumBytes: perShardBytes)
        }
        // The shard comes from the hash's top bits; dictionaries inside use the low ones.
        self.shardShift = UInt(UInt.bitWidth - limits.shards.trailingZeroBitCount)
    }

    /// The key's shard, and its hash for the shard's table (hashed once per call).
    private func shard(for key: Key) -> (shard: Shard, hash: Int) {
        let hash = key.hashValue
        guard self.shards.count > 1 else { return (self.shards[0], hash) }
        return (self.shards[Int(UInt(bitPattern: hash) >> self.shardShift)], hash)
    }

    /// The value for `key` if one is held and `now` is before its deadline.
    ///
    /// - Parameter now: Nanoseconds on the same clock as the deadlines.
    package func value(for key: Key, now: Int64) -> Value? {
        let (shard, hash) = self.shard(for: key)
        switch shard.entries.withLock({ $0.lookup(key, hash: hash, now: now) }) {
        case .hit(let value):
            self.hits.add(1, ordering: .relaxed)
            return value
        case .expired:
            self.expirations.add(1, ordering: .relaxed)
            self.misses.add(1, ordering: .relaxed)
            return nil
        case .absent:
            self.misses.add(1, ordering: .relaxed)
            return nil
        }
    }

    /// Stores `value` until `expiresAt`, evicting other entries of its shard as needed.
    package func insert(_ value: Value, for key: Key, cost: Int, expiresAt: Int64) {
        let (shard, hash) = self.shard(for: key)
        let evicted = shard.entries.withLock {
            $0.insert(value, for: key, hash: hash, cost: cost, expiresAt: expiresAt)
        }
        if evicted > 0 { self.evictions.add(evicted, ordering: .relaxed) }
    }

    /// The value for `key`: from the cache, or computed by `compute` and stored. Concurrent
    /// misses for one key run `compute` once; the others wait for its result.
    ///
    /// - Parameter compute: Returns the value with its cost and deadline; a deadline at or
    ///   before `now` is returned but not stored. `nil` stores nothing and yields `nil`. What it
    ///   throws is rethrown to every caller waiting for it, and nothing is stored.
    package func value(
        for key: Key,
        now: Int64,
        compute: @escaping @Sendable () async throws -> CachedComputation<Value>?
    ) async throws -> CacheOutcome<Value>? {
        if let value = self.value(for: key, now: now) { return .hit(value) }
        return try await self.value(afterMissFor: key, now: now, compute: compute)
    }

    /// Like ``value(for:now:compute:)`` for a caller whose own lookup (``value(for:now:)``)
    /// just missed: the miss is counted once, and a value stored meanwhile is still found.
    package func value(
        afterMissFor key: Key,
        now: Int64,
        compute: @escaping @Sendable () async throws -> CachedComputation<Value>?
    ) async throws -> CacheOutcome<Value>? {
        let (shard, hash) = self.shard(for: key)
        let step: CoalescingStep = shard.inFlight.withLock { running in
            if let existing = running[key] { return .join(existing) }
            // An owner stores its value before it leaves `running`, so a caller that missed just
            // before the store finds the value here instead of computing it again.
            if case .hit(let value) = shard.entries.withLock({ $0.lookup(key, hash: hash, now: now) }) {
                return .hit(value)
            }
            let flight = CacheFlight<Value>()
            running[key] = flight
            return .compute(flight)
        }
        let flight: CacheFlight<Value>
        switch step {
        case .hit(let value):
            self.hits.add(1, ordering: .relaxed)
            return .hit(value)
        case .join(let running):
            self.coalesced.add(1, ordering: .relaxed)
            do {
                return try await running.wait().map { .joined($0.value) }
            } catch is CancellationError where !Task.isCancelled {
                // The computing caller was cancelled (its client went away), this one was not:
                // compute again rather than fail for someone else's cancellation.
                return try await self.value(afterMissFor: key, now: now, compute: compute)
            }
        case .compute(let owned):
            flight = owned
        }
        let computed: CachedComputation<Value>?
        do {
            computed = try await compute()
        } catch {
            shard.inFlight.withLock { $0[key] = nil }
            flight.finish(.failure(error))
            throw error
        }
        if let computed, computed.expiresAt > now {
            self.insert(computed.value, for: key, cost: computed.cost, expiresAt: computed.expiresAt)
        }
        shard.inFlight.withLock { $0[key] = nil }
        flight.finish(.success(computed))
        return computed.map { .computed($0.value) }
    }

    /// Removes every entry: for a policy or key-set change that makes every value stale.
    package func removeAll() {
        for shard in self.shards { shard.entries.withLock { $0.removeAll() } }
    }

    /// Counters since creation, and the current size.
    package var statistics: CacheStatistics {
        var statistics = CacheStatistics()
        statistics.hits = self.hits.load(ordering: .relaxed)
        statistics.misses = self.misses.load(ordering: .relaxed)
        statistics.evictions = self.evictions.load(ordering: .relaxed)
        statistics.expirations = self.expirations.load(ordering: .relaxed)
        statistics.coalesced = self.coalesced.load(ordering: .relaxed)
        for shard in self.shards {
            shard.entries.withLock { entries in
                statistics.entries += entries.count
                statistics.bytes += entries.bytes
            }
        }
        return statistics
    }
}

/// A value computed on a miss, with what it costs to keep and until when it may be served.
package struct CachedComputation<Value: Sendable>: Sendable {
    package var value: Value
    /// Bytes charged against the cache's byte limit.
    package var cost: Int
    /// The deadline in nanoseconds on the caller's clock; the entry is never served at or after it.
    package var expiresAt: Int64

    package init(_ value: Value, cost: Int, expiresAt: Int64) {
        self.value = value
        self.cost = cost
        self.expiresAt = expiresAt
    }
}

/// Where a value came from.
package enum CacheOutcome<Value: Sendable>: Sendable {
    /// From the cache.
    case hit(Value)
    /// Computed by this caller (and stored unless already expired).
    case computed(Value)
    /// Computed by a concurrent caller with the same key, which this one waited for.
    case joined(Value)

    /// The value, wherever it came from.
    package var value: Value {
        switch self {
        case .hit(let value), .computed(let value), .joined(let value): return value
        }
    }

    /// Whether it came from the cache.
    package var isHit: Bool {
        if case .hit = self { return true }
        return false
    }
}
