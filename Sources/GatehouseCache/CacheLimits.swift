/// How large a ``DecisionCache`` may grow.
package struct CacheLimits: Sendable, Hashable {
    /// The most entries over all shards.
    package var maximumEntries: Int
    /// The most bytes over all shards, as the entries' costs add up.
    package var maximumBytes: Int
    /// The number of independently locked shards (rounded up to a power of two).
    package var shards: Int

    /// - Parameters:
    ///   - maximumEntries: Default 100,000.
    ///   - maximumBytes: Default 64 MiB.
    ///   - shards: Default 16: enough that two cores rarely meet on one lock.
    package init(maximumEntries: Int = 100_000, maximumBytes: Int = 64 << 20, shards: Int = 16) {
        self.maximumEntries = max(1, maximumEntries)
        self.maximumBytes = max(1, maximumBytes)
        var count = 1
        while count < max(1, shards) { count <<= 1 }
        self.shards = count
    }
}
