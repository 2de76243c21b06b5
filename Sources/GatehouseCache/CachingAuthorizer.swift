package import GatehouseCore

/// Decides checks like ``Authorizer/decide(_:caller:)``, reusing earlier identical decisions.
///
/// On the hot path, before any credential is verified: the policy is selected (cheap, and its
/// index goes into the key), then the key is the SHA-256 of the revision's generation, the
/// key-set generation, the policy, exactly the request attributes that policy reads
/// (``PolicyCachePlan``) and the raw credentials its authenticator reads. A hit skips
/// signature verification and evaluation; a miss computes once however many identical
/// requests arrive meanwhile. An entry is served only before the earliest of: its TTL, the
/// token's `exp`, the certificate's `notAfter` — all judged at the request's time, as the
/// uncached decision would be. Denials of rejected credentials live ``DecisionCacheSettings/negativeTimeToLive``.
/// A reload or a key rotation changes the generations, so no earlier entry is ever found again.
///
/// ```swift
/// let authorizer = CachingAuthorizer(authorizer: Authorizer(), settings: DecisionCacheSettings())
/// let decision = try await authorizer.decide(request, caller: CallerFacts())
/// decision.cache  // .hit, .miss, .coalesced or .bypass
/// ```
package final class CachingAuthorizer: CheckDecider {
    /// The revisions decided against.
    package let authorizer: Authorizer
    /// The server-wide settings.
    package let settings: DecisionCacheSettings
    /// Decisions, kept compactly (their per-rule parts shared between entries).
    private let cache: CompactDecisionCache
    private let keyGeneration: @Sendable () -> UInt64

    /// - Parameters:
    ///   - authorizer: Holds the active revision.
    ///   - settings: Whether to cache, how much and for how long.
    ///   - keyGeneration: Changes whenever a remote key set's keys change (``KeySetRegistry/generation``).
    package init(
        authorizer: Authorizer,
        settings: DecisionCacheSettings = DecisionCacheSettings(),
        keyGeneration: @escaping @Sendable () -> UInt64 = { 0 }
    ) {
        self.authorizer = authorizer
        self.settings = settings
        self.cache = CompactDecisionCache(limits: settings.limits)
        self.keyGeneration = keyGeneration
    }

    /// Hits, misses, evictions, entries and bytes.
    package var statistics: CacheStatistics { self.cache.statistics }

    /// Drops every entry (they are unreachable after a reload anyway; this frees the memory).
    package func removeAll() { self.cache.removeAll() }

    /// Decides one request: from the cache when an identical one was decided recently.
    ///
    /// - Throws: What the authenticator threw; nothing is cached then.
    package func decide(_ request: AuthzRequest, caller: CallerFacts) async throws -> Decision {
        switch self.prepare(request, caller: caller) {
        case .decided(let decision): return decision
        case .pending(let pending): return try await pending.decide()
        }
    }

    /// The work left for a request the cache could not answer (and then goes into the cache).
    package struct Pending: PendingDecision {
        fileprivate let owner: CachingAuthorizer
        fileprivate let request: AuthzRequest
        fileprivate let caller: CallerFacts
        fileprivate let revision: Authorizer.Revision
        fileprivate let policyIndex: Int
        /// The key and plan when the decision may be cached.
        fileprivate let cacheable: (key: DecisionKey, plan: PolicyCachePlan)?

        package var policyRevision: String { self.revision.tree.revision }

        /// Verifies, evaluates, and stores the decision when it may be cached.
        ///
        /// - Throws: What the authenticator threw; nothing is cached then.
        package func decide() async throws -> Decision {
            guard let (key, plan) = self.cacheable else {
                return try await self.revision.decide(self.request, policyIndex: self.policyIndex, caller: self.caller)
                    .decision
            }
            return try await self.owner.compute(self, key: key, plan: plan)
        }

        /// Verifies and evaluates now when the authenticator needs no waiting, and stores the
        /// decision when it may be cached; `nil` otherwise. Identical misses at the same moment
        /// each compute (no coalescing: there is no waiting to share).
        ///
        /// - Throws: What the authenticator threw; nothing is cached then.
        package func decideWithoutWaiting() throws -> Decision? {
            guard
                let (decision, identity) = try self.revision.decideWithoutWaiting(
                    self.request, policyIndex: self.policyIndex, caller: self.caller)
            else { return nil }
            guard let (key, plan) = self.cacheable else { return decision }
            let now = self.request.time.nanosecondsSinceEpoch
            let deadline = CachingAuthorizer.deadline(
                for: identity, now: now,
                timeToLive: (plan.settings.timeToLive ?? self.owner.settings.timeToLive).cacheNanoseconds,
                negativeTimeToLive: self.owner.settings.negativeTimeToLive.cacheNanoseconds)
            if deadline > now {
                self.owner.cache.insert(decision, for: key, cost: decision.cacheCost, expiresAt: deadline)
            }
            var computed = decision
            computed.cache = .miss
            return computed
        }
    }

    /// Answers from the cache what it can, synchronously, so that a transport can reply to a
    /// hit without leaving its event loop; the rest is ``Pending``.
    package func prepare(_ request: AuthzRequest, caller: CallerFacts) -> DecisionPreparation {
        guard let revision = self.authorizer.revision else {
            return .decided(Authorizer.notLoaded(identity: .anonymous))
        }
        guard request.pathProblem == nil, let index = revision.tree.policyIndex(for: request) else {
            // Rejected before any policy applies; nothing worth caching.
            return .decided(revision.tree.evaluate(request, identity: .anonymous))
        }
        let plan = revision.tree.cachePlans[index]
        guard self.settings.isEnabled, plan.isCacheable else {
            return .pending(
                Pending(
                    owner: self, request: request, caller: caller, revision: revision, policyIndex: index,
                    cacheable: nil))
        }
        let key = self.key(for: request, revision: revision, policyIndex: index, plan: plan, caller: caller)
        guard var decision = self.cache.value(for: key, now: request.time.nanosecondsSinceEpoch) else {
            return .pending(
                Pending(
                    owner: self, request: request, caller: caller, revision: revision, policyIndex: index,
                    cacheable: (key, plan)))
        }
        decision.cache = .hit
        return .decided(decision)
    }

    private func compute(_ pending: Pending, key: DecisionKey, plan: PolicyCachePlan) async throws -> Decision {
        let (request, caller, revision, index) = (
            pending.request, pending.caller, pending.revision, pending.policyIndex
        )
        let now = request.time.nanosecondsSinceEpoch
        let timeToLive = (plan.settings.timeToLive ?? self.settings.timeToLive).cacheNanoseconds
        let negativeTimeToLive = self.settings.negativeTimeToLive.cacheNanoseconds
        let outcome = try await self.cache.value(afterMissFor: key, now: now) {
            let (decision, identity) = try await revision.decide(request, policyIndex: index, caller: caller)
            let deadline = Self.deadline(
                for: identity, now: now, timeToLive: timeToLive, negativeTimeToLive: negativeTimeToLive)
            return CachedComputation(decision, cost: decision.cacheCost, expiresAt: deadline)
        }
        // The computation never yields nil.
        guard let outcome else {
            return try await revision.decide(request, policyIndex: index, caller: caller).decision
        }
        var decision = outcome.value
        switch outcome {
        case .hit: decision.cache = .hit
        case .computed: decision.cache = .miss
        case .joined: decision.cache = .coalesced
        }
        return decision
    }

    /// The key: generations, policy, the attributes it reads, the credentials.
    package func key(
        for request: AuthzRequest, revision: Authorizer.Revision, policyIndex: Int, plan: PolicyCachePlan,
        caller: CallerFacts
    ) -> DecisionKey {
        var key = DecisionKeyHasher()
        key.add(revision.generation)
        key.add(self.keyGeneration())
        key.add(UInt64(policyIndex))
        plan.addAttributes(of: request, to: &key)
        revision.authenticator.addCredentials(of: request, policyIndex: policyIndex, caller: caller, to: &key)
        return key.finalize()
    }

    /// Until when a decision made for `identity` at `now` may be served.
    static func deadline(for identity: Identity, now: Int64, timeToLive: Int64, negativeTimeToLive: Int64) -> Int64 {
        // A rejected credential's denial lives briefly: it absorbs floods of one bad token, and a
        // token rejected as not yet valid is looked at again soon.
        let lifetime = identity.credentialFailure == nil ? timeToLive : min(timeToLive, negativeTimeToLive)
        var deadline = now.addingReportingOverflow(lifetime).overflow ? Int64.max : now + lifetime
        if let validUntil = identity.validUntil { deadline = min(deadline, validUntil.nanosecondsSinceEpoch) }
        return deadline
    }
}
