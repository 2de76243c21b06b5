import Foundation
import GatehouseCore

/// The shadow candidate's counters in Prometheus text, appended to `/metrics`.
///
/// Labels are the candidate's rule names (bounded by its policies) and the closed set of
/// changes; nothing from requests.
enum ShadowMetrics {
    /// The exposition, or nothing when no candidate is loaded.
    static func text(_ status: ShadowStatus?) -> String {
        guard let status else { return "" }
        let revision = Self.escaped(status.revision)
        var lines = [
            "# HELP gatehouse_shadow_evaluated_total Checks the shadow candidate evaluated.",
            "# TYPE gatehouse_shadow_evaluated_total counter",
            "gatehouse_shadow_evaluated_total{revision=\"\(revision)\"} \(status.counts.evaluated)",
            "# HELP gatehouse_shadow_skipped_total Checks not shadowed (evaluation buffer full).",
            "# TYPE gatehouse_shadow_skipped_total counter",
            "gatehouse_shadow_skipped_total{revision=\"\(revision)\"} \(status.counts.skipped)",
            "# HELP gatehouse_shadow_differences_total Checks the shadow candidate decided differently, by its rule and change.",
            "# TYPE gatehouse_shadow_differences_total counter",
        ]
        for key in status.counts.byRule.keys.sorted() {
            lines.append(
                "gatehouse_shadow_differences_total{revision=\"\(revision)\",rule=\"\(Self.escaped(key.rule ?? ""))\","
                    + "change=\"\(key.change.rawValue)\"} \(status.counts.byRule[key]!)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A label value with `\`, `"` and newlines escaped, as the text format asks.
    private static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
