package import GatehouseCore

/// Verifies the credentials one policy accepts: its JWT issuers and its client-certificate trust.
///
/// A presented credential that fails is a ``CredentialFailure`` (the tree denies with 401, or
/// the policy's `invalidCertificateStatus`); a token is checked before the certificate, and the
/// first failure decides. A policy without an `authentication` section sees every caller as
/// anonymous, whatever it presents.
package struct PolicyAuthenticator: Sendable {
    /// The policy's JWT issuers, if it accepts tokens.
    package var tokens: TokenVerifier?
    /// The policy's client-certificate trust, if it accepts certificates.
    package var certificates: ClientCertificateVerifier?
    /// Whether Envoy's `source.principal` may stand in for a certificate (only on a listener
    /// trusted for forwarded identities).
    package var trustsEnvoyPrincipal: Bool
    /// Whether the verified listener peer is the source identity when Envoy forwards neither a
    /// certificate nor a principal (`listenerPeer: true`).
    package var acceptsListenerPeer: Bool

    package init(
        tokens: TokenVerifier?, certificates: ClientCertificateVerifier?, trustsEnvoyPrincipal: Bool,
        acceptsListenerPeer: Bool = false
    ) {
        self.tokens = tokens
        self.certificates = certificates
        self.trustsEnvoyPrincipal = trustsEnvoyPrincipal
        self.acceptsListenerPeer = acceptsListenerPeer
    }

    /// The verified identity of `request`'s caller.
    ///
    /// The source identity comes from the first of: the forwarded certificate (with Envoy's
    /// principal, when forwarded too, naming it); Envoy's principal alone, when the policy trusts
    /// it and the listener is trusted for forwarded identities; the listener's verified peer,
    /// when the policy opts in and Envoy forwarded neither. Each is held to the policy's rules.
    package func identity(for request: AuthzRequest, caller: CallerFacts) async -> Identity {
        var identity = Identity()
        if let tokens {
            switch await tokens.verify(request) {
            case .absent: break
            case .verified(let token): identity.token = token
            case .rejected(let failure):
                identity.credentialFailure = failure
                return identity
            }
        }
        guard let certificates else { return identity }
        switch await self.source(of: request, caller: caller, certificates: certificates) {
        case .verified(let peer): identity.peer = peer
        case .rejected(let failure): identity.credentialFailure = failure
        case nil: break
        }
        return identity
    }

    /// What ``identity(for:caller:)`` returns, when it needs no waiting: `nil` when a
    /// certificate chain is to be verified (a forwarded certificate, the listener peer) or the
    /// token names a key id its issuer's current set lacks.
    package func identityWithoutWaiting(for request: AuthzRequest, caller: CallerFacts) -> Identity? {
        var identity = Identity()
        // Decided before the token is verified, so that nothing is verified twice.
        var principalSource: CertificateVerification? = nil
        if let certificates {
            let principal = request.source.principal.flatMap { $0.isEmpty ? nil : $0 }
            if let certificate = request.source.certificate, !certificate.isEmpty { return nil }
            if let principal {
                if self.trustsEnvoyPrincipal, caller.trustsForwardedIdentity {
                    principalSource = certificates.identity(fromPrincipal: principal)
                }
            } else if self.acceptsListenerPeer, caller.listenerPeer != nil {
                return nil
            }
        }
        if let tokens {
            switch tokens.verifyWithoutWaiting(request) {
            case nil: return nil
            case .absent?: break
            case .verified(let token)?: identity.token = token
            case .rejected(let failure)?:
                identity.credentialFailure = failure
                return identity
            }
        }
        switch principalSource {
        case .verified(let peer)?: identity.peer = peer
        case .rejected(let failure)?: identity.credentialFailure = failure
        case nil: break
        }
        return identity
    }

    private func source(
        of request: AuthzRequest, caller: CallerFacts, certificates: ClientCertificateVerifier
    ) async -> CertificateVerification? {
        let principal = request.source.principal.flatMap { $0.isEmpty ? nil : $0 }
        if let certificate = request.source.certificate, !certificate.isEmpty {
            return await certificates.verify(urlEncodedPEM: certificate, principal: principal, at: request.time)
        }
        if let principal {
            // Envoy verified the downstream certificate itself and forwards only what it names; we
            // believe it only on a listener whose callers cannot be anyone (a Unix socket, a
            // pinned mTLS listener), and only when the policy says so. An untrusted principal
            // still means Envoy is speaking for a downstream caller: never the listener peer then.
            guard self.trustsEnvoyPrincipal, caller.trustsForwardedIdentity else { return nil }
            return certificates.identity(fromPrincipal: principal)
        }
        if self.acceptsListenerPeer, let peer = caller.listenerPeer {
            return await certificates.verify(listenerPeer: peer, at: request.time)
        }
        return nil
    }

    /// Adds what ``identity(for:caller:)`` reads: every value at the token locations, the
    /// certificate, Envoy's principal and whether it may stand in for one, and the listener
    /// peer's chain when the policy reads it.
    package func addCredentials(of request: AuthzRequest, caller: CallerFacts, to key: inout some CacheKeyBuilder) {
        if let tokens { tokens.addTokenTexts(of: request, to: &key) }
        guard self.certificates != nil else { return }
        key.add(request.source.certificate)
        key.add(request.source.principal)
        key.add(UInt64(self.trustsEnvoyPrincipal && caller.trustsForwardedIdentity ? 1 : 0))
        guard self.acceptsListenerPeer, let peer = caller.listenerPeer else {
            key.add(UInt64(0))
            return
        }
        key.add(UInt64(peer.certificateChain.count + 1))
        for der in peer.certificateChain { key.add(bytes: der) }
    }
}

/// The authenticators of every policy of one revision, indexed like ``DecisionTree/policies``.
package struct PolicyAuthenticators: Authenticator {
    private let byPolicy: [PolicyAuthenticator?]

    /// - Parameter byPolicy: One entry per policy of the tree, `nil` for a policy without authentication.
    package init(byPolicy: [PolicyAuthenticator?]) {
        self.byPolicy = byPolicy
    }

    /// - Throws: ``IdentityError/Code/revisionInconsistent`` when the tree names a policy this
    ///   revision has no entry for; a rejected credential is not thrown but part of the ``Identity``.
    package func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
        guard self.byPolicy.indices.contains(policyIndex) else {
            throw IdentityError(
                code: .revisionInconsistent,
                message: "No authenticator for policy #\(policyIndex); the revision was activated inconsistently.")
        }
        guard let authenticator = self.byPolicy[policyIndex] else { return .anonymous }
        return await authenticator.identity(for: request, caller: caller)
    }

    /// - Throws: ``IdentityError/Code/revisionInconsistent`` as ``identity(for:policyIndex:caller:)`` does.
    package func identityWithoutWaiting(
        for request: AuthzRequest, policyIndex: Int, caller: CallerFacts
    ) throws -> Identity? {
        guard self.byPolicy.indices.contains(policyIndex) else {
            throw IdentityError(
                code: .revisionInconsistent,
                message: "No authenticator for policy #\(policyIndex); the revision was activated inconsistently.")
        }
        guard let authenticator = self.byPolicy[policyIndex] else { return .anonymous }
        return authenticator.identityWithoutWaiting(for: request, caller: caller)
    }

    package func addCredentials(
        of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
    ) {
        // An index out of range makes identity(for:) throw, so the decision is never stored.
        guard self.byPolicy.indices.contains(policyIndex), let authenticator = self.byPolicy[policyIndex] else {
            return
        }
        authenticator.addCredentials(of: request, caller: caller, to: &key)
    }
}
