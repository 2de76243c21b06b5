package import GatehouseCore
import Metrics
import Prometheus
import Synchronization

/// Gatehouse's Prometheus metrics: one registry, fed by the check path (through ``checks``), by
/// the reload pipeline (``reloadFinished(_:trigger:duration:)``), and at scrape time from the
/// decision cache's and the key sets' own counts (``Sources``), rendered in the text exposition
/// format by ``render()`` for the admin API's `GET /metrics`.
///
/// `deploy/METRICS.md` lists every metric and label.
package final class GatehouseMetrics: Sendable {
    /// What is read when Prometheus scrapes, rather than counted on the way.
    package struct Sources: Sendable {
        /// The decision cache's totals; `nil` when the cache is off (its series are then absent).
        package var cache: @Sendable () -> CacheStatistics?
        /// Every remote key set the active revision uses.
        package var keySets: @Sendable () async -> [KeySetStatus]
        /// The time of day, for key-set ages.
        package var now: @Sendable () -> UnixTime

        package init(
            cache: @escaping @Sendable () -> CacheStatistics? = { nil },
            keySets: @escaping @Sendable () async -> [KeySetStatus] = { [] },
            now: @escaping @Sendable () -> UnixTime
        ) {
            self.cache = cache
            self.keySets = keySets
            self.now = now
        }
    }

    private let registry = PrometheusCollectorRegistry()
    private let sources: Sources
    private let checkMetrics: CheckMetrics
    /// Registered on the first scrape that finds a cache, so that a server without one shows no cache series.
    private let cacheMetrics = Mutex<CacheMetrics?>(nil)
    private let keySetMetrics: KeySetMetrics
    private let reloadMetrics: ReloadMetrics

    package init(sources: Sources) {
        self.sources = sources
        self.checkMetrics = CheckMetrics(registry: self.registry)
        self.keySetMetrics = KeySetMetrics(registry: self.registry)
        self.reloadMetrics = ReloadMetrics(registry: self.registry)
    }

    /// What the check path reports every finished check to (give it to `AuthorizationService`).
    package var checks: any CheckObserver { self.checkMetrics }

    /// Counts a finished reload; an activation (or an unchanged reload's revision) becomes the
    /// revision `gatehouse_policy_revision_info` names.
    ///
    /// - Parameters:
    ///   - outcome: What the reload came to.
    ///   - trigger: What set it off (an activation or refusal carries its own, which wins).
    ///   - duration: How long it took (an activation carries its own, which wins).
    package func reloadFinished(_ outcome: ReloadOutcome, trigger: ReloadTrigger, duration: Duration) {
        self.reloadMetrics.record(outcome, trigger: trigger, duration: duration)
    }

    /// Names `revision` as the active one without counting a reload (a revision served from start-up).
    package func policyActivated(revision: String) {
        self.reloadMetrics.activate(revision)
    }

    /// Reads the cache and key sets, then renders every metric in Prometheus' text exposition
    /// format (version 0.0.4, `text/plain; version=0.0.4`).
    package func render() async -> String {
        if let statistics = self.sources.cache() {
            self.cacheMetrics.withLock { metrics in
                let cache = metrics ?? CacheMetrics(registry: self.registry)
                cache.update(statistics)
                metrics = cache
            }
        }
        self.keySetMetrics.update(await self.sources.keySets(), now: self.sources.now())
        return self.registry.emitToString()
    }

    /// Makes this registry swift-metrics' backend, so that a library instrumented with swift-metrics
    /// reports on the same `/metrics`; call once per process (swift-metrics allows one bootstrap).
    package func bootstrapSwiftMetrics() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: self.registry))
    }

    /// The `Content-Type` of ``render()``'s text.
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
