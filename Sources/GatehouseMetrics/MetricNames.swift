/// The prefix of every metric Gatehouse exports, as OPA-Envoy's and Authorino's carry theirs.
package enum MetricNames {
    package static let prefix = "gatehouse_"
}
