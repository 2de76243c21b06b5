import GatehouseCore
import Prometheus
import Synchronization

/// `gatehouse_policy_reloads_total{outcome, trigger}`, `gatehouse_policy_reload_duration_seconds{outcome}`
/// and `gatehouse_policy_revision_info{revision}`, told about each reload as it ends.
///
/// Outcome (`activated`, `unchanged`, `refused`) and trigger (Core's ``ReloadTrigger``) are closed
/// sets; the revision label has one value at a time: activating a revision removes the previous
/// one's series.
final class ReloadMetrics: Sendable {
    /// Reload durations from 10 ms (an unchanged directory) to 60 s (a 100,000-rule bundle on a slow disk).
    static let durationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    private let registry: PrometheusCollectorRegistry
    /// The active revision's info series, if any.
    private let revision = Mutex<(name: String, gauge: Gauge)?>(nil)

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts one finished reload and, when it activated a revision, makes it the one the info metric names.
    ///
    /// - Parameters:
    ///   - outcome: What the reload came to.
    ///   - trigger: What set it off (an activation's own trigger wins).
    ///   - duration: How long it took (an activation's own duration wins).
    func record(_ outcome: ReloadOutcome, trigger: ReloadTrigger, duration: Duration) {
        let (name, trigger, duration): (String, ReloadTrigger, Duration) =
            switch outcome {
            case .activated(let activation): ("activated", activation.trigger, activation.duration)
            case .unchanged: ("unchanged", trigger, duration)
            case .refused(let failure): ("refused", failure.trigger, duration)
            }
        self.registry.makeCounter(
            descriptor: MetricNameDescriptor(MetricNames.reloads),
            labels: [("outcome", name), ("trigger", trigger.rawValue)]
        ).increment()
        self.registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(MetricNames.reloadDuration), labels: [("outcome", name)],
            buckets: Self.durationBuckets
        ).record(duration)
        switch outcome {
        case .activated(let activation): self.activate(activation.revision)
        case .unchanged(let revision): self.activate(revision)
        case .refused: break
        }
    }

    /// Makes `revision` the one `gatehouse_policy_revision_info` names (the first load, or an activation).
    func activate(_ revision: String) {
        self.revision.withLock { current in
            if current?.name == revision { return }
            if let previous = current { self.registry.unregisterGauge(previous.gauge) }
            let gauge = self.registry.makeGauge(
                descriptor: MetricNameDescriptor(MetricNames.revisionInfo), labels: [("revision", revision)])
            gauge.set(to: 1)
            current = (revision, gauge)
        }
    }
}
