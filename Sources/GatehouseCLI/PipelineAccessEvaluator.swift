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
        switch self.prepare(request, decisionID: nil) {
        case .decided(let evaluation): return evaluation
        case .pending(let wait): return await wait()
        }
    }

    func prepare(_ request: AuthzRequest, decisionID: String?) -> AccessEvaluationStep {
        switch self.pipeline.prepare(request, caller: Self.caller, decisionID: decisionID) {
        case .decided(let check):
            return .decided(AccessEvaluation(decision: check.decision, decisionID: check.decisionID))
        case .pending(let pending):
            return .pending {
                let check = await pending.finish()
                return AccessEvaluation(decision: check.decision, decisionID: check.decisionID)
            }
        }
    }
}
