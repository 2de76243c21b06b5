package import GatehouseCore
import SwiftASN1
package import X509

/// An X.509 CRL, decoded, whose signature is verified by its issuer: a CA of the trust bundle
/// when the policy loads, or else an intermediate met while building a path.
///
/// swift-certificates has no CRL type, so the DER is decoded here (RFC 5280 §5). When a CA of
/// the trust bundle bears the CRL's issuer name, one of them (a CA, with `cRLSign` when it has
/// key usage) must verify its signature now; otherwise the CRL is kept unverified and counts
/// only for an intermediate of that name whose key verifies it during path building (a
/// root-only bundle can still revoke what its intermediates issued). A certificate counts as
/// revoked only by a CRL its own issuer's key verified.
///
/// Extensions: the CRL number (which RFC 5280 §5.2.3 requires of every v2 CRL), the authority
/// key identifier, and entries' reason codes and invalidity dates are understood, critical or
/// not. Delta CRLs, issuing distribution points (partitioned or indirect CRLs), entries' certificate
/// issuers (indirect CRLs) and any other critical extension are refused, since ignoring them
/// could hide a revocation.
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
    /// The CRL number's big-endian two's-complement bytes; `nil` only for a version 1 CRL.
    package let number: ArraySlice<UInt8>?
    /// The serial numbers it revokes.
    package let revokedSerialNumbers: Set<Certificate.SerialNumber>
    /// The trust bundle certificate whose key verified the signature; `nil` when no CA of the
    /// bundle bears the issuer name, and an intermediate met while building a path must verify it.
    package private(set) var signer: Certificate?

    private let signedBytes: ArraySlice<UInt8>
    private let signature: ArraySlice<UInt8>
    private let signatureAlgorithm: Certificate.SignatureAlgorithm

    /// Decodes a DER CRL and verifies its signature against the CA in `issuers` that issued it.
    ///
    /// - Parameters:
    ///   - bytes: The DER of one `CertificateList`.
    ///   - issuers: The trust bundle's certificates.
    /// - Throws: ``IdentityError`` (without a location): ``IdentityError/Code/revocationListMalformed``
    ///   when the CRL does not decode, ``IdentityError/Code/revocationListNumberMissing`` for a v2
    ///   CRL without a CRL number, ``IdentityError/Code/revocationListUnsupported`` for an
    ///   unsupported algorithm or critical extension, ``IdentityError/Code/revocationListUntrusted``
    ///   when CAs of `issuers` bear its issuer name but none may sign CRLs and verifies its signature.
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
        let extensions = try CRLExtensions(list)
        self.number = extensions.number
        self.issuer = list.issuer
        self.thisUpdate = list.thisUpdate
        self.nextUpdate = list.nextUpdate
        self.revokedSerialNumbers = Set(list.entries.map(\.serialNumber))
        (self.signedBytes, self.signature) = (list.signedBytes, list.signature)
        self.signatureAlgorithm = list.signatureAlgorithm
        let candidates = issuers.filter { $0.subject == list.issuer }
        guard !candidates.isEmpty else { return }
        guard let signer = candidates.first(where: self.isSigned(by:)) else {
            throw Self.error(
                .revocationListUntrusted,
                "is not signed by \(Quoted(RFC4514Name.render(list.issuer))) from the trust bundle: no CA of that name that may sign CRLs (basic constraints cA, key usage cRLSign) verifies its signature",
                fix: "download the CRL again from its CA; it may be corrupted or forged")
        }
        self.signer = signer
    }

    /// Whether the CRL is current at `time`: issued before it, and its `nextUpdate` (if any) not
    /// yet passed, both at the CRL's one-second precision.
    package func isCurrent(at time: UnixTime) -> Bool {
        self.thisUpdate.seconds <= time.seconds && self.nextUpdate.map { time.seconds <= $0.seconds } ?? true
    }

    /// Whether the CRL lists `serialNumber`.
    package func isRevoked(_ serialNumber: Certificate.SerialNumber) -> Bool {
        self.revokedSerialNumbers.contains(serialNumber)
    }

    /// Whether `certificate` issued this CRL: it bears the issuer name, is a CA whose key usage
    /// (when present) allows `cRLSign`, and its key verifies the signature.
    package func isSigned(by certificate: Certificate) -> Bool {
        guard certificate.subject == self.issuer, certificate.isCertificateAuthority == true else { return false }
        // Key usage, when present, must allow cRLSign; a key usage that does not decode allows nothing.
        guard case .success(let usage) = certificate.decodedKeyUsage, usage?.cRLSign ?? true else { return false }
        return certificate.publicKey.isValidSignature(
            self.signature, for: self.signedBytes, signatureAlgorithm: self.signatureAlgorithm)
    }

    static func error(
        _ code: IdentityError.Code, _ problem: String, fix: String, cause: (any Error)? = nil
    ) -> IdentityError {
        IdentityError(code: code, message: "The CRL \(problem); \(fix).", cause: cause)
    }
}
