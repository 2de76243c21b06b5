import GatehouseCore

extension PolicyParser {
    /// A policy's `cache` section: `enabled` (bool, default true) and `ttl` (duration, 1s to 1h,
    /// default the server's `cache.ttl`).
    mutating func cacheSettings(_ node: YAMLNode) -> PolicyCacheSettings {
        var settings = PolicyCacheSettings()
        guard let entries = self.reader.mapping(node, allowed: ["enabled", "ttl"], what: "cache") else {
            return settings
        }
        if let node = entries["enabled"], let enabled = self.reader.bool(node, what: "cache.enabled") {
            settings.isEnabled = enabled
        }
        if let node = entries["ttl"], let text = self.reader.string(node, what: "cache.ttl") {
            if let ttl = DurationText.parse(text, maximum: .seconds(3600)), ttl >= .seconds(1) {
                settings.timeToLive = ttl
            } else {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "cache.ttl '\(text)' is not a duration from 1s to 1h; write e.g. 30s or 5m (or 'enabled: false' to turn caching off).",
                    at: node.location)
            }
        }
        return settings
    }
}
