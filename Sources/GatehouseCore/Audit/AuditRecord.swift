/// One entry of the decision log: a decision, an admin action, a policy activation, a gap, or a
/// shadow difference.
///
/// Built by whoever knows the facts (the front door for decisions, the admin API for actions,
/// the reloader for activations) and handed to an ``AuditSink``; the writer (GatehouseAudit)
/// gives it its place in the log (instance, sequence number, Merkle leaf). A record never holds
/// a raw token, an `Authorization` value or a certificate body: only what the fields below name.
package struct AuditRecord: Sendable, Equatable {
    /// Unique id: for a decision the decision id in Envoy's dynamic metadata; otherwise a new
    /// ``DecisionID`` (32 lower-case hex digits, time-ordered).
    package var id: String
    /// When it happened (for a decision: when the front door had the request).
    package var time: UnixTime
    /// What happened.
    package var entry: Entry

    package init(id: String, time: UnixTime, entry: Entry) {
        self.id = id
        self.time = time
        self.entry = entry
    }

    /// The kinds of record, each with its own fields.
    package enum Entry: Sendable, Equatable {
        case decision(DecisionEntry)
        case admin(AdminEntry)
        case activation(ActivationEntry)
        case gap(GapEntry)
        case shadow(ShadowEntry)
    }

    /// The kind's stable name: `decision`, `admin`, `activation`, `gap`, `shadow`.
    package var kind: String {
        switch self.entry {
        case .decision: "decision"
        case .admin: "admin"
        case .activation: "activation"
        case .gap: "gap"
        case .shadow: "shadow"
        }
    }
}

/// A check's decision and the request attributes an auditor asks about.
package struct DecisionEntry: Sendable, Equatable {
    // `caller` is declared first so that the memberwise initializer, `init(caller:decision:…)`,
    // differs from the labelled one below, which delegates to it: assigned member by member, the
    // entry was copied whole and destroyed at the end of the initializer, on every record.

    /// Who the caller is, as the policy's identity layer established it.
    package var caller: AuditedCaller
    /// `allow` or `deny`.
    package var decision: Decision.Outcome
    /// The response status (200 on allow).
    package var status: UInt16
    /// The reason code.
    package var reason: String
    /// The finer code behind a credential rejection, if any.
    package var reasonDetail: String?
    /// The policy that governed the request, if one was selected.
    package var policy: String?
    /// The revision of the policy set that decided.
    package var policyRevision: String
    /// The rule that decided, if one did.
    package var rule: String?
    /// Shadow rules that matched, as `name:action`.
    package var shadowRules: [String]
    /// The HTTP method.
    package var method: String
    /// The `:authority` as the request named it.
    package var host: String
    /// The normalized path with every query value masked (`/a?x=***&y=***`).
    package var path: String
    /// The downstream source address (Envoy's `source.address`), without the port.
    package var sourceAddress: String?
    /// Whether the decision came from the decision cache.
    package var cache: CacheUse
    /// From the decoded request to the decision, in microseconds.
    package var latencyMicroseconds: UInt64
    /// Envoy's `x-request-id`, if present.
    package var requestID: String?
    /// The W3C trace id from `traceparent` (32 hex digits), if present and well formed.
    package var traceID: String?
}

extension DecisionEntry {
    package init(
        decision: Decision.Outcome, status: UInt16, reason: String, reasonDetail: String? = nil,
        policy: String? = nil, policyRevision: String, rule: String? = nil, shadowRules: [String] = [],
        method: String, host: String, path: String, sourceAddress: String? = nil,
        caller: AuditedCaller = AuditedCaller(), cache: CacheUse = .bypass, latencyMicroseconds: UInt64 = 0,
        requestID: String? = nil, traceID: String? = nil
    ) {
        self.init(
            caller: caller, decision: decision, status: status, reason: reason, reasonDetail: reasonDetail,
            policy: policy, policyRevision: policyRevision, rule: rule, shadowRules: shadowRules, method: method,
            host: host, path: path, sourceAddress: sourceAddress, cache: cache,
            latencyMicroseconds: latencyMicroseconds, requestID: requestID, traceID: traceID)
    }
}

/// The caller's identity as recorded: verified facts only, never the credential itself.
///
/// Carried on ``Decision`` (``Decision/caller``) so that a cached decision records the same
/// caller as the computed one.
package struct AuditedCaller: Sendable, Hashable {
    // `claims` is declared first so that the memberwise initializer, `init(claims:spiffeID:…)`,
    // differs from the labelled one below, which delegates to it: an initializer that assigns
    // `self.x = x` member by member left the optimizer a whole-value copy and destroy at its end
    // (the SIL loads `self` twice), on every decision (callgrind, DecisionLoop).

    /// The claims the policy marks loggable (`log: { claims: [...] }`), as JSON text, by name.
    package var claims: [String: String]
    /// The SPIFFE ID of the verified client certificate.
    package var spiffeID: String?
    /// The X-Road client (`INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`) of the verified certificate.
    package var xroadClient: String?
    /// The verified JWT's `iss`.
    package var issuer: String?
    /// The verified JWT's `sub`.
    package var subject: String?
}

extension AuditedCaller {
    package init(
        spiffeID: String? = nil, xroadClient: String? = nil, issuer: String? = nil, subject: String? = nil,
        claims: [String: String] = [:]
    ) {
        self.init(claims: claims, spiffeID: spiffeID, xroadClient: xroadClient, issuer: issuer, subject: subject)
    }
}

/// An admin API action, allowed or refused.
package struct AdminEntry: Sendable, Equatable {
    /// Who: the token's name or the client certificate's SPIFFE ID / subject; `anonymous` without credential.
    package var actor: String
    /// The role the caller holds, if authenticated.
    package var role: String?
    /// What: the HTTP method and route, e.g. `POST /v1/policy/notify`.
    package var action: String
    /// `allowed`, `refused`, or the action's own outcome (`activated`, `failed: code`).
    package var outcome: String
    /// The answer's status.
    package var status: UInt16
    /// Extra facts (expected revision, error code), never a secret.
    package var detail: String?

    package init(actor: String, role: String?, action: String, outcome: String, status: UInt16, detail: String? = nil) {
        self.actor = actor
        self.role = role
        self.action = action
        self.outcome = outcome
        self.status = status
        self.detail = detail
    }
}

/// A reload attempt: activated or refused.
package struct ActivationEntry: Sendable, Equatable {
    /// The revision activated or attempted.
    package var revision: String?
    /// Where the bundle came from (directory, file, URL, upload, rollback).
    package var source: String
    /// What started it (`startup`, `watch`, `sighup`, `notify`, `upload`, `rollback`, `poll`).
    package var trigger: String
    /// Who asked, for admin-triggered reloads.
    package var actor: String?
    /// `activated`, or the refusal's error code.
    package var outcome: String
    /// How long the pipeline ran, in milliseconds.
    package var durationMilliseconds: UInt64
    /// The refusal's message, if refused.
    package var detail: String?

    package init(
        revision: String?, source: String, trigger: String, actor: String? = nil, outcome: String,
        durationMilliseconds: UInt64, detail: String? = nil
    ) {
        self.revision = revision
        self.source = source
        self.trigger = trigger
        self.actor = actor
        self.outcome = outcome
        self.durationMilliseconds = durationMilliseconds
        self.detail = detail
    }
}

/// Records that could not be written: how many, and over which span of time.
package struct GapEntry: Sendable, Equatable {
    /// How many records were lost.
    package var count: UInt64
    /// The time of the first lost record.
    package var from: UnixTime
    /// The time of the last lost record.
    package var to: UnixTime
    /// Why (`queue_full`, `store_failed: …`).
    package var cause: String

    package init(count: UInt64, from: UnixTime, to: UnixTime, cause: String) {
        self.count = count
        self.from = from
        self.to = to
        self.cause = cause
    }
}

/// A live request on which a candidate policy loaded in shadow decides differently from the active one.
package struct ShadowEntry: Sendable, Equatable {
    /// The decision the active policy made (and enforced).
    package var active: DecisionEntry
    /// The candidate's revision.
    package var candidateRevision: String
    /// What the candidate would have decided.
    package var candidateDecision: Decision.Outcome
    /// The candidate's reason code.
    package var candidateReason: String
    /// The candidate's deciding rule, if any.
    package var candidateRule: String?

    package init(
        active: DecisionEntry, candidateRevision: String, candidateDecision: Decision.Outcome,
        candidateReason: String, candidateRule: String?
    ) {
        self.active = active
        self.candidateRevision = candidateRevision
        self.candidateDecision = candidateDecision
        self.candidateReason = candidateReason
        self.candidateRule = candidateRule
    }
}
