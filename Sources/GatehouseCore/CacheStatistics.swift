/// What a ``DecisionCache`` has done, for metrics and the status API.
package struct CacheStatistics: Sendable, Hashable {
    /// Lookups answered from the cache.
    package var hits: Int = 0
    /// Lookups that found nothing usable (absent or expired).
    package var misses: Int = 0
    /// Entries removed to make room.
    package var evictions: Int = 0
    /// Entries found past their deadline and removed.
    package var expirations: Int = 0
    /// Misses that waited for an identical computation already under way instead of computing again.
    package var coalesced: Int = 0
    /// Entries now held.
    package var entries: Int = 0
    /// Bytes now held, as the entries' costs add up.
    package var bytes: Int = 0

    package init() {}
}
