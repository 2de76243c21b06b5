package import EnvoyAuthAPI
package import GRPCCore
package import GatehouseCore
package import Logging

/// Envoy's `envoy.service.auth.v3.Authorization/Check`, decided by the ``Authorizer``.
///
/// The pipeline is: pin the calling Envoy (when configured) → map the `CheckRequest` →
/// resolve the caller's identity → decide → map the `Decision`. Any error inside the pipeline
/// becomes a deny with reason `internal_error` (fail closed), never an allow and never a gRPC
/// error that `failure_mode_allow` could turn into one. Only a caller that is not a pinned
/// Envoy gets a gRPC error (`PERMISSION_DENIED`).
package struct AuthorizationService: Envoy_Service_Auth_V3_Authorization.SimpleServiceProtocol {
    /// Resolves the verified identity of a request's caller.
    package typealias IdentityResolver = @Sendable (AuthzRequest) async throws -> Identity

    private let authorizer: Authorizer
    private let resolveIdentity: IdentityResolver
    private let callerPolicy: CallerPolicy
    private let logger: Logger

    /// - Parameters:
    ///   - authorizer: Decides against the active policy revision.
    ///   - callerPolicy: Which clients (Envoys) may call; by default any.
    ///   - resolveIdentity: Verifies credentials; until the identity layer lands, every caller is anonymous.
    ///   - logger: For per-request debug lines and internal errors.
    package init(
        authorizer: Authorizer,
        callerPolicy: CallerPolicy = .anyCaller,
        logger: Logger,
        resolveIdentity: @escaping IdentityResolver = { _ in .anonymous }
    ) {
        self.authorizer = authorizer
        self.callerPolicy = callerPolicy
        self.logger = logger
        self.resolveIdentity = resolveIdentity
    }

    package func check(
        request: Envoy_Service_Auth_V3_CheckRequest,
        context: ServerContext
    ) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        try self.callerPolicy.authorize(context)
        let decisionID = DecisionID.make()
        let authzRequest = AuthzRequest(request)
        let decision = await self.decide(authzRequest, decisionID: decisionID)
        self.logger.debug(
            "check decided",
            metadata: [
                "gatehouse.decision.id": "\(decisionID)", "gatehouse.decision": "\(decision.outcome.rawValue)",
                "gatehouse.reason": "\(decision.reason.code)",
                "gatehouse.policy.revision": "\(decision.policyRevision)",
                "source.principal": "\(authzRequest.source.principal ?? "-")",
                "source.certificate": "\(authzRequest.source.certificate == nil ? "absent" : "present")",
            ])
        return Envoy_Service_Auth_V3_CheckResponse(decision, decisionID: decisionID)
    }

    private func decide(_ request: AuthzRequest, decisionID: String) async -> Decision {
        do {
            let identity = try await self.resolveIdentity(request)
            return self.authorizer.check(request, identity: identity)
        } catch {
            self.logger.error(
                "check failed; denying",
                metadata: ["gatehouse.decision.id": "\(decisionID)", "error": "\(error)"])
            return Decision(
                outcome: .deny, status: 403, reason: .internalError,
                policyRevision: self.authorizer.tree?.revision ?? "")
        }
    }
}
