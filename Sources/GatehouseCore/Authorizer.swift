import Synchronization

/// Decides checks against whichever policy revision is active, and swaps revisions atomically.
///
/// The tree is an immutable value read under a short lock; a check that has read it finishes
/// on that revision even if a reload activates another one meanwhile. Before any revision is
/// active every check is denied (`policy_not_loaded`, 503): fail closed.
///
/// ```swift
/// let authorizer = Authorizer()
/// authorizer.activate(try PolicyCompiler.compile(directory: "policies").tree)
/// let decision = authorizer.check(request, identity: identity)
/// ```
package final class Authorizer: Sendable {
    private let current: Mutex<DecisionTree?>

    package init(tree: DecisionTree? = nil) {
        self.current = Mutex(tree)
    }

    /// The active tree, if any.
    package var tree: DecisionTree? { self.current.withLock { $0 } }

    /// Whether a policy revision is active.
    package var isReady: Bool { self.current.withLock { $0 != nil } }

    /// Makes `tree` the revision that decides every check from now on.
    package func activate(_ tree: DecisionTree) {
        self.current.withLock { $0 = tree }
    }

    /// Decides one request.
    package func check(_ request: AuthzRequest, identity: Identity) -> Decision {
        guard let tree = self.tree else {
            return Decision(outcome: .deny, status: 503, reason: .policyNotLoaded, subject: identity.subject)
        }
        return tree.evaluate(request, identity: identity)
    }
}
