/// What a front door (the gRPC service, the direct transport) needs from whatever decides checks.
///
/// Deciding is split in two: a synchronous first step answers what it can at once (a cache
/// hit, a denial before any policy applies) and hands back the rest as work to await. A
/// transport can then reply to the first kind on its event loop, with no task hop and no
/// allocation beyond the answer. ``Authorizer`` decides without a cache; GatehouseCache's
/// `CachingAuthorizer` answers repeats from its cache. The CLI chooses which one a front door
/// gets, so the front doors need neither.
package protocol CheckDecider: Sendable {
    /// Answers `request` at once if it can; otherwise returns the verification and evaluation left to do.
    func prepare(_ request: AuthzRequest, caller: CallerFacts) -> DecisionPreparation
}

/// How far a check gets without verifying a credential or evaluating a rule.
package enum DecisionPreparation: Sendable {
    /// Decided already: a cache hit, no active revision, or a denial before any policy applies.
    case decided(Decision)
    /// Needs credential verification and evaluation.
    case pending(any PendingDecision)
}

/// The work left for a check that ``CheckDecider/prepare(_:caller:)`` could not answer at once.
package protocol PendingDecision: Sendable {
    /// The name of the policy revision the check is decided on (for a fail-closed denial).
    var policyRevision: String { get }

    /// Verifies the caller's credentials and evaluates.
    ///
    /// - Throws: What the authenticator threw (Gatehouse failed, not the caller); the front
    ///   door denies with `internal_error`.
    func decide() async throws -> Decision

    /// The decision ``decide()`` would make, made now if that needs no waiting (see
    /// ``Authenticator/identityWithoutWaiting(for:policyIndex:caller:)``), with the same side
    /// effects (a cacheable decision is stored); `nil` when only ``decide()`` can make it. The
    /// front doors try it first, so that a miss whose keys are loaded is decided on their event
    /// loop without a task. The default is `nil`.
    ///
    /// - Throws: What the authenticator threw; the front door denies with `internal_error`.
    func decideWithoutWaiting() throws -> Decision?
}

extension PendingDecision {
    package func decideWithoutWaiting() throws -> Decision? { nil }
}
