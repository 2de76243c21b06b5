package import GatehouseCore
import SwiftASN1
package import X509

/// The two front doors besides a forwarded certificate alone: a forwarded certificate that comes
/// with Envoy's principal, and the listener's own verified peer standing in for the source.
///
/// Both are held to the policy's rules exactly as a forwarded certificate is: the same path
/// building to the policy's trust bundle, the same CRLs, the same SPIFFE and X-Road rules.
extension ClientCertificateVerifier {
    /// Verifies a forwarded certificate, then checks that Envoy's principal, when it forwarded
    /// one, names that certificate as Envoy names it.
    ///
    /// Envoy derives `source.principal` from the peer certificate: its first URI SAN, else its
    /// first DNS SAN, else its subject (RFC 2253 text). A principal naming anything else means
    /// the two fields do not describe one connection (a forged or mixed-up check), and the
    /// request is refused with `certificate_principal_mismatch`, whether or not the principal is
    /// trusted.
    ///
    /// - Parameters:
    ///   - urlEncodedPEM: Envoy's `source.certificate`, as ``verify(urlEncodedPEM:at:)`` reads it.
    ///   - principal: Envoy's `source.principal`; `nil` or empty when it forwarded none.
    ///   - time: The request's time.
    /// - Returns: The peer identity, or the rejection with its `certificate_…` code.
    package func verify(urlEncodedPEM: String, principal: String?, at time: UnixTime) async -> CertificateVerification {
        guard let principal, !principal.isEmpty else {
            return await self.verify(urlEncodedPEM: urlEncodedPEM, at: time)
        }
        let certificates: [Certificate]
        switch URLEncodedPEM.certificates(from: urlEncodedPEM) {
        case .success(let decoded): certificates = decoded
        case .failure(let problem): return .rejected(problem.failure)
        }
        let outcome = await self.verify(certificates: certificates, at: time)
        guard case .verified = outcome, let leaf = certificates.first else { return outcome }
        guard Self.envoyPrincipal(principal, names: leaf) else {
            return .reject(
                .certificatePrincipalMismatch,
                "Envoy's principal \(Quoted(principal)) does not name the forwarded certificate \(leaf.displayName).")
        }
        return outcome
    }

    /// Verifies the listener's peer (the mTLS client of the check) as the policy would verify the
    /// same chain forwarded by Envoy.
    ///
    /// The listener verified the chain against its own `clientCA`; the policy's trust bundle,
    /// CRLs, trust domain and X-Road mappings may differ, so the leaf is verified again here with
    /// the path's other certificates as untrusted candidates (the listener's anchor is left out:
    /// only the policy's own roots anchor a path).
    ///
    /// - Parameters:
    ///   - peer: The peer the listener verified.
    ///   - time: The request's time.
    /// - Returns: The peer identity under the policy, or the rejection with its `certificate_…` code.
    package func verify(listenerPeer peer: ListenerPeer, at time: UnixTime) async -> CertificateVerification {
        let chain = peer.certificateChain.count > 1 ? peer.certificateChain.dropLast() : peer.certificateChain[...]
        switch Self.parse(Array(chain)) {
        case .success(let certificates): return await self.verify(certificates: certificates, at: time)
        case .failure(let problem): return .rejected(problem.failure)
        }
    }

    /// Whether `principal` is what Envoy derives from `leaf`: the first URI SAN, else the first
    /// DNS SAN (case-insensitively), else the subject (compared attribute by attribute, so that
    /// escaping differences between OpenSSL's RFC 2253 text and ours do not matter).
    ///
    /// - Parameters:
    ///   - principal: Envoy's `source.principal`.
    ///   - leaf: The forwarded client certificate.
    /// - Returns: Whether Envoy would have forwarded `principal` for `leaf`.
    package static func envoyPrincipal(_ principal: String, names leaf: Certificate) -> Bool {
        let names = (try? leaf.extensions.subjectAlternativeNames).map(Array.init) ?? []
        for name in names {
            if case .uniformResourceIdentifier(let uri) = name { return principal == uri }
        }
        for name in names {
            if case .dnsName(let dns) = name { return ASCII.equal(principal, dns) }
        }
        guard let named = RFC4514Name.parse(principal),
            let subject = RFC4514Name.parse(RFC4514Name.render(leaf.subject))
        else { return false }
        return named.count == subject.count
            && zip(named, subject).allSatisfy { $0.oid == $1.oid && $0.value == $1.value }
    }
}

extension DecisionReason {
    /// Envoy forwarded a certificate and a principal that does not name it (its first URI SAN,
    /// else first DNS SAN, else subject).
    package static let certificatePrincipalMismatch = DecisionReason(code: "certificate_principal_mismatch")
}
