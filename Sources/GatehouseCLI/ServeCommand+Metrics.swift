import GatehouseCore
import GatehouseGRPC
import GatehouseMetrics
import Synchronization

/// The metrics of one `gatehouse serve` (`metrics.enabled`), wired to the parts that feed them:
/// the check path through ``checkObserver``, the reload pipeline through ``onOutcome``, and the
/// admin API's `GET /metrics` through ``render``; the decision cache and the active revision's key
/// sets are read when Prometheus scrapes.
///
/// With metrics off nothing is counted, the check path reads no clock for them, and `/metrics`
/// answers a comment saying so.
struct ServeMetrics: Sendable {
    /// `nil` when metrics are off.
    let metrics: GatehouseMetrics?
    /// The pipeline whose status names the active revision's key sets; set once it exists.
    private let administration: AdministrationSlot

    /// - Parameters:
    ///   - isEnabled: `metrics.enabled`.
    ///   - cache: The decision cache's statistics, `nil` when the cache is off.
    init(isEnabled: Bool, cache: @escaping @Sendable () -> CacheStatistics?) {
        let administration = AdministrationSlot()
        self.administration = administration
        self.metrics =
            isEnabled
            ? GatehouseMetrics(
                sources: GatehouseMetrics.Sources(
                    cache: cache, keySets: { await administration.status()?.keySets ?? [] },
                    now: AuthorizationService.systemClock))
            : nil
    }

    /// The metrics of the running server: as ``init(isEnabled:cache:)``, and with metrics on, also
    /// swift-metrics' backend (once per process, so not in tests).
    static func server(isEnabled: Bool, cache: @escaping @Sendable () -> CacheStatistics?) -> ServeMetrics {
        let metrics = ServeMetrics(isEnabled: isEnabled, cache: cache)
        metrics.metrics?.bootstrapSwiftMetrics()
        return metrics
    }

    /// What `AuthorizationService` tells about every check; `nil` when metrics are off.
    var checkObserver: (any CheckObserver)? { self.metrics?.checks }

    /// For the reload pipeline's `onOutcome`: counts the reload; an activation becomes the revision
    /// `gatehouse_policy_revision_info` names.
    var onOutcome: @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void {
        let metrics = self.metrics
        return { outcome, request, duration in
            metrics?.reloadFinished(outcome, trigger: request.trigger, duration: duration)
        }
    }

    /// The Prometheus text for `GET /metrics`.
    var render: @Sendable () async -> String {
        guard let metrics = self.metrics else {
            return { "# Gatehouse metrics are off (metrics.enabled: false).\n" }
        }
        return { await metrics.render() }
    }

    /// Gives the metrics the pipeline whose status lists the active revision's key sets.
    func attach(_ administration: any PolicyAdministration) {
        self.administration.set(administration)
    }
}

/// Holds the pipeline for the scrape-time key-set read, which is created before the pipeline
/// (whose `onOutcome` needs the metrics).
private final class AdministrationSlot: Sendable {
    private let administration = Mutex<(any PolicyAdministration)?>(nil)

    func set(_ administration: any PolicyAdministration) {
        self.administration.withLock { $0 = administration }
    }

    func status() async -> PolicyStatus? {
        await self.administration.withLock { $0 }?.status()
    }
}
