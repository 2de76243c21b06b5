package import GatehouseCore
import SwiftASN1
import X509

/// The client certificate of a TLS listener's connection (Envoy's), verified with the rules of
/// a forwarded one.
///
/// The CLI builds one verifier per mTLS listener from `tls.clientCA` (the trust bundle),
/// `tls.crls` and `tls.trustDomain`, with no X-Road mappings. The difference from
/// ``verify(urlEncodedPEM:at:)`` is what the client sends: a TLS client presents its chain, so
/// the certificates after the leaf join the bundle's intermediates as untrusted candidates for
/// building the path; only the bundle's roots anchor it.
extension ClientCertificateVerifier: ListenerPeerVerifier {
    package func verify(chain: [[UInt8]], at time: UnixTime) async -> ListenerPeerVerification {
        let leaf: Certificate
        let presented: [Certificate]
        switch Self.parse(chain) {
        case .success(let certificates):
            leaf = certificates[0]
            presented = Array(certificates.dropFirst())
        case .failure(let problem):
            return .refused(problem.failure)
        }
        // The same bounded path building and policy as a forwarded chain.
        switch self.validate(leaf: leaf, extras: presented, at: time) {
        case .success(let path):
            switch self.rules.identity(of: leaf) {
            case .verified(let identity):
                return .accepted(ListenerPeer(certificateChain: path.compactMap(Self.der), identity: identity))
            case .rejected(let failure):
                return .refused(failure)
            }
        case .failure(let problem):
            return .refused(problem.failure)
        }
    }

    /// The presented certificates, leaf first; a problem when there are none, too many, or one does
    /// not parse. Also reads a listener peer's chain again under a policy (`verify(listenerPeer:at:)`).
    static func parse(_ chain: [[UInt8]]) -> Result<[Certificate], CertificateProblem> {
        guard !chain.isEmpty else {
            return .failure(CertificateProblem(.certificateMalformed, "The client presented no certificate."))
        }
        // As many as a forwarded chain may hold; a longer one is refused unread.
        guard chain.count <= URLEncodedPEM.maximumCertificates else {
            return .failure(
                CertificateProblem(
                    .certificateChainTooLong,
                    "The client presented \(chain.count) certificates; at most \(URLEncodedPEM.maximumCertificates) are read."
                ))
        }
        var certificates: [Certificate] = []
        for (index, der) in chain.enumerated() {
            guard let certificate = try? Certificate(derEncoded: der) else {
                return .failure(
                    CertificateProblem(
                        .certificateMalformed,
                        "The client's certificate number \(index + 1) (the leaf is 1) is not valid X.509."))
            }
            certificates.append(certificate)
        }
        return .success(certificates)
    }

    /// `certificate` in DER; `nil` only if it cannot be serialized, which a parsed or loaded one always can.
    private static func der(_ certificate: Certificate) -> [UInt8]? {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return nil }
        return serializer.serializedBytes
    }
}
