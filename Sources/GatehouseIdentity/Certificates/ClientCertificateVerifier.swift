package import GatehouseCore
package import X509

/// Verifies client certificates against one policy's `mtls` section.
///
/// The verifier is built once per policy revision: it parses the trust bundle and CRLs, splits
/// the bundle into roots (self-signed) and intermediates, and indexes the CRLs, so a check does
/// no parsing beyond the certificates Envoy forwards. ``CertificatePathBuilder`` builds the path
/// (bounded signature checks; the client's own intermediates are untrusted candidates) and
/// ``ClientCertificatePolicy`` validates it at the request's time (RFC 5280, end entity,
/// client-auth usage, revocation); the identity comes from the leaf's SPIFFE ID and X-Road mappings.
///
/// ```swift
/// let verifier = try ClientCertificateVerifier(settings: mtls)
/// switch await verifier.verify(urlEncodedPEM: request.source.certificate!, at: request.time) {
/// case .verified(let peer): Identity(peer: peer)
/// case .rejected(let failure): Identity(credentialFailure: failure)
/// }
/// ```
package struct ClientCertificateVerifier: Sendable {
    // Internal, not private: ClientCertificateVerifier+ListenerPeer.swift verifies chains with them.
    let paths: CertificatePathBuilder
    let revocation: RevocationPolicy.Index
    let rules: CertificateIdentityRules

    /// Builds a verifier from parsed values (for tests and other front doors).
    ///
    /// - Parameters:
    ///   - trustBundle: Roots (the self-signed certificates) and intermediates (the others).
    ///   - crls: Decoded CRLs; a certificate is revoked when a CRL its issuer's key verified
    ///     lists it (verified at load by a bundle CA, or else against the intermediate in the path).
    ///   - trustDomain: The SPIFFE trust domain IDs must be in; `nil` accepts any.
    ///   - xroad: How X-Road client IDs are derived, first match wins.
    package init(
        trustBundle: [Certificate], crls: [CertificateRevocationList], trustDomain: String?,
        xroad: [XRoadMapping]
    ) {
        let roots = trustBundle.filter(\.isSelfSigned)
        self.paths = CertificatePathBuilder(
            roots: roots, intermediates: trustBundle.filter { !roots.contains($0) },
            handledExtensions: ClientCertificatePolicy.enforcedExtensions)
        self.revocation = RevocationPolicy.Index(crls)
        self.rules = CertificateIdentityRules(trustDomain: trustDomain, xroad: XRoadMapper(mappings: xroad))
    }

    /// Verifies Envoy's `source.certificate` (URL-encoded PEM: the leaf, then any intermediates
    /// the client sent) at `time`.
    ///
    /// - Parameters:
    ///   - urlEncodedPEM: The percent-encoded PEM; at most 64 KiB and 8 certificates, leaf first.
    ///     The certificates after the leaf are only candidates for building the path; only the
    ///     trust bundle's roots anchor it.
    ///   - time: The request's time: validity and CRL freshness are judged at it, never at the wall clock.
    /// - Returns: The peer identity, or the rejection with its `certificate_…` code.
    package func verify(urlEncodedPEM: String, at time: UnixTime) async -> CertificateVerification {
        switch URLEncodedPEM.certificates(from: urlEncodedPEM) {
        case .success(let certificates):
            return await self.verify(certificates: certificates, at: time)
        case .failure(let problem):
            return .rejected(problem.failure)
        }
    }

    /// Verifies parsed certificates, leaf first, at `time`: what ``verify(urlEncodedPEM:at:)``
    /// does once it has decoded them.
    ///
    /// - Parameters:
    ///   - certificates: The leaf, then the client's intermediates (untrusted path-building
    ///     candidates); at most 8. Empty is `certificate_malformed`.
    ///   - time: The request's time.
    /// - Returns: The peer identity, or the rejection with its `certificate_…` code.
    package func verify(certificates: [Certificate], at time: UnixTime) async -> CertificateVerification {
        guard let leaf = certificates.first else {
            return .reject(.certificateMalformed, "The client sent no certificate.")
        }
        guard certificates.count <= URLEncodedPEM.maximumCertificates else {
            return .reject(
                .certificateChainTooLong,
                "The client sent \(certificates.count) certificates; at most \(URLEncodedPEM.maximumCertificates) are read."
            )
        }
        switch self.validate(leaf: leaf, extras: Array(certificates.dropFirst()), at: time) {
        case .success: return self.rules.identity(of: leaf)
        case .failure(let problem): return .rejected(problem.failure)
        }
    }

    /// The path from `leaf` to a root of the trust bundle that meets the policy at `time`, or
    /// the problem that stops it: an unreadable or unsupported leaf extension first, then what
    /// ``CertificatePathBuilder/build(leaf:extras:policy:)`` finds.
    func validate(leaf: Certificate, extras: [Certificate], at time: UnixTime) -> Result<
        [Certificate], CertificateProblem
    > {
        if let problem = Self.unreadableExtension(of: leaf) { return .failure(problem) }
        let policy = ClientCertificatePolicy(time: time, revocation: self.revocation)
        return self.paths.build(leaf: leaf, extras: extras, policy: policy)
    }

    /// Maps Envoy's `source.principal` (a URI SAN such as a SPIFFE ID, or a subject DN) without a certificate.
    ///
    /// The caller decides whether the principal is trusted at all (the policy's
    /// `trustEnvoyPrincipal` on a listener trusted for forwarded identities). The same SPIFFE and
    /// X-Road rules apply.
    ///
    /// - Returns: The peer identity (its subject set when the principal is a DN), or the rejection.
    package func identity(fromPrincipal principal: String) -> CertificateVerification {
        self.rules.identity(ofPrincipal: principal)
    }

    /// A problem with an extension of the leaf that must be read before the chain is built:
    /// one that does not decode, or a critical one Gatehouse does not enforce.
    static func unreadableExtension(of leaf: Certificate) -> CertificateProblem? {
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
