import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import X509

/// Certificates ``TestPKI`` does not make: CAs with name constraints, odd key usage or a
/// chosen name and key, leaves with e-mail names or a notAfter to the second, and chains as
/// Envoy forwards them.
enum ChainPKI {
    /// A CA certificate for `subject` with `key`, issued by `issuer` (self-signed when `nil`).
    static func authority(
        _ subject: DistinguishedName,
        key: P256.Signing.PrivateKey = P256.Signing.PrivateKey(),
        issuer: TestPKI.Authority? = nil,
        pathLength: Int? = nil,
        keyUsage: KeyUsage? = KeyUsage(keyCertSign: true, cRLSign: true),
        nameConstraints: NameConstraints? = nil,
        keyIdentifiers: Bool = true
    ) throws -> TestPKI.Authority {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: TestPKI.referenceDate - 30 * TestPKI.day,
            notValidAfter: TestPKI.referenceDate + 365 * TestPKI.day, issuer: issuer?.name ?? subject,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
                if let keyUsage { Critical(keyUsage) }
                if let nameConstraints { Critical(nameConstraints) }
                if keyIdentifiers {
                    SubjectKeyIdentifier(hash: publicKey)
                    if let identifier = try issuer?.certificate.extensions.subjectKeyIdentifier?.keyIdentifier {
                        AuthorityKeyIdentifier(keyIdentifier: identifier)
                    }
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(issuer?.key ?? key))
        return TestPKI.Authority(certificate: certificate, key: key)
    }

    /// A client certificate issued by `issuer` with `names` as subject alternative names.
    static func leaf(
        by issuer: TestPKI.Authority,
        names: [GeneralName] = [.uniformResourceIdentifier("spiffe://gov.example/ns/registry/sa/api")],
        subject: DistinguishedName = TestPKI.name("client"),
        keyUsage: KeyUsage = KeyUsage(digitalSignature: true),
        notAfter: Date = TestPKI.referenceDate + 30 * TestPKI.day
    ) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: TestPKI.referenceDate - TestPKI.day, notValidAfter: notAfter, issuer: issuer.name,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(keyUsage)
                try ExtendedKeyUsage([.clientAuth])
                if !names.isEmpty { SubjectAlternativeNames(names) }
                if let identifier = try issuer.certificate.extensions.subjectKeyIdentifier?.keyIdentifier {
                    AuthorityKeyIdentifier(keyIdentifier: identifier)
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(issuer.key))
    }

    /// `certificates` as Envoy forwards a chain in `source.certificate`: PEM blocks, percent-encoded.
    static func envoyEncoded(_ certificates: [Certificate]) throws -> String {
        TestPKI.urlEncoded(try TestPKI.pem(certificates))
    }

    /// A verifier for `bundle` and `crls` (DER, decoded against the bundle) in the gov.example trust domain.
    static func verifier(bundle: [Certificate], crls: [[UInt8]] = []) throws -> ClientCertificateVerifier {
        ClientCertificateVerifier(
            trustBundle: bundle,
            crls: try crls.map { try CertificateRevocationList(derEncoded: $0, issuers: bundle) },
            trustDomain: "gov.example", xroad: [])
    }

    /// The `certificate_…` code of a rejection, `nil` when verified.
    static func detail(_ result: CertificateVerification) -> DecisionReason? {
        guard case .rejected(let failure) = result else { return nil }
        return failure.detail
    }

    /// The description of a rejection, empty when verified.
    static func description(_ result: CertificateVerification) -> String {
        guard case .rejected(let failure) = result else { return "" }
        return failure.description
    }

    /// The request time `seconds` and `milliseconds` after the reference time (negative: before).
    static func time(seconds: Int64 = 0, milliseconds: Int32 = 0) -> UnixTime {
        let total = (TestPKI.referenceTime.seconds + seconds) * 1000 + Int64(milliseconds)
        let whole = total >= 0 ? total / 1000 : (total - 999) / 1000
        return UnixTime(seconds: whole, nanoseconds: Int32(total - whole * 1000) * 1_000_000)
    }
}
