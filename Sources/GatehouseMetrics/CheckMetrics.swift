import GatehouseCore
import Prometheus
import Synchronization

/// `gatehouse_checks_total{decision, reason, policy}` and `gatehouse_check_duration_seconds`,
/// fed once per check through Core's ``CheckObserver`` port.
///
/// The check path pays a hash of the decision's outcome, reason code and policy name (strings the
/// compiled policy already holds, so nothing is allocated), a lookup under an uncontended lock,
/// an atomic increment and a histogram record. A series is registered the first time its label
/// set is seen and kept: policy names and reason codes are configured or fixed sets, and a
/// counter that vanished with a policy's removal would read as a reset. The table is capped
/// anyway, so that no bug can turn a label into an unbounded one: past ``maximumSeries``, new
/// label sets count under `reason="other", policy="other"`.
final class CheckMetrics: CheckObserver {
    /// The most label sets kept before new ones fold into `other`.
    static let maximumSeries = 1024

    /// The label values of one series.
    private struct SeriesKey: Hashable {
        var outcome: Decision.Outcome
        var reason: DecisionReason
        var policy: String?
    }

    private let registry: PrometheusCollectorRegistry
    private let series = Mutex<[SeriesKey: Counter]>([:])
    private let duration: DurationHistogram

    /// Latency buckets from 50 µs (a cache hit) to 1 s (a slow key fetch), roughly 1-2.5-5 per decade.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.duration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(MetricNames.checkDuration), buckets: Self.durationBuckets)
    }

    func checkFinished(_ decision: Decision, elapsedNanoseconds: UInt64) {
        self.counter(outcome: decision.outcome, reason: decision.reason, policy: decision.policy).increment()
        self.duration.record(.nanoseconds(Int64(clamping: elapsedNanoseconds)))
    }

    private func counter(outcome: Decision.Outcome, reason: DecisionReason, policy: String?) -> Counter {
        let key = SeriesKey(outcome: outcome, reason: reason, policy: policy)
        let (found, isFull) = self.series.withLock { series in (series[key], series.count >= Self.maximumSeries) }
        if let found { return found }
        if isFull {
            let other = SeriesKey(outcome: outcome, reason: DecisionReason(code: "other"), policy: "other")
            if let counter = self.series.withLock({ $0[other] }) { return counter }
            return self.register(other)
        }
        return self.register(key)
    }

    /// The first check with these labels: registers the series (the registry returns the one it
    /// has if another thread got there first).
    private func register(_ key: SeriesKey) -> Counter {
        let counter = self.registry.makeCounter(
            descriptor: MetricNameDescriptor(MetricNames.checks),
            labels: [
                ("decision", key.outcome.rawValue), ("reason", key.reason.code), ("policy", key.policy ?? ""),
            ])
        self.series.withLock { $0[key] = counter }
        return counter
    }
}
