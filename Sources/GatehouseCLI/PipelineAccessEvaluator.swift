import GatehouseAdmin
import GatehouseCore
import GatehouseGRPC

/// The AuthZEN routes' evaluator: the check pipeline the gRPC and HTTP doors use (same decider,
/// so the same decision cache; same decision log and metrics observer).
///
/// Its caller is an admin-API client the API authenticated with the `evaluator` role, so it is
/// trusted for forwarded identities as a pinned Envoy is: the subject's `id` counts as Envoy's
/// `source.principal` wherever a policy trusts a forwarded principal (`trustForwardedIdentity`).
struct PipelineAccessEvaluator: AccessEvaluator {
    let pipeline: CheckPipeline

    var paths: PathNormalizer.Configuration { self.pipeline.paths }

    private static let caller = CallerFacts(trustsForwardedIdentity: true)

    func evaluate(_ request: AuthzRequest) async -> AccessEvaluation {
        let finished: CheckPipeline.FinishedCheck
        switch self.pipeline.prepare(request, caller: Self.caller) {
        case .decided(let check): finished = check
        case .pending(let pending): finished = await pending.finish()
        }
        return AccessEvaluation(decision: finished.decision, decisionID: finished.decisionID)
    }
}
