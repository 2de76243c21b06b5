import GatehouseCore
import Prometheus

/// The decision cache's counters and gauges, set from a ``CacheStatistics`` snapshot at scrape time.
///
/// The cache counts in its own shards anyway; reading its totals when Prometheus asks costs the
/// check path nothing.
final class CacheMetrics: Sendable {
    private let hits: SnapshotCounter
    private let misses: SnapshotCounter
    private let evictions: SnapshotCounter
    private let expirations: SnapshotCounter
    private let coalesced: SnapshotCounter
    private let entries: Gauge
    private let bytes: Gauge

    init(registry: PrometheusCollectorRegistry) {
        func counter(_ metric: MetricNames.Metric) -> SnapshotCounter {
            SnapshotCounter(registry.makeCounter(descriptor: MetricNameDescriptor(metric)))
        }
        self.hits = counter(MetricNames.cacheHits)
        self.misses = counter(MetricNames.cacheMisses)
        self.evictions = counter(MetricNames.cacheEvictions)
        self.expirations = counter(MetricNames.cacheExpirations)
        self.coalesced = counter(MetricNames.cacheCoalesced)
        self.entries = registry.makeGauge(descriptor: MetricNameDescriptor(MetricNames.cacheEntries))
        self.bytes = registry.makeGauge(descriptor: MetricNameDescriptor(MetricNames.cacheBytes))
    }

    func update(_ statistics: CacheStatistics) {
        self.hits.update(to: statistics.hits)
        self.misses.update(to: statistics.misses)
        self.evictions.update(to: statistics.evictions)
        self.expirations.update(to: statistics.expirations)
        self.coalesced.update(to: statistics.coalesced)
        self.entries.set(to: Double(statistics.entries))
        self.bytes.set(to: Double(statistics.bytes))
    }
}
