import GatehouseCore
import X509

/// What a verified certificate (or a trusted principal) says about the caller, under a policy's
/// SPIFFE trust domain and X-Road mappings.
///
/// - At most one `spiffe:` URI may be present (two or more are always invalid), and it must be
///   a well-formed SPIFFE ID in the trust domain when one is set.
/// - With a trust domain and no X-Road mapping, a SPIFFE ID is required.
/// - With X-Road mappings, a certificate without a SPIFFE ID must map to an X-Road client.
/// - With neither, a certificate that chains is enough; its subject identifies it.
struct CertificateIdentityRules: Sendable {
    let trustDomain: String?
    let xroad: XRoadMapper

    /// The identity of a leaf that chained to the trust bundle.
    func identity(of leaf: Certificate) -> CertificateVerification {
        // The verifier decoded the SAN extension before building the chain, so this does not throw.
        let names = (try? leaf.extensions.subjectAlternativeNames).map(Array.init) ?? []
        let uris = names.compactMap { name -> String? in
            guard case .uniformResourceIdentifier(let uri) = name else { return nil }
            return uri
        }
        return self.identity(uris: uris, subject: SubjectAttributes(leaf.subject), described: leaf.displayName) {
            PeerIdentity(
                subject: RFC4514Name.render(leaf.subject), serialNumber: leaf.hexSerialNumber,
                notAfter: UnixTime(leaf.notValidAfter))
        }
    }

    /// The identity Envoy's principal names: a URI SAN, or a subject DN in RFC 4514 text.
    func identity(ofPrincipal principal: String) -> CertificateVerification {
        let described = "Envoy's principal \(Quoted(principal))"
        if Self.isURI(principal) {
            return self.identity(uris: [principal], subject: SubjectAttributes(), described: described) {
                PeerIdentity()
            }
        }
        guard let attributes = RFC4514Name.parse(principal) else {
            return .reject(
                .certificatePrincipalInvalid, "\(described) is neither a URI nor an RFC 4514 distinguished name.")
        }
        return self.identity(uris: [], subject: SubjectAttributes(attributes), described: described) {
            PeerIdentity(subject: principal)
        }
    }

    private func identity(
        uris: [String], subject: SubjectAttributes, described: String, base: () -> PeerIdentity
    ) -> CertificateVerification {
        let candidates = uris.filter(SPIFFEID.isCandidate)
        guard candidates.count <= 1 else {
            return .reject(
                .certificateSPIFFEInvalid, "\(described) has \(candidates.count) SPIFFE IDs; exactly one is allowed.")
        }
        var spiffeID: SPIFFEID?
        if let candidate = candidates.first {
            switch SPIFFEID.parse(candidate) {
            case .failure(let problem): return .rejected(problem.failure)
            case .success(let id): spiffeID = id
            }
        }
        if let spiffeID, let trustDomain = self.trustDomain, !ASCII.equal(spiffeID.trustDomain, trustDomain) {
            return .reject(
                .certificateSPIFFEInvalid,
                "\(described) has the SPIFFE ID \(Quoted(spiffeID.description)), outside the trust domain '\(trustDomain)'."
            )
        }
        let client = self.xroad.client(subject: subject, uris: uris)
        if spiffeID == nil, client == nil {
            if !self.xroad.mappings.isEmpty {
                return .reject(
                    .certificateXRoadUnmapped,
                    "\(described) has no SPIFFE ID and no X-Road mapping of the policy yields a client ID from it.")
            }
            if let trustDomain = self.trustDomain {
                return .reject(
                    .certificateSPIFFEInvalid,
                    "\(described) has no SPIFFE ID; the policy's trust domain '\(trustDomain)' requires one.")
            }
        }
        var peer = base()
        peer.spiffeID = spiffeID?.description
        peer.xroadClient = client
        return .verified(peer)
    }

    /// Whether `text` starts with a URI scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`);
    /// a DN cannot, since its first `=` comes before any `:`.
    private static func isURI(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            let first = bytes.first, (0x41...0x5A).contains(first & 0xDF)
        else { return false }
        return bytes[..<colon].allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0 & 0xDF) || "+-.".utf8.contains($0)
        }
    }
}
