import GatehouseCore
import Prometheus
import Synchronization

/// Per remote key set (label `key_set`: the configured JWKS URL or issuer, so a bounded set):
/// age since the last good fetch, failed fetches, key count and whether it has loaded, set from
/// ``KeySetStatus`` values at scrape time.
///
/// A key set no longer in the statuses (the revision that named it was replaced) loses its series.
final class KeySetMetrics: Sendable {
    /// One key set's series.
    private struct Series {
        var fetchErrors: SnapshotCounter
        var keys: Gauge
        var loaded: Gauge
        /// Only once the set was fetched: an age of a set never fetched would be a made-up number.
        var age: Gauge?
    }

    private let registry: PrometheusCollectorRegistry
    private let series = Mutex<[String: Series]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Sets every key set's series from `statuses`, as of `now`.
    func update(_ statuses: [KeySetStatus], now: UnixTime) {
        self.series.withLock { series in
            var seen = Set<String>()
            for status in statuses {
                seen.insert(status.location)
                var entry = series[status.location] ?? self.makeSeries(status.location)
                entry.fetchErrors.update(to: status.fetchErrors)
                entry.keys.set(to: Double(status.keyCount))
                entry.loaded.set(to: status.isLoaded ? 1 : 0)
                if let fetchedAt = status.fetchedAt {
                    let age = self.age(of: status.location, entry.age)
                    age.set(to: max(0, Double(now.nanosecondsSinceEpoch - fetchedAt.nanosecondsSinceEpoch) / 1e9))
                    entry.age = age
                } else if let age = entry.age {
                    self.registry.unregisterGauge(age)
                    entry.age = nil
                }
                series[status.location] = entry
            }
            for (location, gone) in series where !seen.contains(location) {
                self.registry.unregisterCounter(gone.fetchErrors.counter)
                self.registry.unregisterGauge(gone.keys)
                self.registry.unregisterGauge(gone.loaded)
                if let age = gone.age { self.registry.unregisterGauge(age) }
                series[location] = nil
            }
        }
    }

    private func makeSeries(_ location: String) -> Series {
        let labels = [("key_set", location)]
        return Series(
            fetchErrors: SnapshotCounter(
                self.registry.makeCounter(
                    descriptor: MetricNameDescriptor(MetricNames.keySetFetchErrors), labels: labels)),
            keys: self.registry.makeGauge(descriptor: MetricNameDescriptor(MetricNames.keySetKeys), labels: labels),
            loaded: self.registry.makeGauge(
                descriptor: MetricNameDescriptor(MetricNames.keySetLoaded), labels: labels),
            age: nil)
    }

    private func age(of location: String, _ existing: Gauge?) -> Gauge {
        existing
            ?? self.registry.makeGauge(
                descriptor: MetricNameDescriptor(MetricNames.keySetAge), labels: [("key_set", location)])
    }
}
