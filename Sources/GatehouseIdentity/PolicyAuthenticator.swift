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
    /// Whether Envoy's `source.principal` may stand in for a certificate (only from a pinned mTLS caller).
    package var trustsEnvoyPrincipal: Bool

    package init(tokens: TokenVerifier?, certificates: ClientCertificateVerifier?, trustsEnvoyPrincipal: Bool) {
        self.tokens = tokens
        self.certificates = certificates
        self.trustsEnvoyPrincipal = trustsEnvoyPrincipal
    }

    /// The verified identity of `request`'s caller.
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
        let outcome: CertificateVerification?
        if let certificate = request.source.certificate, !certificate.isEmpty {
            outcome = await certificates.verify(urlEncodedPEM: certificate, at: request.time)
        } else if self.trustsEnvoyPrincipal, caller.isPinnedMutualTLS, let principal = request.source.principal,
            !principal.isEmpty
        {
            // Envoy verified the downstream certificate itself and forwards only what it names; we
            // believe it only from an Envoy whose own certificate we pinned, and only when the
            // policy says so.
            outcome = certificates.identity(fromPrincipal: principal)
        } else {
            outcome = nil
        }
        switch outcome {
        case .verified(let peer): identity.peer = peer
        case .rejected(let failure): identity.credentialFailure = failure
        case nil: break
        }
        return identity
    }

    /// Adds what ``identity(for:caller:)`` reads: every value at the token locations, the
    /// certificate, and Envoy's principal when it may stand in for one.
    package func addCredentials(of request: AuthzRequest, caller: CallerFacts, to key: inout some CacheKeyBuilder) {
        if let tokens { tokens.addTokenTexts(of: request, to: &key) }
        guard self.certificates != nil else { return }
        key.add(request.source.certificate)
        let principalCounts = self.trustsEnvoyPrincipal && caller.isPinnedMutualTLS
        key.add(principalCounts ? request.source.principal : nil)
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
