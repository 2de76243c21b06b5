package import GatehouseCore

/// A decision as the decision cache keeps it: what every caller of one rule shares in one
/// reference, only the caller's own parts in the entry.
///
/// A ``Decision`` is about 240 bytes inline (fifteen strings and arrays), and most of it — the
/// outcome, status, reason, policy, rule, headers to remove, denied body, revision, the token's
/// issuer — is the same for every caller a rule decides. A million entries kept that many
/// copies. Here those parts are one ``Shared`` instance, handed out by a ``Pool`` so that equal
/// parts are one object, and an entry holds the subject, the rendered headers and query
/// parameters, and (only when there are any) the caller's other facts: 48 bytes inline.
/// ``decision`` gives back exactly the decision stored.
package struct CachedDecision: Sendable {
    /// The parts of a decision that do not depend on who asked.
    package final class Shared: Sendable, Hashable {
        let outcome: Decision.Outcome
        let status: UInt16
        let reason: DecisionReason
        let reasonDetail: DecisionReason?
        let policy: String?
        let rule: String?
        let shadowMatches: [ShadowMatch]
        let headersToRemove: [String]
        let queryParametersToRemove: [String]
        let body: String
        let policyRevision: String
        let issuer: String?

        init(_ decision: borrowing Decision) {
            self.outcome = decision.outcome
            self.status = decision.status
            self.reason = decision.reason
            self.reasonDetail = decision.reasonDetail
            self.policy = decision.policy
            self.rule = decision.rule
            self.shadowMatches = decision.shadowMatches
            self.headersToRemove = decision.headersToRemove
            self.queryParametersToRemove = decision.queryParametersToRemove
            self.body = decision.body
            self.policyRevision = decision.policyRevision
            self.issuer = decision.caller.issuer
        }

        package static func == (lhs: Shared, rhs: Shared) -> Bool {
            lhs.outcome == rhs.outcome && lhs.status == rhs.status && lhs.reason == rhs.reason
                && lhs.reasonDetail == rhs.reasonDetail && lhs.policy == rhs.policy && lhs.rule == rhs.rule
                && lhs.shadowMatches == rhs.shadowMatches && lhs.headersToRemove == rhs.headersToRemove
                && lhs.queryParametersToRemove == rhs.queryParametersToRemove && lhs.body == rhs.body
                && lhs.policyRevision == rhs.policyRevision && lhs.issuer == rhs.issuer
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(self.status)
            hasher.combine(self.reason)
            hasher.combine(self.policy)
            hasher.combine(self.rule)
            hasher.combine(self.issuer)
        }
    }

    /// The caller's facts other than the issuer, kept only for callers that have more than a subject.
    private final class CallerFacts: Sendable {
        let spiffeID: String?
        let xroadClient: String?
        let subject: String?
        let claims: [String: String]

        init(_ caller: AuditedCaller) {
            self.spiffeID = caller.spiffeID
            self.xroadClient = caller.xroadClient
            self.subject = caller.subject
            self.claims = caller.claims
        }
    }

    /// Hands out one ``Shared`` for equal parts. Bounded: past ``limit`` distinct parts it starts
    /// over (entries keep what they hold; only later entries stop sharing with earlier ones).
    package final class Pool: Sendable {
        private let pool = ShardLock<Set<Shared>>([])
        /// The most distinct parts kept for sharing.
        package let limit: Int

        package init(limit: Int = 16_384) {
            self.limit = limit
        }

        /// The pooled instance equal to `parts`.
        func share(_ parts: Shared) -> Shared {
            self.pool.withLock { pool in
                if let index = pool.firstIndex(of: parts) { return pool[index] }
                if pool.count >= self.limit { pool.removeAll() }
                pool.insert(parts)
                return parts
            }
        }

        /// Forgets every pooled instance (after a reload nothing new will equal them).
        package func removeAll() {
            self.pool.withLock { $0.removeAll() }
        }
    }

    private let shared: Shared
    private let subject: String?
    private let headersToSet: [HeaderMutation]
    private let queryParametersToSet: [QueryParameterMutation]
    /// `nil` when the caller is at most an issuer and a subject equal to ``subject``.
    private let caller: CallerFacts?

    /// Keeps `decision`, sharing its common parts through `pool` (with none, they are its own).
    package init(_ decision: borrowing Decision, pool: Pool?) {
        let shared = Shared(decision)
        self.shared = pool?.share(shared) ?? shared
        self.subject = decision.subject
        self.headersToSet = decision.headersToSet
        self.queryParametersToSet = decision.queryParametersToSet
        let caller = decision.caller
        let bare =
            caller.spiffeID == nil && caller.xroadClient == nil && caller.claims.isEmpty
            && caller.subject == decision.subject
        self.caller = bare ? nil : CallerFacts(caller)
    }

    /// The decision as it was stored (its ``Decision/cache`` is `.bypass`; the caller sets it).
    package var decision: Decision {
        let shared = self.shared
        // Built in one step, the caller first: setting `decision.caller` afterwards copied the
        // whole decision once more on every hit.
        let caller: AuditedCaller
        if let facts = self.caller {
            caller = AuditedCaller(
                spiffeID: facts.spiffeID, xroadClient: facts.xroadClient, issuer: shared.issuer,
                subject: facts.subject, claims: facts.claims)
        } else {
            caller = AuditedCaller(issuer: shared.issuer, subject: self.subject)
        }
        return Decision(
            outcome: shared.outcome, status: shared.status, reason: shared.reason, reasonDetail: shared.reasonDetail,
            policy: shared.policy, rule: shared.rule, shadowMatches: shared.shadowMatches,
            headersToSet: self.headersToSet, headersToRemove: shared.headersToRemove,
            queryParametersToSet: self.queryParametersToSet, queryParametersToRemove: shared.queryParametersToRemove,
            body: shared.body, subject: self.subject, policyRevision: shared.policyRevision, caller: caller)
    }

    /// Whether both hold the very same shared parts (one object, not two equal ones).
    package func sharesParts(with other: CachedDecision) -> Bool { self.shared === other.shared }

    /// What keeping it costs, in bytes, for the cache's byte bound: the entry (slot, index) and the
    /// caller's own text and arrays; the shared parts are counted once per pool, not here.
    ///
    /// Calibrated against `Tests/Benchmarks` `CacheMemory` (a million entries measured with the
    /// heap's own accounting); it errs high, so `maxBytes` bounds real memory.
    package var cost: Int {
        var bytes = 128 + Self.heapBytes(self.subject)
        if !self.headersToSet.isEmpty { bytes += 32 }
        for header in self.headersToSet {
            // The name is the policy's string, shared; a value that is the subject shares its storage.
            bytes += 40 + Self.heapBytes(header.value)
        }
        if !self.queryParametersToSet.isEmpty { bytes += 32 }
        for parameter in self.queryParametersToSet { bytes += 32 + Self.heapBytes(parameter.value) }
        if let caller = self.caller {
            bytes += 96 + Self.heapBytes(caller.spiffeID) + Self.heapBytes(caller.xroadClient)
            if caller.subject != self.subject { bytes += Self.heapBytes(caller.subject) }
            if !caller.claims.isEmpty { bytes += 64 }
            for (name, value) in caller.claims { bytes += 48 + Self.heapBytes(name) + Self.heapBytes(value) }
        }
        return bytes
    }

    /// The heap bytes a string takes: none when it fits inline (15 UTF-8 bytes or fewer).
    private static func heapBytes(_ text: String?) -> Int {
        guard let count = text?.utf8.count, count > 15 else { return 0 }
        return 32 + count
    }
}
