import GatehouseCore
import SwiftASN1
import Synchronization
import X509

/// No certificate of the chain is revoked by a CRL of the CA that issued it.
///
/// A CRL counts for a certificate only when it was verified by the very key of the issuer in
/// this chain and names the certificate's issuer: a CRL from a same-named CA with another key
/// revokes nothing here. CRLs verified by a trust-bundle CA when the policy loaded are found by
/// that key. A CRL whose issuer is in no bundle CA's name is checked here against the
/// intermediate of that name in the chain (which already chains to a root), and the outcome is
/// remembered; when none of the CRLs loaded for that name verifies with its key, revocation is
/// unknown. When CRLs for an issuer apply but none is current at the request time, revocation is
/// unknown too and the chain fails (as OpenSSL does with an expired CRL); a CA without any
/// loaded CRL is not checked.
struct RevocationPolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    let index: Index
    let time: UnixTime

    func problem(in chain: [Certificate]) -> CertificateProblem? {
        guard !self.index.isEmpty else { return nil }
        for position in 0..<(chain.count - 1) {
            let certificate = chain[position]
            let issuer = chain[position + 1]
            let what = position == 0 ? "The client certificate" : "The issuing CA certificate"
            let lists: [CertificateRevocationList]
            switch self.index.lists(issuedBy: issuer, for: certificate) {
            case .some(let found): lists = found
            case .none:
                return CertificateProblem(
                    .certificateRevocationUnknown,
                    "\(what) \(certificate.displayName) cannot be checked for revocation: no CRL loaded for \(issuer.displayName) verifies with its key; load the CRL that CA issues."
                )
            }
            guard !lists.isEmpty else { continue }
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

extension RevocationPolicy {
    /// The loaded CRLs: by the bundle key that verified them, or by issuer name, waiting for an
    /// intermediate of that name; plus what path building learned about the latter.
    struct Index: Sendable {
        /// The most (CRL, issuer key) outcomes remembered; past it they are checked each time.
        static let maximumRemembered = 4096

        private let verified: [Certificate.PublicKey: [CertificateRevocationList]]
        private let pending: [DistinguishedName: [(id: Int, list: CertificateRevocationList)]]
        private let outcomes: SignatureOutcomes

        /// Indexes `lists`: those with a ``CertificateRevocationList/signer`` by its key, the others by issuer name.
        init(_ lists: [CertificateRevocationList]) {
            var verified: [Certificate.PublicKey: [CertificateRevocationList]] = [:]
            var pending: [DistinguishedName: [(id: Int, list: CertificateRevocationList)]] = [:]
            for (id, list) in lists.enumerated() {
                if let signer = list.signer {
                    verified[signer.publicKey, default: []].append(list)
                } else {
                    pending[list.issuer, default: []].append((id, list))
                }
            }
            (self.verified, self.pending, self.outcomes) = (verified, pending, SignatureOutcomes())
        }

        var isEmpty: Bool { self.verified.isEmpty && self.pending.isEmpty }

        /// The CRLs that apply to `certificate` issued by `issuer` (empty when none is loaded),
        /// or `nil` when CRLs await an issuer of that name but none verifies with `issuer`'s key.
        func lists(issuedBy issuer: Certificate, for certificate: Certificate) -> [CertificateRevocationList]? {
            let byKey = (self.verified[issuer.publicKey] ?? []).filter { $0.issuer == certificate.issuer }
            guard let waiting = self.pending[certificate.issuer], issuer.subject == certificate.issuer else {
                return byKey
            }
            let signed = waiting.filter { self.outcomes.isSigned($0.list, id: $0.id, by: issuer) }.map(\.list)
            return byKey.isEmpty && signed.isEmpty ? nil : byKey + signed
        }
    }

    /// Whether a pending CRL was issued by an intermediate (name, CA, `cRLSign`, signature),
    /// remembered across checks.
    ///
    /// A reference type shared by every copy of the verifier of one policy revision; the
    /// outcomes are a pure function of (CRL, key), so any check may fill them.
    final class SignatureOutcomes: Sendable {
        private struct Key: Hashable {
            var id: Int
            var issuer: Certificate
        }

        private let outcomes = Mutex<[Key: Bool]>([:])

        func isSigned(_ list: CertificateRevocationList, id: Int, by issuer: Certificate) -> Bool {
            let key = Key(id: id, issuer: issuer)
            if let known = self.outcomes.withLock({ $0[key] }) { return known }
            // Checked outside the lock; two checks racing compute the same answer.
            let signed = list.isSigned(by: issuer)
            self.outcomes.withLock { outcomes in
                if outcomes.count < Index.maximumRemembered { outcomes[key] = signed }
            }
            return signed
        }
    }
}
