import GatehouseCache
import Yams

extension ConfigFileReader {
    /// The `cache` section: `enabled`, `maxEntries`, `maxBytes`, `ttl`, `negativeTtl`, `shards`.
    mutating func readCache(_ node: Node, into cache: inout DecisionCacheSettings) {
        let keys = ["enabled", "maxEntries", "maxBytes", "ttl", "negativeTtl", "shards"]
        guard let entries = self.mapping(node, allowed: keys, what: "cache") else { return }
        if let node = entries["enabled"] {
            if let enabled = node.bool {
                cache.isEnabled = enabled
            } else {
                self.problems.append("\(self.at(node))cache.enabled must be true or false.")
            }
        }
        let limits = cache.limits
        cache.limits = CacheLimits(
            maximumEntries: entries["maxEntries"].flatMap { self.integer($0, "cache.maxEntries", 1...100_000_000) }
                ?? limits.maximumEntries,
            maximumBytes: entries["maxBytes"].flatMap { self.integer($0, "cache.maxBytes", 4096...(64 << 30)) }
                ?? limits.maximumBytes,
            shards: entries["shards"].flatMap { self.integer($0, "cache.shards", 1...1024) } ?? limits.shards)
        if let node = entries["ttl"], let value = self.duration(node, "cache.ttl") {
            if value >= .seconds(1) {
                cache.timeToLive = value
            } else {
                self.problems.append(
                    "\(self.at(node))cache.ttl must be at least 1s; to turn caching off write 'enabled: false'.")
            }
        }
        if let node = entries["negativeTtl"], let value = self.duration(node, "cache.negativeTtl") {
            cache.negativeTimeToLive = value
        }
    }
}
