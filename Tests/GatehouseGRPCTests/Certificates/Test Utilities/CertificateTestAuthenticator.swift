import GatehouseCore
import GatehouseIdentity
import GatehousePolicy

/// A test-only authenticator that verifies client certificates with each policy's `mtls`
/// section; the lead's composition of tokens and certificates replaces it.
///
/// Envoy's `source.certificate` is verified when present; otherwise `source.principal` is
/// mapped only when the policy trusts it and the caller is a pinned mTLS Envoy.
struct CertificateTestAuthenticator: Authenticator {
    private struct Entry {
        var verifier: ClientCertificateVerifier
        var trustsPrincipal: Bool
    }

    /// By the tree's policy index (the tree sorts policies by name; documents keep file order).
    private let entries: [Int: Entry]

    init(_ set: CompiledPolicySet) throws(IdentityConfigurationError) {
        var entries: [Int: Entry] = [:]
        for (index, policy) in set.tree.policies.enumerated() {
            guard let document = set.documents.first(where: { $0.name.value == policy.name }),
                let mtls = document.authentication?.mtls
            else { continue }
            entries[index] = Entry(
                verifier: try ClientCertificateVerifier(document: mtls), trustsPrincipal: mtls.trustEnvoyPrincipal)
        }
        self.entries = entries
    }

    func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
        guard let entry = self.entries[policyIndex] else { return .anonymous }
        let result: CertificateVerification
        if let certificate = request.source.certificate {
            result = await entry.verifier.verify(urlEncodedPEM: certificate, at: request.time)
        } else if let principal = request.source.principal, entry.trustsPrincipal, caller.isPinnedMutualTLS {
            result = entry.verifier.identity(fromPrincipal: principal)
        } else {
            return .anonymous
        }
        switch result {
        case .verified(let peer): return Identity(peer: peer)
        case .rejected(let failure): return Identity(credentialFailure: failure)
        }
    }
}
