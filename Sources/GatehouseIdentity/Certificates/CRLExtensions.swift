import GatehouseCore
import SwiftASN1
import X509

/// The extensions of a decoded CRL, checked against what Gatehouse implements (RFC 5280 §5.2, §5.3).
///
/// The CRL number is an ordinary extension: it is read (critical or not, as some CAs mark it),
/// and a version 2 CRL without it is refused, since RFC 5280 §5.2.3 requires it of every CRL.
/// The authority key identifier, and entries' reason codes and invalidity dates, change nothing
/// about which serials are revoked, so they are accepted critical or not. A delta CRL, an issuing
/// distribution point and an entry's certificate issuer change what the list means (a
/// difference, a partition, someone else's certificates): they are refused even when not
/// marked critical, as is any other critical extension.
struct CRLExtensions {
    /// The CRL number's content bytes (a non-negative INTEGER); `nil` for a version 1 CRL.
    var number: ArraySlice<UInt8>?

    private static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    private static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
    private static let deltaCRLIndicator: ASN1ObjectIdentifier = [2, 5, 29, 27]
    private static let issuingDistributionPoint: ASN1ObjectIdentifier = [2, 5, 29, 28]
    private static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
    private static let invalidityDate: ASN1ObjectIdentifier = [2, 5, 29, 24]
    private static let certificateIssuer: ASN1ObjectIdentifier = [2, 5, 29, 29]

    /// Checks `list`'s extensions and reads its CRL number.
    ///
    /// - Throws: ``IdentityError`` whose message ends a sentence about the CRL:
    ///   ``IdentityError/Code/revocationListMalformed`` for an extension named twice or a CRL
    ///   number that is not a non-negative INTEGER, ``IdentityError/Code/revocationListUnsupported``
    ///   for a delta or indirect CRL, an issuing distribution point or another critical extension,
    ///   ``IdentityError/Code/revocationListNumberMissing`` for a version 2 CRL without a number.
    init(_ list: CertificateList) throws(IdentityError) {
        try Self.checkDistinct(list.extensions, "the CRL")
        for extensionValue in list.extensions {
            switch extensionValue.oid {
            case Self.crlNumber: self.number = try Self.decodeNumber(extensionValue)
            case Self.authorityKeyIdentifier: continue
            default: try Self.refuse(extensionValue)
            }
        }
        for entry in list.entries {
            try Self.checkDistinct(entry.extensions, "an entry")
            for extensionValue in entry.extensions
            where extensionValue.oid != Self.reasonCode && extensionValue.oid != Self.invalidityDate {
                try Self.refuse(extensionValue)
            }
        }
        if list.version == 2, self.number == nil {
            throw CertificateRevocationList.error(
                .revocationListNumberMissing,
                "is version 2 but has no CRL number (extension 2.5.29.20), which RFC 5280 §5.2.3 requires of every CRL",
                fix: "have the CA issue it with one (with OpenSSL, a 'crlnumber' file in the CA's directory)")
        }
    }

    private static func checkDistinct(_ extensions: [Certificate.Extension], _ owner: String) throws(IdentityError) {
        var seen: Set<ASN1ObjectIdentifier> = []
        for extensionValue in extensions where !seen.insert(extensionValue.oid).inserted {
            throw CertificateRevocationList.error(
                .revocationListMalformed, "names extension \(extensionValue.oid) twice in \(owner)",
                fix: "export it again from the CA")
        }
    }

    private static func decodeNumber(_ extensionValue: Certificate.Extension) throws(IdentityError) -> ArraySlice<
        UInt8
    > {
        let bytes: ArraySlice<UInt8>
        do {
            bytes = try ArraySlice<UInt8>(derEncoded: extensionValue.value)
        } catch {
            throw CertificateRevocationList.error(
                .revocationListMalformed, "has a CRL number that is not an INTEGER", fix: "export it again from the CA",
                cause: error)
        }
        guard let first = bytes.first, first & 0x80 == 0 else {
            throw CertificateRevocationList.error(
                .revocationListMalformed, "has a negative CRL number", fix: "export it again from the CA")
        }
        return bytes
    }

    /// Throws for `extensionValue`, which is not understood, unless it is non-critical and harmless to ignore.
    private static func refuse(_ extensionValue: Certificate.Extension) throws(IdentityError) {
        let problem: String
        let fix: String
        switch extensionValue.oid {
        case Self.deltaCRLIndicator:
            problem = "is a delta CRL (extension 2.5.29.27, delta CRL indicator), which Gatehouse does not apply"
            fix = "load the CA's complete CRL instead"
        case Self.issuingDistributionPoint:
            problem =
                "has an issuing distribution point (extension 2.5.29.28), so it may cover only some of the CA's certificates or be indirect, which Gatehouse does not implement"
            fix = "load a complete CRL the CA issues for all its certificates"
        case Self.certificateIssuer:
            problem =
                "is an indirect CRL (an entry has extension 2.5.29.29, certificate issuer), which Gatehouse does not implement"
            fix = "load the CRL the certificates' own CA issues"
        default:
            guard extensionValue.critical else { return }
            problem = "has the critical extension \(extensionValue.oid), which Gatehouse does not implement"
            fix = "load a CRL without it"
        }
        throw CertificateRevocationList.error(.revocationListUnsupported, problem, fix: fix)
    }
}
