package import GatehouseCore

/// What the AuthZEN routes need from whatever decides checks: the port the CLI fills with the
/// same check pipeline (decision cache, decision log, metrics) the gRPC and HTTP doors use.
///
/// The admin API maps an AuthZEN request into Core's ``AuthzRequest`` (``AuthZENMapping``) and
/// asks this port; it never evaluates policy itself, so there is no second copy of policy semantics.
package protocol AccessEvaluator: Sendable {
    /// How request paths are normalized (the server's `paths` settings), so that a route's path
    /// means what it means through Envoy.
    var paths: PathNormalizer.Configuration { get }

    /// Decides `request` through the shared pipeline.
    ///
    /// - Parameter request: The AuthZEN question, mapped into Core's request model.
    /// - Returns: The final decision (after the decision log, which may turn it into 503
    ///   `audit_unavailable`) and the decision log's id of it.
    func evaluate(_ request: AuthzRequest) async -> AccessEvaluation

    /// Decides `request` at once when the pipeline can (a cached decision, a denial before any
    /// policy), else hands back the wait for it; the listeners answer a decided step on the
    /// event loop, without a task.
    ///
    /// - Parameters:
    ///   - request: The AuthZEN question, mapped into Core's request model.
    ///   - decisionID: The decision log id to give it (a batch makes its items' ids together,
    ///     ``AuthZENDecisionIDs``); `nil` for a new one.
    /// - Returns: The evaluation, or the asynchronous rest of it. By default always the latter
    ///   (``evaluate(_:)``, which makes its own id).
    func prepare(_ request: AuthzRequest, decisionID: String?) -> AccessEvaluationStep
}

extension AccessEvaluator {
    package func prepare(_ request: AuthzRequest, decisionID: String?) -> AccessEvaluationStep {
        .pending { await self.evaluate(request) }
    }
}

/// An evaluation decided at once, or the wait for it (verification of a token or a certificate).
package enum AccessEvaluationStep: Sendable {
    /// Decided without waiting.
    case decided(AccessEvaluation)
    /// Decided by awaiting this.
    case pending(@Sendable () async -> AccessEvaluation)
}

/// One decided AuthZEN evaluation.
package struct AccessEvaluation: Sendable {
    /// The decision, exactly as the gRPC door would map it onto Envoy's answer.
    package var decision: Decision
    /// The decision log's id of the record (`context.decision_id` in the answer).
    package var decisionID: String

    /// - Parameters:
    ///   - decision: The final decision.
    ///   - decisionID: Its decision log id.
    package init(decision: Decision, decisionID: String) {
        self.decision = decision
        self.decisionID = decisionID
    }
}
