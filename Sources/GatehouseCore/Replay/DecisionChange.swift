/// How a candidate policy's decision differs from the one that was made (replay) or enforced (shadow).
///
/// A closed set, so it can label metrics. Only the verdict is compared — outcome, reason and the
/// deciding rule — not the response shape (headers, body), which a replay cannot rebuild anyway.
package enum DecisionChange: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Allowed then, denied by the candidate: someone would be locked out.
    case allowToDeny = "allow_to_deny"
    /// Denied then, allowed by the candidate: something would open up.
    case denyToAllow = "deny_to_allow"
    /// Same outcome, but another reason or another deciding rule.
    case reasonOrRule = "reason_or_rule"

    /// Compares a candidate's decision with the one made, given by its outcome, reason code and rule.
    ///
    /// - Returns: `nil` when outcome, reason and rule are all the same.
    package static func between(
        outcome: Decision.Outcome, reason: String, rule: String?, candidate: Decision
    ) -> DecisionChange? {
        switch (outcome, candidate.outcome) {
        case (.allow, .deny): return .allowToDeny
        case (.deny, .allow): return .denyToAllow
        default:
            return reason == candidate.reason.code && rule == candidate.rule ? nil : .reasonOrRule
        }
    }

    /// Compares two decisions (the active one first).
    package static func between(_ active: Decision, _ candidate: Decision) -> DecisionChange? {
        Self.between(outcome: active.outcome, reason: active.reason.code, rule: active.rule, candidate: candidate)
    }

    package static func < (lhs: DecisionChange, rhs: DecisionChange) -> Bool {
        Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
    }
}
