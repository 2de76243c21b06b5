package import GatehouseCore

/// The decision cache as ``CachingAuthorizer`` uses it: decisions in, decisions out, each kept
/// as a ``CachedDecision`` whose per-rule parts are shared between entries.
package final class CompactDecisionCache: Sendable {
    private let cache: DecisionCache<DecisionKey, CachedDecision>
    private let pool = CachedDecision.Pool()

    package init(limits: CacheLimits) {
        self.cache = DecisionCache(limits: limits)
    }

    /// The bounds it was made with.
    package var limits: CacheLimits { self.cache.limits }

    /// Counters since creation, and the current size.
    package var statistics: CacheStatistics { self.cache.statistics }

    /// The decision for `key` if one is held and `now` is before its deadline.
    package func value(for key: DecisionKey, now: Int64) -> Decision? {
        self.cache.value(for: key, now: now)?.decision
    }

    /// Stores `decision` until `expiresAt`.
    ///
    /// - Parameter cost: Bytes charged against the byte bound (``Decision/cacheCost``).
    package func insert(_ decision: Decision, for key: DecisionKey, cost: Int, expiresAt: Int64) {
        self.cache.insert(CachedDecision(decision, pool: self.pool), for: key, cost: cost, expiresAt: expiresAt)
    }

    /// Like ``DecisionCache/value(afterMissFor:now:compute:)``, for decisions.
    package func value(
        afterMissFor key: DecisionKey,
        now: Int64,
        compute: @escaping @Sendable () async throws -> CachedComputation<Decision>?
    ) async throws -> CacheOutcome<Decision>? {
        let pool = self.pool
        let outcome = try await self.cache.value(afterMissFor: key, now: now) {
            try await compute().map { computed in
                CachedComputation(
                    CachedDecision(computed.value, pool: pool), cost: computed.cost, expiresAt: computed.expiresAt)
            }
        }
        switch outcome {
        case .hit(let cached): return .hit(cached.decision)
        case .computed(let cached): return .computed(cached.decision)
        case .joined(let cached): return .joined(cached.decision)
        case nil: return nil
        }
    }

    /// Removes every entry and forgets the shared parts.
    package func removeAll() {
        self.cache.removeAll()
        self.pool.removeAll()
    }
}
