package import EnvoyAuthAPI
package import GRPCCore
package import GatehouseCache
package import GatehouseCore
package import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Envoy's `envoy.service.auth.v3.Authorization/Check`, decided by the ``Authorizer``.
///
/// The pipeline is: pin the calling Envoy (when configured) → map the `CheckRequest` →
/// select the policy, look the decision up in the cache, or verify the caller's credentials
/// under it and decide (``CachingAuthorizer``) → map the `Decision`. Any error inside the pipeline
/// becomes a deny with reason `internal_error` (fail closed), never an allow and never a gRPC
/// error that `failure_mode_allow` could turn into one. Only a caller that is not a pinned
/// Envoy gets a gRPC error (`PERMISSION_DENIED`).
package struct AuthorizationService: Envoy_Service_Auth_V3_Authorization.SimpleServiceProtocol {
    private let authorizer: CachingAuthorizer
    private let callerPolicy: CallerPolicy
    private let logger: Logger
    private let clock: @Sendable () -> UnixTime

    /// A service with its own decision cache.
    ///
    /// - Parameters:
    ///   - authorizer: Decides against the active policy revision.
    ///   - cache: The decision cache settings; on by default.
    package init(
        authorizer: Authorizer,
        cache: DecisionCacheSettings = DecisionCacheSettings(),
        callerPolicy: CallerPolicy = .anyCaller,
        logger: Logger,
        clock: @escaping @Sendable () -> UnixTime = AuthorizationService.systemClock
    ) {
        self.init(
            authorizer: CachingAuthorizer(authorizer: authorizer, settings: cache), callerPolicy: callerPolicy,
            logger: logger, clock: clock)
    }

    /// - Parameters:
    ///   - authorizer: Decides against the active policy revision, through the decision cache
    ///     (share one between the listeners, so they share the cache).
    ///   - callerPolicy: Which clients (Envoys) may call; by default any.
    ///   - logger: For per-request debug lines and internal errors.
    ///   - clock: The time of day, used when a check carries no `request.time`.
    package init(
        authorizer: CachingAuthorizer,
        callerPolicy: CallerPolicy = .anyCaller,
        logger: Logger,
        clock: @escaping @Sendable () -> UnixTime = AuthorizationService.systemClock
    ) {
        self.authorizer = authorizer
        self.callerPolicy = callerPolicy
        self.logger = logger
        self.clock = clock
    }

    /// The system's time of day.
    package static let systemClock: @Sendable () -> UnixTime = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UnixTime(seconds: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec))
    }

    package func check(
        request: Envoy_Service_Auth_V3_CheckRequest,
        context: ServerContext
    ) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        try self.callerPolicy.authorize(context)
        // authorize() threw unless a pinned caller's certificate matched, so pinned means verified here.
        let caller = CallerFacts(isPinnedMutualTLS: self.callerPolicy.isPinned)
        let decisionID = DecisionID.make()
        let authzRequest = AuthzRequest(request, receivedAt: self.clock())
        let decision = await self.decide(authzRequest, caller: caller, decisionID: decisionID)
        self.logger.debug(
            "check decided",
            metadata: [
                "gatehouse.decision.id": "\(decisionID)", "gatehouse.decision": "\(decision.outcome.rawValue)",
                "gatehouse.reason": "\(decision.reason.code)", "gatehouse.cache": "\(decision.cache.rawValue)",
                "gatehouse.policy.revision": "\(decision.policyRevision)",
                "source.principal": "\(authzRequest.source.principal ?? "-")",
                "source.certificate": "\(authzRequest.source.certificate == nil ? "absent" : "present")",
            ])
        return Envoy_Service_Auth_V3_CheckResponse(decision, decisionID: decisionID)
    }

    private func decide(_ request: AuthzRequest, caller: CallerFacts, decisionID: String) async -> Decision {
        do {
            return try await self.authorizer.decide(request, caller: caller)
        } catch {
            self.logger.error(
                "check failed; denying",
                metadata: ["gatehouse.decision.id": "\(decisionID)", "error": "\(error)"])
            return Decision(
                outcome: .deny, status: 403, reason: .internalError,
                policyRevision: self.authorizer.authorizer.tree?.revision ?? "")
        }
    }
}
