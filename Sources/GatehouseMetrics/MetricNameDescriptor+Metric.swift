import Prometheus

extension MetricNameDescriptor {
    /// The descriptor of one of ``MetricNames``' metrics, its name already complete.
    init(_ metric: MetricNames.Metric) {
        self.init(metricName: metric.name, unitName: "", helpText: metric.help)
    }
}
