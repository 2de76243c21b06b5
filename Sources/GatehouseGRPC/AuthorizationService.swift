package import EnvoyAuthAPI
package import GRPCCore
package import GatehouseCore
package import GatehouseFrontDoor
package import Logging

/// Envoy's `envoy.service.auth.v3.Authorization/Check`, decided by the shared ``CheckPipeline``.
///
/// The pipeline is: admit the calling Envoy (pinning, when configured) → map the
/// `CheckRequest` → select the policy, look the decision up in the cache, or verify the caller's
/// credentials under it and decide (the CLI gives a caching ``CheckDecider``) → record, observe
/// and log the decision (``CheckPipeline``, the same for every front door) → map the
/// `Decision`. Any error inside the pipeline becomes a deny with reason `internal_error` (fail
/// closed), and a caller the listener does not admit a deny with reason `caller_not_allowed`:
/// never an allow, and never a gRPC error that `failure_mode_allow` could turn into one.
package struct AuthorizationService: Envoy_Service_Auth_V3_Authorization.SimpleServiceProtocol {
    /// What decides, records and observes every check; the HTTP door runs the same one.
    package let pipeline: CheckPipeline
    private let callerPolicy: CallerPolicy

    /// The time of day; the direct transport also admits callers at it.
    var clock: @Sendable () -> UnixTime { self.pipeline.clock }

    /// - Parameters:
    ///   - decider: Decides against the active policy revision: an ``Authorizer``, or one
    ///     behind a decision cache (share one between the listeners, so they share the cache).
    ///   - callerPolicy: Which clients (Envoys) may call; by default any.
    ///   - logger: For per-request debug lines and internal errors.
    ///   - clock: The time of day, used when a check carries no `request.time`.
    ///   - paths: How request paths are normalized (the server's `paths` settings); by default a
    ///     dot segment or an encoded dot is denied as `ambiguous_path`.
    ///   - observer: Told once about every finished check, with its decision and duration (the
    ///     CLI gives GatehouseMetrics' when metrics are on); by default none.
    ///   - audit: The decision log, offered one record per check before it is answered; when it
    ///     refuses the record (strict auditing, log full or failing), the check is denied with 503
    ///     `audit_unavailable` instead. By default none.
    ///   - metadata: Which decision fields the dynamic metadata carries; by default
    ///     ``MetadataFields/lean``, as the server's `envoy.metadata`.
    package init(
        decider: any CheckDecider,
        callerPolicy: CallerPolicy = .anyCaller,
        logger: Logger,
        clock: @escaping @Sendable () -> UnixTime = AuthorizationService.systemClock,
        paths: PathNormalizer.Configuration = .defaults,
        observer: (any CheckObserver)? = nil,
        audit: (any AuditSink)? = nil,
        metadata: MetadataFields = .lean
    ) {
        self.init(
            pipeline: CheckPipeline(
                decider: decider, logger: logger, clock: clock, paths: paths, observer: observer, audit: audit,
                metadata: metadata),
            callerPolicy: callerPolicy)
    }

    /// The service over an existing pipeline (the one the other front doors share).
    ///
    /// - Parameters:
    ///   - pipeline: Decides, records and observes every check.
    ///   - callerPolicy: Which clients (Envoys) may call; by default any.
    package init(pipeline: CheckPipeline, callerPolicy: CallerPolicy = .anyCaller) {
        self.pipeline = pipeline
        self.callerPolicy = callerPolicy
    }

    /// The system's time of day.
    package static var systemClock: @Sendable () -> UnixTime { CheckPipeline.systemClock }

    package func check(
        request: Envoy_Service_Auth_V3_CheckRequest,
        context: ServerContext
    ) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        // In process (tests) there is no TLS peer; a listener's transport admits its own callers.
        guard let caller = self.callerPolicy.admit(nil) else { return self.callerNotAllowed(request) }
        return await self.response(to: request, caller: caller)
    }

    /// The denial of a check whose caller the listener does not admit: PERMISSION_DENIED, HTTP
    /// 403, reason `caller_not_allowed`, before any policy.
    ///
    /// A `CheckResponse`, not a gRPC error, so that Envoy denies the request whatever its
    /// `failure_mode_allow` says.
    ///
    /// - Parameter detail: Why, when the caller's certificate was refused on this call (the
    ///   `certificate_*` code); `nil` when it is simply not one of the allowed clients.
    package func callerNotAllowed(
        _ request: Envoy_Service_Auth_V3_CheckRequest, detail: DecisionReason? = nil
    ) -> Envoy_Service_Auth_V3_CheckResponse {
        let started = self.pipeline.startTime
        let check = self.pipeline.callerNotAllowed(
            AuthzRequest(request, receivedAt: self.clock()), detail: detail, started: started)
        return self.pipeline.response(check)
    }

    /// The answer to one check from a caller already admitted.
    package func response(
        to request: Envoy_Service_Auth_V3_CheckRequest, caller: CallerFacts
    ) async -> Envoy_Service_Auth_V3_CheckResponse {
        switch self.prepare(request, caller: caller) {
        case .answered(let response): return response
        case .pending(let pending): return await pending.response()
        }
    }

    /// What a check needs: nothing more (answered from the cache, or denied before any policy
    /// applies), or credential verification and evaluation.
    package enum Preparation: Sendable {
        case answered(Envoy_Service_Auth_V3_CheckResponse)
        case pending(PendingResponse)
    }

    /// A check that needs verification and evaluation.
    package struct PendingResponse: Sendable {
        fileprivate let pending: CheckPipeline.PendingCheck
        fileprivate let metadata: MetadataFields

        /// Decides (fail closed on an internal error) and builds the response.
        package func response() async -> Envoy_Service_Auth_V3_CheckResponse {
            let check = await self.pending.finish()
            return Envoy_Service_Auth_V3_CheckResponse(
                check.decision, decisionID: check.decisionID, metadata: self.metadata)
        }
    }

    /// Maps the check and answers it at once if the cache can; synchronous, so that a
    /// transport can reply to a hit without leaving its event loop.
    package func prepare(_ request: Envoy_Service_Auth_V3_CheckRequest, caller: CallerFacts) -> Preparation {
        let started = self.pipeline.startTime
        let authzRequest = AuthzRequest(request, receivedAt: self.clock(), paths: self.pipeline.paths)
        switch self.pipeline.prepare(authzRequest, caller: caller, started: started) {
        case .decided(let check):
            return .answered(self.pipeline.response(check))
        case .pending(let pending):
            return .pending(PendingResponse(pending: pending, metadata: self.pipeline.metadata))
        }
    }
}

extension CheckPipeline {
    /// The `CheckResponse` of a finished check, with the pipeline's metadata fields.
    fileprivate func response(_ check: FinishedCheck) -> Envoy_Service_Auth_V3_CheckResponse {
        Envoy_Service_Auth_V3_CheckResponse(check.decision, decisionID: check.decisionID, metadata: self.metadata)
    }
}
