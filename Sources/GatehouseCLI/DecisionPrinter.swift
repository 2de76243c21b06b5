import GatehouseCore

/// Renders a decision for people and for scripts.
enum DecisionPrinter {
    static func lines(_ decision: Decision) -> [String] {
        var lines = ["\(decision.outcome.rawValue) \(decision.status) \(decision.reason.code)"]
        lines.append(
            "policy: \(decision.policy ?? "-")  rule: \(decision.rule ?? "-")  revision: \(decision.policyRevision)")
        if let subject = decision.subject { lines.append("subject: \(subject)") }
        for header in decision.headersToSet {
            lines.append(
                "\(decision.isAllowed ? "set header" : "response header"): \(header.name): \(header.value) (\(header.action.rawValue))"
            )
        }
        for name in decision.headersToRemove { lines.append("remove header: \(name)") }
        for parameter in decision.queryParametersToSet {
            lines.append("set query parameter: \(parameter.name)=\(parameter.value)")
        }
        for name in decision.queryParametersToRemove { lines.append("remove query parameter: \(name)") }
        if !decision.body.isEmpty { lines.append("body: \(decision.body)") }
        for shadow in decision.shadowMatches {
            lines.append("shadow rule matched (not enforced): \(shadow.rule) would \(shadow.action.rawValue)")
        }
        return lines
    }

    static func jsonObject(_ decision: Decision, explanation: [TraceEvent]?) -> [String: Any] {
        var object: [String: Any] = [
            "decision": decision.outcome.rawValue,
            "status": Int(decision.status),
            "reason": decision.reason.code,
            "policy_revision": decision.policyRevision,
            "headers_to_set": decision.headersToSet.map {
                ["name": $0.name, "value": $0.value, "action": $0.action.rawValue]
            },
            "headers_to_remove": decision.headersToRemove,
            "query_parameters_to_set": decision.queryParametersToSet.map { ["name": $0.name, "value": $0.value] },
            "query_parameters_to_remove": decision.queryParametersToRemove,
            "shadow_rules": decision.shadowMatches.map { ["rule": $0.rule, "action": $0.action.rawValue] },
            "body": decision.body,
        ]
        if let policy = decision.policy { object["policy"] = policy }
        if let rule = decision.rule { object["rule"] = rule }
        if let subject = decision.subject { object["subject"] = subject }
        if let explanation { object["explanation"] = explanation.map(\.description) }
        return object
    }
}
