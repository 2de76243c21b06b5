package import Crypto
package import Foundation
package import GatehouseCore
package import SwiftASN1
package import X509

/// Certificates, keys and CRLs made inside the tests, all relative to one fixed reference time.
///
/// Every key is P-256 (fast to generate); CRLs are DER-encoded here with SwiftASN1, since
/// swift-certificates cannot make them.
package enum TestPKI {
    /// 2026-01-01T00:00:00Z: the request time of every check in the tests.
    package static let referenceTime = UnixTime(seconds: 1_767_225_600)
    package static let referenceDate = Date(timeIntervalSince1970: 1_767_225_600)
    package static let day: TimeInterval = 86_400

    /// A certificate authority: its certificate and signing key.
    package struct Authority: Sendable {
        package var certificate: Certificate
        package var key: P256.Signing.PrivateKey
        package var name: DistinguishedName { self.certificate.subject }

        package init(certificate: Certificate, key: P256.Signing.PrivateKey) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// What a client certificate should look like; the defaults make a valid SPIFFE client.
    package struct Leaf {
        package var subject = TestPKI.name("client")
        package var uris: [String] = ["spiffe://gov.example/ns/registry/sa/api"]
        package var dnsNames: [String] = []
        package var notBefore = TestPKI.referenceDate - TestPKI.day
        package var notAfter = TestPKI.referenceDate + 30 * TestPKI.day
        package var isCA = false
        package var extendedKeyUsage: [ExtendedKeyUsage.Usage]? = [.clientAuth]
        package var keyUsage: KeyUsage? = KeyUsage(digitalSignature: true)
        package var serialNumber = Certificate.SerialNumber()
        /// An extension marked critical that no verifier knows.
        package var unknownCriticalExtension = false
        package var key = P256.Signing.PrivateKey()

        package init() {}
    }

    /// `O=Gatehouse Test, CN=common`.
    package static func name(_ common: String, organization: String = "Gatehouse Test") -> DistinguishedName {
        DistinguishedName([
            RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: organization)),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: common)),
        ])
    }

    /// A self-signed root CA.
    package static func root(
        _ common: String = "Test Root CA",
        key: P256.Signing.PrivateKey = P256.Signing.PrivateKey(),
        notBefore: Date = referenceDate - 365 * day,
        notAfter: Date = referenceDate + 3650 * day,
        keyIdentifier: [UInt8]? = nil
    ) throws -> Authority {
        let name = Self.name(common)
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                if let keyIdentifier {
                    SubjectKeyIdentifier(keyIdentifier: ArraySlice(keyIdentifier))
                } else {
                    SubjectKeyIdentifier(hash: publicKey)
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return Authority(certificate: certificate, key: key)
    }

    /// An intermediate CA issued by `issuer`.
    package static func intermediate(
        _ common: String = "Test Issuing CA",
        issuer: Authority,
        notBefore: Date = referenceDate - 180 * day,
        notAfter: Date = referenceDate + 1800 * day
    ) throws -> Authority {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: issuer.name, subject: Self.name(common),
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
                try Self.authorityKeyIdentifier(of: issuer)
            },
            issuerPrivateKey: Certificate.PrivateKey(issuer.key))
        return Authority(certificate: certificate, key: key)
    }

    /// A client certificate as `leaf` describes, issued by `issuer`.
    package static func issue(_ leaf: Leaf = Leaf(), by issuer: Authority) throws -> Certificate {
        let names: [GeneralName] = leaf.dnsNames.map { .dnsName($0) } + leaf.uris.map { .uniformResourceIdentifier($0) }
        return try Certificate(
            version: .v3, serialNumber: leaf.serialNumber, publicKey: Certificate.PublicKey(leaf.key.publicKey),
            notValidBefore: leaf.notBefore, notValidAfter: leaf.notAfter, issuer: issuer.name, subject: leaf.subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(
                    leaf.isCA
                        ? BasicConstraints.isCertificateAuthority(maxPathLength: nil)
                        : BasicConstraints.notCertificateAuthority)
                if let usage = leaf.keyUsage { Critical(usage) }
                if let usages = leaf.extendedKeyUsage { try ExtendedKeyUsage(usages) }
                if !names.isEmpty { SubjectAlternativeNames(names) }
                try Self.authorityKeyIdentifier(of: issuer)
                if leaf.unknownCriticalExtension {
                    Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 55_555, 1], critical: true, value: [0x05, 0x00])
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(issuer.key))
    }

    private static func authorityKeyIdentifier(of issuer: Authority) throws -> AuthorityKeyIdentifier {
        let identifier = try issuer.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        return AuthorityKeyIdentifier(keyIdentifier: identifier)
    }

    /// A DER v2 CRL by `issuer` revoking `serials`, signed by `signingKey` (the issuer's key unless
    /// a test forges one), with the CRL number RFC 5280 requires (`number`; `nil` leaves it out)
    /// before `extensions`.
    package static func crl(
        by issuer: Authority,
        revoking serials: [Certificate.SerialNumber],
        thisUpdate: Date = referenceDate - day,
        nextUpdate: Date? = referenceDate + 7 * day,
        signingKey: P256.Signing.PrivateKey? = nil,
        number: Int? = 1,
        extensions: [Certificate.Extension] = []
    ) throws -> [UInt8] {
        var extensions = extensions
        if let number {
            var value = DER.Serializer()
            try value.serialize(number)
            extensions.insert(
                Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: ArraySlice(value.serializedBytes)),
                at: 0)
        }
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try Self.ecdsaWithSHA256(&coder)
            try coder.serialize(issuer.name)
            try coder.serialize(Self.utcTime(thisUpdate))
            if let nextUpdate { try coder.serialize(Self.utcTime(nextUpdate)) }
            if !serials.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { list in
                    for serial in serials {
                        try list.appendConstructedNode(identifier: .sequence) { entry in
                            try entry.serialize(serial.bytes)
                            try entry.serialize(Self.utcTime(thisUpdate - Self.day))
                        }
                    }
                }
            }
            if !extensions.isEmpty {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { tagged in
                    try tagged.serializeSequenceOf(extensions)
                }
            }
        }
        let signedBytes = tbs.serializedBytes
        let signature = try (signingKey ?? issuer.key).signature(for: signedBytes)
        var outer = DER.Serializer()
        try outer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(ASN1Any(derEncoded: try DER.parse(signedBytes)))
            try Self.ecdsaWithSHA256(&coder)
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature.derRepresentation)))
        }
        return outer.serializedBytes
    }

    private static func ecdsaWithSHA256(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { algorithm in
            try algorithm.serialize([1, 2, 840, 10045, 4, 3, 2] as ASN1ObjectIdentifier)
        }
    }

    package static func utcTime(_ date: Date) throws -> UTCTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!  // UTC always exists.
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return try UTCTime(
            year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hours: parts.hour ?? 0,
            minutes: parts.minute ?? 0, seconds: parts.second ?? 0)
    }

    /// `der` as a PEM block labelled `label`.
    package static func pem(_ der: [UInt8], label: String) -> String {
        PEMDocument(type: label, derBytes: der).pemString + "\n"
    }

    /// `certificates` as one PEM file.
    package static func pem(_ certificates: [Certificate]) throws -> String {
        try certificates.map { try $0.serializeAsPEM().pemString + "\n" }.joined()
    }

    /// `text` percent-encoded as Envoy encodes `source.certificate`: every byte but the RFC 3986
    /// unreserved characters becomes `%XX`.
    package static func urlEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || "-._~".unicodeScalars.contains(scalar)
            {
                result.unicodeScalars.append(scalar)
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// `certificate` as Envoy forwards it: PEM, percent-encoded.
    package static func envoyEncoded(_ certificate: Certificate) throws -> String {
        Self.urlEncoded(try certificate.serializeAsPEM().pemString + "\n")
    }
}
