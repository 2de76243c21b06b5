package import GatehouseCore
package import X509

/// Verifies client certificates against one policy's `mtls` section.
///
/// The verifier is built once per policy revision: it parses the trust bundle and CRLs, splits
/// the bundle into roots (self-signed) and intermediates, and indexes the CRLs, so a check does
/// no parsing beyond the leaf Envoy forwards. swift-certificates builds and validates the path
/// (RFC 5280 at the request's time) with Gatehouse's policies for end-entity, client-auth
/// usage and revocation; the identity comes from the leaf's SPIFFE ID and X-Road mappings.
///
/// ```swift
/// let verifier = try ClientCertificateVerifier(settings: mtls)
/// switch await verifier.verify(urlEncodedPEM: request.source.certificate!, at: request.time) {
/// case .verified(let peer): Identity(peer: peer)
/// case .rejected(let failure): Identity(credentialFailure: failure)
/// }
/// ```
package struct ClientCertificateVerifier: Sendable {
    private let roots: CertificateStore
    private let intermediates: CertificateStore
    private let revocation: RevocationPolicy.Index
    private let rules: CertificateIdentityRules

    /// Builds a verifier from parsed values (for tests and other front doors).
    ///
    /// - Parameters:
    ///   - trustBundle: Roots (the self-signed certificates) and intermediates (the others);
    ///     a leaf whose intermediate is not here is untrusted, since Envoy forwards only the leaf.
    ///   - crls: Verified CRLs; a certificate is revoked when the CRL of its issuer lists it.
    ///   - trustDomain: The SPIFFE trust domain IDs must be in; `nil` accepts any.
    ///   - xroad: How X-Road client IDs are derived, first match wins.
    package init(
        trustBundle: [Certificate], crls: [CertificateRevocationList], trustDomain: String?,
        xroad: [XRoadMapping]
    ) {
        let roots = trustBundle.filter(\.isSelfSigned)
        self.roots = CertificateStore(roots)
        self.intermediates = CertificateStore(trustBundle.filter { !roots.contains($0) })
        self.revocation = RevocationPolicy.index(crls)
        self.rules = CertificateIdentityRules(trustDomain: trustDomain, xroad: XRoadMapper(mappings: xroad))
    }

    /// Verifies Envoy's `source.certificate` (URL-encoded PEM of the leaf; Envoy forwards the leaf only) at `time`.
    ///
    /// - Parameters:
    ///   - urlEncodedPEM: The percent-encoded PEM; at most 64 KiB, exactly one certificate.
    ///   - time: The request's time: validity and CRL freshness are judged at it, never at the wall clock.
    /// - Returns: The peer identity, or the rejection with its `certificate_…` code.
    package func verify(urlEncodedPEM: String, at time: UnixTime) async -> CertificateVerification {
        let leaf: Certificate
        switch URLEncodedPEM.certificate(from: urlEncodedPEM) {
        case .success(let certificate): leaf = certificate
        case .failure(let problem): return .rejected(problem.failure)
        }
        if let problem = Self.unreadableExtension(of: leaf) { return .rejected(problem.failure) }
        let policy = ClientCertificatePolicy(time: time, revocation: self.revocation)
        var verifier = Verifier(rootCertificates: self.roots) { policy }
        switch await verifier.validate(leaf: leaf, intermediates: self.intermediates) {
        case .validCertificate:
            return self.rules.identity(of: leaf)
        case .couldNotValidate(let failures):
            // The policy is a pure function of the chain, so asking it again names the failure.
            let problem =
                failures.lazy.compactMap { policy.problem(in: $0.chain) }.first
                ?? CertificateProblem(
                    .certificateUntrusted,
                    "The client certificate \(leaf.displayName) does not chain to the policy's trust bundle.")
            return .rejected(problem.failure)
        }
    }

    /// Maps Envoy's `source.principal` (a URI SAN such as a SPIFFE ID, or a subject DN) without a certificate.
    ///
    /// The caller decides whether the principal is trusted at all (the policy's
    /// `trustEnvoyPrincipal` over a pinned mTLS listener). The same SPIFFE and X-Road rules apply.
    ///
    /// - Returns: The peer identity (its subject set when the principal is a DN), or the rejection.
    package func identity(fromPrincipal principal: String) -> CertificateVerification {
        self.rules.identity(ofPrincipal: principal)
    }

    /// A problem with an extension of the leaf that must be read before the chain is built:
    /// one that does not decode, or a critical one Gatehouse does not enforce.
    private static func unreadableExtension(of leaf: Certificate) -> CertificateProblem? {
        if let unknown = leaf.extensions.first(where: {
            $0.critical && !ClientCertificatePolicy.enforcedExtensions.contains($0.oid)
        }) {
            return CertificateProblem(
                .certificateUnsupportedCriticalExtension,
                "The client certificate \(leaf.displayName) has the critical extension \(unknown.oid), which Gatehouse does not enforce."
            )
        }
        do {
            _ = try leaf.extensions.basicConstraints
            _ = try leaf.extensions.keyUsage
            _ = try leaf.extensions.extendedKeyUsage
            _ = try leaf.extensions.subjectAlternativeNames
            return nil
        } catch {
            return CertificateProblem(
                .certificateMalformed,
                "The client certificate \(leaf.displayName) has an extension that does not decode.")
        }
    }
}
