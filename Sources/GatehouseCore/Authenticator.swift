/// Verifies the credentials that the policy selecting a request accepts.
///
/// Each policy names its own issuers and trust bundle, so the identity of a caller depends
/// on the policy: the ``Authorizer`` selects the policy first, then asks the authenticator
/// for the identity under that policy, then evaluates the rules. A credential that fails
/// verification is an ``Identity/credentialFailure``, not an error; an error means Gatehouse
/// itself failed, and the ``Authorizer`` denies with `internal_error` (fail closed).
package protocol Authenticator: Sendable {
    /// The verified identity of `request`'s caller under the policy at `policyIndex` of the active tree.
    func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity
}

/// What Gatehouse knows about the client that sent the check (Envoy), as opposed to the end user.
package struct CallerFacts: Sendable, Hashable {
    /// Whether the check arrived over mutual TLS from a caller whose identity is pinned in the
    /// listener configuration; only then may Envoy's `source.principal` be trusted without a
    /// certificate, and only where the policy says so.
    package var isPinnedMutualTLS: Bool

    package init(isPinnedMutualTLS: Bool = false) {
        self.isPinnedMutualTLS = isPinnedMutualTLS
    }
}

/// Treats every caller as anonymous: for policies without an `authentication` section and tests.
package struct AnonymousAuthenticator: Authenticator {
    package init() {}

    package func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
        .anonymous
    }
}
