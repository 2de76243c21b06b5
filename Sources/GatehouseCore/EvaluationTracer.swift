/// Receives the steps of an evaluation, for `gatehouse check --explain`.
///
/// The evaluator is generic over its tracer; with ``NoTracer`` every `record` call and the
/// autoclosure building its event compile away, so the hot path pays nothing.
package protocol EvaluationTracer {
    /// Records one step.
    mutating func record(_ event: @autoclosure () -> TraceEvent)
    /// Whether rules that cannot change the outcome should still be evaluated and reported.
    var wantsEveryRule: Bool { get }
}

/// A tracer that records nothing.
package struct NoTracer: EvaluationTracer {
    package init() {}
    @inline(__always) package mutating func record(_ event: @autoclosure () -> TraceEvent) {}
    package var wantsEveryRule: Bool { false }
}

/// A tracer that keeps every step.
package struct RecordingTracer: EvaluationTracer {
    /// The steps, in order.
    package private(set) var events: [TraceEvent] = []

    package init() {}
    package mutating func record(_ event: @autoclosure () -> TraceEvent) { self.events.append(event()) }
    package var wantsEveryRule: Bool { true }
}

/// One step of an evaluation.
package enum TraceEvent: Sendable, Hashable, CustomStringConvertible {
    /// The path was refused before any policy was consulted.
    case pathRejected(raw: String, PathProblem)
    /// No policy selects the request.
    case noPolicySelected(host: String)
    /// This policy governs the request.
    case policySelected(name: String, location: SourceLocation, selector: String)
    /// A presented credential had failed verification.
    case credentialRejected(CredentialFailure)
    /// The method bucket and path the tree was walked with.
    case walk(method: String, bucket: String, path: String)
    /// A rule was reached through the tree.
    case ruleReached(name: String, location: SourceLocation, via: String)
    /// A reached rule's conditions held.
    case ruleMatched(name: String, action: RuleAction, isShadow: Bool)
    /// A reached rule's condition failed.
    case ruleFailed(name: String, condition: String)
    /// The outcome.
    case decided(outcome: Decision.Outcome, status: UInt16, reason: DecisionReason, rule: String?)

    package var description: String {
        switch self {
        case .pathRejected(let raw, let problem):
            return "path '\(raw)' refused: \(Self.describe(problem))"
        case .noPolicySelected(let host): return "no policy selects host '\(host)' with these context extensions"
        case .policySelected(let name, let location, let selector):
            return "policy '\(name)' (\(location)) selected by \(selector)"
        case .credentialRejected(let failure):
            return "credential rejected: \(failure.reason.code): \(failure.description)"
        case .walk(let method, let bucket, let path):
            return "tree: method '\(method)' → bucket \(bucket) → path trie '\(path)'"
        case .ruleReached(let name, let location, let via): return "  reached rule '\(name)' (\(location)) via \(via)"
        case .ruleMatched(let name, let action, let isShadow):
            return
                "    rule '\(name)' matched: \(isShadow ? "shadow " : "")\(action.rawValue)\(isShadow ? " (reported, not enforced)" : "")"
        case .ruleFailed(let name, let condition):
            return "    rule '\(name)' not matched: this condition does not hold: \(condition)"
        case .decided(let outcome, let status, let reason, let rule):
            return "decision: \(outcome.rawValue) \(status) \(reason.code)\(rule.map { " by rule '\($0)'" } ?? "")"
        }
    }

    /// Why a path was refused, and for a dot segment the setting that would accept it.
    private static func describe(_ problem: PathProblem) -> String {
        switch problem {
        case .tooLong: return "too long"
        case .ambiguous: return "ambiguous (encoded '/' or '\\', NUL, invalid escape or no leading '/')"
        case .dotSegment:
            return
                "ambiguous (a '.' or '..' segment or an encoded dot, which the upstream may resolve differently; "
                + "only if Envoy normalizes paths for the upstream, set paths.dotSegments: normalize)"
        }
    }
}
