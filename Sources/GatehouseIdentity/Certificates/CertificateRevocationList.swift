package import GatehouseCore
package import X509

/// An X.509 v2 CRL whose signature was verified by its issuer from the trust bundle.
///
/// swift-certificates has no CRL type, so the DER is decoded here (RFC 5280 §5). A CRL is
/// accepted only when a CA certificate of the trust bundle with the CRL's issuer name (and
/// `cRLSign` when it has key usage) verifies its signature; a certificate counts as revoked
/// only when that same CA key issued it. Delta CRLs, indirect CRLs and any other critical
/// extension are refused, since ignoring them could hide a revocation.
///
/// ```swift
/// let crl = try CertificateRevocationList(derEncoded: der, issuers: bundle)
/// crl.isRevoked(leaf.serialNumber)
/// ```
package struct CertificateRevocationList: Sendable {
    /// The CRL's issuer name.
    package let issuer: DistinguishedName
    /// When the CRL was issued.
    package let thisUpdate: UnixTime
    /// When the next CRL is due; after it this one is stale.
    package let nextUpdate: UnixTime?
    /// The serial numbers it revokes.
    package let revokedSerialNumbers: Set<Certificate.SerialNumber>
    /// The trust bundle certificate whose key verified the signature.
    package let signer: Certificate

    /// Decodes a DER CRL and verifies its signature against the CA in `issuers` that issued it.
    ///
    /// - Parameters:
    ///   - bytes: The DER of one `CertificateList`.
    ///   - issuers: The trust bundle's certificates.
    /// - Throws: ``IdentityError`` (without a location): ``IdentityError/Code/revocationListMalformed``
    ///   when the CRL does not decode, ``IdentityError/Code/revocationListUnsupported`` for an
    ///   unsupported algorithm or critical extension, ``IdentityError/Code/revocationListUntrusted``
    ///   when its issuer is not in `issuers`, may not sign CRLs, or its signature does not verify.
    package init(derEncoded bytes: [UInt8], issuers: [Certificate]) throws(IdentityError) {
        let list: CertificateList
        do {
            list = try CertificateList(derEncoded: bytes)
        } catch let error as IdentityError {
            throw Self.error(
                error.code, "is not a valid X.509 CRL: \(error.message)", fix: "export it again as DER or PEM")
        } catch {
            throw Self.error(
                .revocationListMalformed, "is not a valid DER X.509 CRL", fix: "export it again as DER or PEM",
                cause: error)
        }
        if let critical = (list.extensions + list.entries.flatMap(\.extensions)).first(where: \.critical) {
            throw Self.error(
                .revocationListUnsupported,
                "has the critical extension \(critical.oid), which Gatehouse does not implement (delta and indirect CRLs are not supported)",
                fix: "use a complete CRL issued directly by the CA")
        }
        self.signer = try Self.signer(of: list, among: issuers)
        self.issuer = list.issuer
        self.thisUpdate = list.thisUpdate
        self.nextUpdate = list.nextUpdate
        self.revokedSerialNumbers = Set(list.entries.map(\.serialNumber))
    }

    /// Whether the CRL is current at `time`: issued before it, and its `nextUpdate` (if any) not yet passed.
    package func isCurrent(at time: UnixTime) -> Bool {
        self.thisUpdate <= time && self.nextUpdate.map { time <= $0 } ?? true
    }

    /// Whether the CRL lists `serialNumber`.
    package func isRevoked(_ serialNumber: Certificate.SerialNumber) -> Bool {
        self.revokedSerialNumbers.contains(serialNumber)
    }

    private static func signer(of list: CertificateList, among issuers: [Certificate])
        throws(IdentityError)
        -> Certificate
    {
        let issuerName = Quoted(RFC4514Name.render(list.issuer))
        let candidates = issuers.filter { $0.subject == list.issuer }
        guard !candidates.isEmpty else {
            throw Self.error(
                .revocationListUntrusted,
                "is issued by \(issuerName), which is not in the trust bundle",
                fix: "add that CA to the trust bundle or remove the CRL")
        }
        guard
            let signer = candidates.first(where: {
                $0.publicKey.isValidSignature(
                    list.signature, for: list.signedBytes, signatureAlgorithm: list.signatureAlgorithm)
            })
        else {
            throw Self.error(
                .revocationListUntrusted,
                "has a signature that does not verify with the key of \(issuerName) from the trust bundle",
                fix: "download the CRL again from its CA; it may be corrupted or forged")
        }
        // Key usage, when present, must allow cRLSign; a key usage that does not decode allows nothing.
        var canSignCRLs = false
        if case .success(let usage) = signer.decodedKeyUsage { canSignCRLs = usage?.cRLSign ?? true }
        guard signer.isCertificateAuthority == true, canSignCRLs else {
            throw Self.error(
                .revocationListUntrusted,
                "is signed by \(issuerName), which is not a CA allowed to sign CRLs (basic constraints cA and key usage cRLSign)",
                fix: "use the CRL its CA issued")
        }
        return signer
    }

    private static func error(
        _ code: IdentityError.Code, _ problem: String, fix: String, cause: (any Error)? = nil
    ) -> IdentityError {
        IdentityError(code: code, message: "The CRL \(problem); \(fix).", cause: cause)
    }
}
