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

    /// The same identity as ``identity(for:policyIndex:caller:)`` when it can be had without
    /// suspending (the issuer's keys are loaded and name the token's key, no certificate chain
    /// to verify), so that a front door can decide a cache miss on its event loop; `nil` when
    /// verification must wait. The default is `nil`: always the asynchronous path.
    func identityWithoutWaiting(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) throws -> Identity?

    /// Adds to `key` every part of `request` and `caller` that ``identity(for:policyIndex:caller:)``
    /// reads: the raw token texts at the policy's token locations, the client certificate, Envoy's
    /// principal and whether it is trusted, the listener peer's chain. Two requests that add the same material must get the same identity
    /// (at the same time, with the same keys); the decision cache relies on it to never serve one
    /// caller's decision to another. Adding more than is read is safe; adding less is not.
    func addCredentials(
        of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder)
}

/// What Gatehouse knows about the client that sent the check (Envoy), as opposed to the end user.
package struct CallerFacts: Sendable, Hashable {
    /// Whether the check arrived over mutual TLS from a caller whose identity is pinned in the
    /// listener configuration (`allowedClients`).
    package var isPinnedMutualTLS: Bool
    /// Whether the listener the check arrived on is trusted for forwarded identities
    /// (`trustForwardedIdentity`: a Unix socket, or a pinned mTLS listener); only then may
    /// Envoy's `source.principal` stand in for a certificate, and only where the policy says so.
    package var trustsForwardedIdentity: Bool
    /// The client certificate chain the listener verified during the TLS handshake, and what it
    /// names; `nil` on a listener without client certificates.
    ///
    /// A policy with `authentication.mtls.listenerPeer: true` reads it as the request's source
    /// identity when Envoy forwards neither a certificate nor a principal; its authenticator then
    /// adds the chain to the cache key in ``Authenticator/addCredentials(of:policyIndex:caller:to:)``.
    package var listenerPeer: ListenerPeer?

    package init(
        isPinnedMutualTLS: Bool = false, trustsForwardedIdentity: Bool = false, listenerPeer: ListenerPeer? = nil
    ) {
        self.isPinnedMutualTLS = isPinnedMutualTLS
        self.trustsForwardedIdentity = trustsForwardedIdentity
        self.listenerPeer = listenerPeer
    }
}

extension Authenticator {
    package func identityWithoutWaiting(
        for request: AuthzRequest, policyIndex: Int, caller: CallerFacts
    ) throws -> Identity? {
        nil
    }
}

/// Treats every caller as anonymous: for policies without an `authentication` section and tests.
package struct AnonymousAuthenticator: Authenticator {
    package init() {}

    package func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
        .anonymous
    }

    package func identityWithoutWaiting(
        for request: AuthzRequest, policyIndex: Int, caller: CallerFacts
    ) throws -> Identity? {
        .anonymous
    }

    package func addCredentials(
        of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
    ) {
        // Every caller is the same anonymous caller: nothing to add.
    }
}
