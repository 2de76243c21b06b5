package import GatehouseCore
package import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one decision pipeline every front door runs a check through, whatever the wire.
///
/// A door maps its request into Core's ``AuthzRequest`` (the gRPC door from a `CheckRequest`,
/// the HTTP door from the request Envoy forwards), admits its caller, and hands both to
/// ``prepare(_:caller:)``: the ``CheckDecider`` (the shared decision cache in front of the
/// ``Authorizer``) answers or leaves verification and evaluation to await. Every decision then
/// ends in ``finish(_:request:decisionID:started:)``: recorded in the decision log (a refusal
/// under strict auditing turns it into a 503 `audit_unavailable`), told to the metrics observer
/// and logged at debug. The door only maps the final ``Decision`` back onto its wire, so the
/// doors share the cache, the decision log and every policy semantic.
///
/// ```swift
/// let pipeline = CheckPipeline(decider: cachingAuthorizer, logger: logger, audit: writer)
/// switch pipeline.prepare(request, caller: caller) {
/// case .decided(let check): reply(check.decision, check.decisionID)
/// case .pending(let pending): let check = await pending.finish(); reply(check.decision, check.decisionID)
/// }
/// ```
package struct CheckPipeline: Sendable {
    private let decider: any CheckDecider
    private let logger: Logger
    /// The time of day; transports also admit callers at it.
    package let clock: @Sendable () -> UnixTime
    /// How request paths are normalized (the server's `paths` settings).
    package let paths: PathNormalizer.Configuration
    /// Told about every finished check (metrics); `nil` reads no clock for it.
    private let observer: (any CheckObserver)?
    /// The decision log: offered one record per check; `nil` when logging is off.
    private let audit: (any AuditSink)?
    /// Which decision fields every door's answer carries for Envoy (`envoy.metadata`).
    package let metadata: MetadataFields

    /// - Parameters:
    ///   - decider: Decides against the active policy revision: an ``Authorizer``, or one
    ///     behind a decision cache (share one between the doors, so they share the cache).
    ///   - logger: For per-request debug lines and internal errors.
    ///   - clock: The time of day, used when a request carries no time of its own.
    ///   - paths: How request paths are normalized; by default a dot segment or an encoded dot
    ///     is denied as `ambiguous_path`.
    ///   - observer: Told once about every finished check, with its decision and duration; by default none.
    ///   - audit: The decision log, offered one record per check before it is answered; when it
    ///     refuses the record, the check is denied with 503 `audit_unavailable` instead. By default none.
    ///   - metadata: Which decision fields the doors' answers carry for Envoy (gRPC dynamic
    ///     metadata, HTTP mode's `x-gatehouse-metadata-*` headers); by default ``MetadataFields/lean``.
    package init(
        decider: any CheckDecider,
        logger: Logger,
        clock: @escaping @Sendable () -> UnixTime = CheckPipeline.systemClock,
        paths: PathNormalizer.Configuration = .defaults,
        observer: (any CheckObserver)? = nil,
        audit: (any AuditSink)? = nil,
        metadata: MetadataFields = .lean
    ) {
        self.decider = decider
        self.logger = logger
        self.clock = clock
        self.paths = paths
        self.observer = observer
        self.audit = audit
        self.metadata = metadata
    }

    /// The system's time of day.
    package static let systemClock: @Sendable () -> UnixTime = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UnixTime(seconds: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec))
    }

    /// Nanoseconds on the monotonic clock when an observer or the decision log will want the
    /// check's duration, else 0 (no clock read on the check path when both are off).
    package var startTime: UInt64 {
        guard self.observer != nil || self.audit != nil else { return 0 }
        return Self.monotonicNanoseconds()
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// A check whose decision is final: recorded, observed and logged.
    package struct FinishedCheck: Sendable {
        /// The decision to map onto the wire.
        package let decision: Decision
        /// The decision log's id of it (Envoy's dynamic metadata, the HTTP door's header).
        package let decisionID: String
    }

    /// How far a check gets at once.
    package enum Preparation: Sendable {
        /// Answered at once: a cache hit, a denial before any policy, or a check verified and
        /// evaluated without waiting (its issuer's keys loaded, no certificate chain).
        case decided(FinishedCheck)
        /// Needs verification that must wait (a key fetch, a certificate chain) and evaluation.
        case pending(PendingCheck)
    }

    /// A check that needs verification and evaluation.
    package struct PendingCheck: Sendable {
        fileprivate let pipeline: CheckPipeline
        fileprivate let pending: any PendingDecision
        fileprivate let request: AuthzRequest
        fileprivate let decisionID: String
        fileprivate let started: UInt64

        /// Decides (fail closed on an internal error: 403 `internal_error`) and finishes the check.
        package func finish() async -> FinishedCheck {
            let decision: Decision
            do {
                decision = try await self.pending.decide()
            } catch {
                decision = self.pipeline.internalError(
                    error, decisionID: self.decisionID, policyRevision: self.pending.policyRevision)
            }
            return self.pipeline.finish(
                decision, request: self.request, decisionID: self.decisionID, started: self.started)
        }
    }

    /// Decides `request` at once if it can be without waiting; synchronous, so that a transport
    /// can reply to a cache hit, and to a miss whose keys are loaded, without leaving its event loop.
    ///
    /// - Parameters:
    ///   - request: The door's request, mapped into Core's model.
    ///   - caller: What the listener knows of the door's client (pinning, forwarded-identity trust, mTLS peer).
    ///   - started: ``startTime`` when the door began the check; by default now.
    ///   - decisionID: The decision log id to give the check; by default a new one
    ///     (`DecisionID.make()`). A door that decides many checks at once (an AuthZEN batch) makes
    ///     their ids together, with one random fill.
    package func prepare(
        _ request: AuthzRequest, caller: CallerFacts, started: UInt64? = nil, decisionID: String? = nil
    ) -> Preparation {
        let started = started ?? self.startTime
        let decisionID = decisionID ?? DecisionID.make()
        switch self.decider.prepare(request, caller: caller) {
        case .decided(let decision):
            return .decided(self.finish(decision, request: request, decisionID: decisionID, started: started))
        case .pending(let pending):
            // A miss whose keys are loaded is verified and evaluated here, on the door's event
            // loop: a task and the hops to and from it would cost more than the RS256
            // verification itself. Only a check that must wait (a key fetch, a certificate
            // chain) leaves.
            let decision: Decision?
            do {
                decision = try pending.decideWithoutWaiting()
            } catch {
                decision = self.internalError(error, decisionID: decisionID, policyRevision: pending.policyRevision)
            }
            if let decision {
                return .decided(self.finish(decision, request: request, decisionID: decisionID, started: started))
            }
            return .pending(
                PendingCheck(
                    pipeline: self, pending: pending, request: request, decisionID: decisionID, started: started))
        }
    }

    /// The denial of a check whose caller the listener does not admit: 403 `caller_not_allowed`,
    /// before any policy, finished like every other decision.
    ///
    /// - Parameter detail: Why, when the caller's certificate was refused on this call (the
    ///   `certificate_*` code); `nil` when it is simply not one of the allowed clients.
    package func callerNotAllowed(
        _ request: AuthzRequest, detail: DecisionReason? = nil, started: UInt64
    ) -> FinishedCheck {
        let decision = Decision(outcome: .deny, status: 403, reason: .callerNotAllowed, reasonDetail: detail)
        return self.finish(decision, request: request, decisionID: DecisionID.make(), started: started)
    }

    /// The one place every check's decision is final: records it in the decision log, tells
    /// the observer, logs it.
    ///
    /// - Parameter started: ``startTime`` when the check began.
    /// - Returns: The decision to answer with: `decision`, or 503 `audit_unavailable` when the
    ///   decision log refused its record.
    package func finish(
        _ decision: consuming Decision, request: AuthzRequest, decisionID: String, started: UInt64
    ) -> FinishedCheck {
        // Consumed, not copied into a `var`: that copy retained every member of the decision on every check.
        let elapsed: UInt64
        if self.observer != nil || self.audit != nil {
            let now = Self.monotonicNanoseconds()
            elapsed = now > started ? now - started : 0
        } else {
            elapsed = 0
        }
        if let audit = self.audit {
            let entry = DecisionEntry(checked: decision, request: request, latencyMicroseconds: elapsed / 1000)
            if audit.offer(AuditRecord(id: decisionID, time: request.time, entry: .decision(entry))) == .refused {
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
                "source.principal": "\(request.source.principal ?? "-")",
                "source.certificate": "\(request.source.certificate == nil ? "absent" : "present")",
            ])
        return FinishedCheck(decision: decision, decisionID: decisionID)
    }

    /// The denial of a check the decision log could not take under strict auditing: 503, so that
    /// clients see a temporary failure and retry, with reason `audit_unavailable`. Keeps the
    /// policy, revision and caller of the decision it replaces, for logs and metrics.
    package static func auditUnavailable(_ decision: Decision) -> Decision {
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
