package import EnvoyAuthAPI
package import GRPCCore
package import GatehouseCore
package import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Envoy's `envoy.service.auth.v3.Authorization/Check`, decided by a ``CheckDecider``.
///
/// The pipeline is: admit the calling Envoy (pinning, when configured) → map the
/// `CheckRequest` → select the policy, look the decision up in the cache, or verify the caller's
/// credentials under it and decide (the CLI gives a caching ``CheckDecider``) → map the
/// `Decision`. Any error inside the pipeline becomes a deny with reason `internal_error` (fail
/// closed), and a caller the listener does not admit a deny with reason `caller_not_allowed`:
/// never an allow, and never a gRPC error that `failure_mode_allow` could turn into one.
package struct AuthorizationService: Envoy_Service_Auth_V3_Authorization.SimpleServiceProtocol {
    private let decider: any CheckDecider
    private let callerPolicy: CallerPolicy
    private let logger: Logger
    /// The time of day; the direct transport also admits callers at it.
    let clock: @Sendable () -> UnixTime
    private let paths: PathNormalizer.Configuration
    /// Told about every finished check (metrics); `nil` reads no clock for it.
    private let observer: (any CheckObserver)?
    /// The decision log: offered one record per check; `nil` when logging is off.
    private let audit: (any AuditSink)?

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
    package init(
        decider: any CheckDecider,
        callerPolicy: CallerPolicy = .anyCaller,
        logger: Logger,
        clock: @escaping @Sendable () -> UnixTime = AuthorizationService.systemClock,
        paths: PathNormalizer.Configuration = .defaults,
        observer: (any CheckObserver)? = nil,
        audit: (any AuditSink)? = nil
    ) {
        self.decider = decider
        self.callerPolicy = callerPolicy
        self.logger = logger
        self.clock = clock
        self.paths = paths
        self.observer = observer
        self.audit = audit
    }

    /// Nanoseconds on the monotonic clock when an observer or the decision log will want the
    /// check's duration, else 0 (no clock read on the check path when both are off).
    private var startTime: UInt64 {
        guard self.observer != nil || self.audit != nil else { return 0 }
        return Self.monotonicNanoseconds()
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
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
        let started = self.startTime
        let decision = Decision(outcome: .deny, status: 403, reason: .callerNotAllowed, reasonDetail: detail)
        return self.respond(
            decision, to: AuthzRequest(request, receivedAt: self.clock()), decisionID: DecisionID.make(),
            started: started)
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
        fileprivate let service: AuthorizationService
        fileprivate let pending: any PendingDecision
        fileprivate let request: AuthzRequest
        fileprivate let decisionID: String
        fileprivate let started: UInt64

        /// Decides (fail closed on an internal error) and builds the response.
        package func response() async -> Envoy_Service_Auth_V3_CheckResponse {
            let decision: Decision
            do {
                decision = try await self.pending.decide()
            } catch {
                decision = self.service.internalError(
                    error, decisionID: self.decisionID, policyRevision: self.pending.policyRevision)
            }
            return self.service.respond(
                decision, to: self.request, decisionID: self.decisionID, started: self.started)
        }
    }

    /// Maps the check and answers it at once if the cache can; synchronous, so that a
    /// transport can reply to a hit without leaving its event loop.
    package func prepare(_ request: Envoy_Service_Auth_V3_CheckRequest, caller: CallerFacts) -> Preparation {
        let started = self.startTime
        let decisionID = DecisionID.make()
        let authzRequest = AuthzRequest(request, receivedAt: self.clock(), paths: self.paths)
        switch self.decider.prepare(authzRequest, caller: caller) {
        case .decided(let decision):
            return .answered(self.respond(decision, to: authzRequest, decisionID: decisionID, started: started))
        case .pending(let pending):
            return .pending(
                PendingResponse(
                    service: self, pending: pending, request: authzRequest, decisionID: decisionID, started: started))
        }
    }

    /// The one place every check's decision is final: records it in the decision log, logs it,
    /// tells the observer, maps it.
    ///
    /// - Parameter started: ``startTime`` when the check began.
    fileprivate func respond(
        _ decision: Decision, to authzRequest: AuthzRequest, decisionID: String, started: UInt64
    ) -> Envoy_Service_Auth_V3_CheckResponse {
        var decision = decision
        let elapsed: UInt64
        if self.observer != nil || self.audit != nil {
            let now = Self.monotonicNanoseconds()
            elapsed = now > started ? now - started : 0
        } else {
            elapsed = 0
        }
        if let audit = self.audit {
            let entry = DecisionEntry(checked: decision, request: authzRequest, latencyMicroseconds: elapsed / 1000)
            if audit.offer(AuditRecord(id: decisionID, time: authzRequest.time, entry: .decision(entry))) == .refused {
                decision = Self.auditUnavailable(decision)
            }
        }
        if let observer = self.observer {
            observer.checkFinished(decision, elapsedNanoseconds: elapsed)
        }
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

    /// The denial of a check the decision log could not take under strict auditing: 503, so that
    /// clients see a temporary failure and retry, with reason `audit_unavailable`. Keeps the
    /// policy, revision and caller of the decision it replaces, for logs and metrics.
    static func auditUnavailable(_ decision: Decision) -> Decision {
        var denial = Decision(
            outcome: .deny, status: 503, reason: .auditUnavailable, policy: decision.policy,
            subject: decision.subject, policyRevision: decision.policyRevision)
        denial.cache = decision.cache
        denial.caller = decision.caller
        return denial
    }

    private func internalError(_ error: any Error, decisionID: String, policyRevision: String) -> Decision {
        self.logger.error(
            "check failed; denying", metadata: ["gatehouse.decision.id": "\(decisionID)", "error": "\(error)"])
        return Decision(
            outcome: .deny, status: 403, reason: .internalError, policyRevision: policyRevision)
    }
}
