import Synchronization

/// Decides checks against whichever policy revision is active, and swaps revisions atomically.
///
/// A revision is a decision tree, the authenticator built from the same policy set and the
/// readiness of that authenticator's key sets; all are immutable and swapped together under one
/// short lock, so a check that has read them finishes on that revision even if a reload
/// activates another one meanwhile, and readiness never pairs one revision's tree with another's
/// key sets. Before any revision is active every check is denied (`policy_not_loaded`, 503):
/// fail closed.
///
/// ```swift
/// let authorizer = Authorizer()
/// authorizer.activate(tree, authenticator: authenticator)
/// let decision = await authorizer.decide(request, caller: CallerFacts())
/// ```
package final class Authorizer: Sendable {
    /// One active policy revision.
    package struct Revision: Sendable {
        /// The compiled rules.
        package var tree: DecisionTree
        /// Verifies credentials for the tree's policies (indexed like ``DecisionTree/policies``).
        package var authenticator: any Authenticator
        /// Counts activations: each revision gets a new one, so nothing cached under an
        /// earlier revision is found under this one.
        package var generation: UInt64
        /// Whether the revision's remote key sets have loaded; `nil` when it needs none.
        package var isLoaded: (@Sendable () -> Bool)?
        /// A candidate evaluated beside this revision, never enforced (``loadShadow(_:)``).
        package var shadow: ShadowPolicy?

        /// Whether every credential source this revision needs is loaded.
        package var isReady: Bool { self.isLoaded?() ?? true }

        /// Verifies the caller's credentials under the policy at `policyIndex`, then evaluates.
        ///
        /// - Returns: The decision and the identity it was made for.
        package func decide(_ request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> (
            decision: Decision, identity: Identity
        ) {
            let identity = try await self.authenticator.identity(for: request, policyIndex: policyIndex, caller: caller)
            let decision = self.tree.evaluate(request, identity: identity)
            // After the decision is final; the candidate runs on its own task.
            self.shadow?.observe(request, identity: identity, active: decision)
            return (decision, identity)
        }

        /// ``decide(_:policyIndex:caller:)`` when the authenticator can verify without waiting
        /// (``Authenticator/identityWithoutWaiting(for:policyIndex:caller:)``); `nil` otherwise.
        package func decideWithoutWaiting(_ request: AuthzRequest, policyIndex: Int, caller: CallerFacts) throws -> (
            decision: Decision, identity: Identity
        )? {
            guard
                let identity = try self.authenticator.identityWithoutWaiting(
                    for: request, policyIndex: policyIndex, caller: caller)
            else { return nil }
            let decision = self.tree.evaluate(request, identity: identity)
            self.shadow?.observe(request, identity: identity, active: decision)
            return (decision, identity)
        }
    }

    /// The active revision; the only mutable state, so one lock covers every swap.
    private let current: Mutex<Revision?>

    package init(tree: DecisionTree? = nil, authenticator: any Authenticator = AnonymousAuthenticator()) {
        self.current = Mutex(tree.map { Revision(tree: $0, authenticator: authenticator, generation: 0) })
    }

    /// The active revision, if any.
    package var revision: Revision? { self.current.withLock { $0 } }

    /// The active tree, if any.
    package var tree: DecisionTree? { self.revision?.tree }

    /// Whether a policy revision is active and every credential source it needs (key sets) is loaded.
    package var isReady: Bool {
        // Ask the revision read under the lock, outside it: the readiness check may take locks of its own.
        self.revision?.isReady ?? false
    }

    /// Makes `tree` the revision that decides every check from now on.
    ///
    /// - Parameters:
    ///   - authenticator: Verifies credentials for `tree`'s policies.
    ///   - isLoaded: Whether the revision's remote key sets have loaded; health reports
    ///     SERVING only when it says so.
    package func activate(
        _ tree: DecisionTree,
        authenticator: any Authenticator = AnonymousAuthenticator(),
        isLoaded: (@Sendable () -> Bool)? = nil
    ) {
        self.current.withLock { current in
            let generation = (current?.generation ?? 0) + 1
            current = Revision(
                tree: tree, authenticator: authenticator, generation: generation, isLoaded: isLoaded,
                shadow: current?.shadow)
        }
    }

    /// Evaluates `candidate` beside every revision from now on (kept across activations), or
    /// stops shadow evaluation when `nil`; the candidate replaced is stopped. Without an active
    /// revision the candidate is stopped and not kept (``shadow`` stays `nil`).
    ///
    /// - Returns: The candidate that was loaded before, if any.
    @discardableResult
    package func loadShadow(_ candidate: ShadowPolicy?) -> ShadowPolicy? {
        let (previous, loaded) = self.current.withLock { current -> (ShadowPolicy?, Bool) in
            let previous = current?.shadow
            current?.shadow = candidate
            return (previous, current != nil)
        }
        previous?.stop()
        // Without an active revision there is nothing to compare with: the candidate is not kept.
        if !loaded { candidate?.stop() }
        return previous
    }

    /// The candidate evaluated in shadow, if any.
    package var shadow: ShadowPolicy? { self.revision?.shadow }

    /// Decides one request whose identity is already known (tests, `gatehouse check`).
    package func check(_ request: AuthzRequest, identity: Identity) -> Decision {
        guard let tree = self.tree else { return Self.notLoaded(identity: identity) }
        return tree.evaluate(request, identity: identity)
    }

    /// Decides one request: selects the policy, verifies the caller's credentials under it, evaluates.
    ///
    /// - Throws: What the authenticator threw (Gatehouse failed, not the caller); the caller of
    ///   this method denies with `internal_error`.
    package func decide(_ request: AuthzRequest, caller: CallerFacts) async throws -> Decision {
        guard let revision = self.revision else { return Self.notLoaded(identity: .anonymous) }
        guard request.pathProblem == nil, let index = revision.tree.policyIndex(for: request) else {
            // Rejected before any policy applies; no credential is looked at.
            return revision.tree.evaluate(request, identity: .anonymous)
        }
        return try await revision.decide(request, policyIndex: index, caller: caller).decision
    }

    package static func notLoaded(identity: Identity) -> Decision {
        Decision(outcome: .deny, status: 503, reason: .policyNotLoaded, subject: identity.subject)
    }
}

extension Authorizer: CheckDecider {
    /// Answers at once what needs no credential (no active revision, a request no policy
    /// selects or whose path is rejected); the rest waits for verification and evaluation.
    package func prepare(_ request: AuthzRequest, caller: CallerFacts) -> DecisionPreparation {
        guard let revision = self.revision else { return .decided(Self.notLoaded(identity: .anonymous)) }
        guard request.pathProblem == nil, let index = revision.tree.policyIndex(for: request) else {
            return .decided(revision.tree.evaluate(request, identity: .anonymous))
        }
        return .pending(Evaluation(revision: revision, request: request, policyIndex: index, caller: caller))
    }
}

/// A check under one revision and policy, waiting for verification and evaluation.
private struct Evaluation: PendingDecision {
    let revision: Authorizer.Revision
    let request: AuthzRequest
    let policyIndex: Int
    let caller: CallerFacts

    var policyRevision: String { self.revision.tree.revision }

    func decide() async throws -> Decision {
        try await self.revision.decide(self.request, policyIndex: self.policyIndex, caller: self.caller).decision
    }

    func decideWithoutWaiting() throws -> Decision? {
        try self.revision.decideWithoutWaiting(self.request, policyIndex: self.policyIndex, caller: self.caller)?
            .decision
    }
}
