import GatehouseMetrics
import Testing

@Suite("Metric names")
struct MetricNamesTests {
    @Test("Every metric carries the gatehouse_ prefix")
    func prefix() { #expect(MetricNames.prefix == "gatehouse_") }
}
