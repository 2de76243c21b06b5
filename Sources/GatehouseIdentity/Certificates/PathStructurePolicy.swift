import GatehouseCore
import SwiftASN1
import X509

/// The RFC 5280 §6.1 rules on how a path is put together: versions, basic constraints, path
/// lengths, and issuers' key usage.
///
/// - A version 1 certificate has no extensions (§4.1.2.1).
/// - Every issuer in the path is a CA: basic constraints with `cA: true` (a version 1 issuer,
///   which cannot carry the extension, is accepted as swift-certificates and most
///   implementations accept it).
/// - An issuer's `pathLenConstraint` counts the non-self-issued intermediates below it (§4.2.1.9).
/// - An issuer with key usage allows `keyCertSign` (§6.1.4 (n)). swift-certificates skips this
///   for compatibility with the web PKI; OpenSSL, and so Envoy's own TLS, enforces it.
struct PathStructurePolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage,
    ]

    func problem(in chain: [Certificate]) -> CertificateProblem? {
        if let versionOne = chain.first(where: { $0.version == .v1 && !$0.extensions.isEmpty }) {
            return self.invalid(chain, "\(versionOne.displayName) is a version 1 certificate with extensions")
        }
        var intermediatesBelow = 0
        for certificate in chain.dropFirst() {
            if let problem = self.issuerProblem(certificate, intermediatesBelow: intermediatesBelow) {
                return self.invalid(chain, problem)
            }
            // Only non-self-issued intermediates count against a path length (RFC 5280 §4.2.1.9).
            if certificate.issuer != certificate.subject { intermediatesBelow += 1 }
        }
        return nil
    }

    /// What keeps `issuer` from issuing the certificate below it, with `intermediatesBelow` between it and the leaf.
    private func issuerProblem(_ issuer: Certificate, intermediatesBelow: Int) -> String? {
        guard issuer.version != .v1 else { return nil }
        let constraints: BasicConstraints?
        let usage: KeyUsage?
        do {
            constraints = try issuer.extensions.basicConstraints
            usage = try issuer.extensions.keyUsage
        } catch {
            return "the issuing certificate \(issuer.displayName) has basic constraints or key usage that do not decode"
        }
        guard case .isCertificateAuthority(let maximumPathLength) = constraints else {
            return "the issuing certificate \(issuer.displayName) is not a CA"
        }
        if let maximumPathLength, maximumPathLength < intermediatesBelow {
            return
                "the CA \(issuer.displayName) allows \(maximumPathLength) intermediates below it, and the path has \(intermediatesBelow)"
        }
        if let usage, !usage.keyCertSign {
            return "the CA \(issuer.displayName) has key usage without keyCertSign, so it may not sign certificates"
        }
        return nil
    }

    private func invalid(_ chain: [Certificate], _ problem: String) -> CertificateProblem {
        CertificateProblem(
            .certificateChainInvalid, "The chain of \(chain[0].displayName) breaks RFC 5280: \(problem).")
    }
}
