import GatehouseCore
import SwiftASN1
import X509

/// No certificate of the chain is revoked by a CRL of the CA that issued it.
///
/// A CRL counts for a certificate only when it was verified by the very key of the issuer in
/// this chain and names the certificate's issuer: a CRL from a same-named CA with another key
/// revokes nothing here. When CRLs for an issuer are loaded but none is current at the request
/// time, revocation is unknown and the chain fails (as OpenSSL does with an expired CRL); a CA
/// without any loaded CRL is not checked.
struct RevocationPolicy: CodedVerifierPolicy {
    /// The loaded CRLs by the public key that verified them.
    typealias Index = [Certificate.PublicKey: [CertificateRevocationList]]

    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    let index: Index
    let time: UnixTime

    /// Groups `lists` by the key that verified them.
    static func index(_ lists: [CertificateRevocationList]) -> Index {
        Dictionary(grouping: lists, by: \.signer.publicKey)
    }

    func problem(in chain: UnverifiedCertificateChain) -> CertificateProblem? {
        guard !self.index.isEmpty else { return nil }
        for position in 0..<(chain.count - 1) {
            let certificate = chain[position]
            let issuer = chain[position + 1]
            let lists = (self.index[issuer.publicKey] ?? []).filter { $0.issuer == certificate.issuer }
            guard !lists.isEmpty else { continue }
            let what = position == 0 ? "The client certificate" : "The issuing CA certificate"
            if lists.contains(where: { $0.isRevoked(certificate.serialNumber) }) {
                return CertificateProblem(
                    .certificateRevoked, "\(what) \(certificate.displayName) is revoked by its issuer's CRL.")
            }
            if !lists.contains(where: { $0.isCurrent(at: self.time) }) {
                return CertificateProblem(
                    .certificateRevocationUnknown,
                    "\(what) \(certificate.displayName) cannot be checked for revocation: the CRL of \(issuer.displayName) is not current at the request time; load a fresh CRL."
                )
            }
        }
        return nil
    }
}
