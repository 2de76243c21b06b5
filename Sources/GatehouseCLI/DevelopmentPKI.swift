import Crypto
import Foundation
import SwiftASN1
import X509

/// A development certificate authority and the certificates the example deployment uses.
///
/// Every key is P-256 and every file is PEM. The set is for running Envoy ↔ Gatehouse locally
/// and in the end-to-end tests; nothing here is fit for production, and the README of the
/// output directory says so.
struct DevelopmentPKI {
    /// One certificate to issue.
    struct Leaf {
        /// The file name stem: `NAME.pem` and `NAME-dev-key.pem`.
        var name: String
        var subject: DistinguishedName
        var dnsNames: [String] = []
        var ipAddresses: [[UInt8]] = []
        var uris: [String] = []
        var usages: [ExtendedKeyUsage.Usage]
    }

    private let caKey = P256.Signing.PrivateKey()
    private let caName: DistinguishedName
    private let notBefore: Date
    private let notAfter: Date

    init(now: Date = Date(), validity: TimeInterval = 3 * 365 * 86_400) throws {
        self.caName = try DistinguishedName {
            OrganizationName("Gatehouse (development only)")
            CommonName("Gatehouse development CA")
        }
        self.notBefore = now.addingTimeInterval(-3600)
        self.notAfter = now.addingTimeInterval(validity)
    }

    /// The leaves of the example government deployment.
    static func exampleLeaves() throws -> [Leaf] {
        func name(_ common: String, organization: String = "Gatehouse (development only)") throws -> DistinguishedName {
            try DistinguishedName {
                OrganizationName(organization)
                CommonName(common)
            }
        }
        let loopback: [[UInt8]] = [[127, 0, 0, 1], Array(repeating: 0, count: 15) + [1]]
        return [
            Leaf(
                name: "gatehouse", subject: try name("gatehouse"), dnsNames: ["localhost", "gatehouse"],
                ipAddresses: loopback,
                uris: ["spiffe://gov.example/gatehouse"], usages: [.serverAuth]),
            Leaf(
                name: "envoy", subject: try name("envoy-front"),
                dnsNames: ["localhost", "*.gov.example", "gov.example"], ipAddresses: loopback,
                uris: ["spiffe://gov.example/envoy/front"], usages: [.clientAuth, .serverAuth]),
            Leaf(
                name: "civil-registry", subject: try name("civil-registry"),
                uris: ["spiffe://gov.example/ns/civil-registry/sa/api"], usages: [.clientAuth]),
            Leaf(
                name: "death-registry", subject: try name("death-registry"),
                uris: ["spiffe://gov.example/ns/death-registry/sa/api"], usages: [.clientAuth]),
            Leaf(
                name: "hospital-emr", subject: try name("emr"),
                uris: ["spiffe://gov.example/ns/hospital/sa/emr"], usages: [.clientAuth]),
            Leaf(
                name: "xroad-civil-registry",
                subject: DistinguishedName([
                    RelativeDistinguishedName(try .init(type: .RDNAttributeType.countryName, printableString: "EE")),
                    RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: "GOV")),
                    // id-at-serialNumber (2.5.4.5): X-Road carries the member code here.
                    RelativeDistinguishedName(try .init(type: [2, 5, 4, 5], printableString: "70000001")),
                    RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: "civil-registry")),
                ]),
                usages: [.clientAuth]),
        ]
    }

    /// Writes `ca.pem`, `ca-dev-key.pem` and every leaf's certificate and key into `directory`.
    ///
    /// - Returns: The paths written.
    func write(leaves: [Leaf], to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(self.caKey.publicKey),
            notValidBefore: self.notBefore, notValidAfter: self.notAfter, issuer: self.caName, subject: self.caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(self.caKey.publicKey))
            },
            issuerPrivateKey: Certificate.PrivateKey(self.caKey))
        var written: [String] = []
        written.append(try Self.save(try ca.serializeAsPEM().pemString, "ca.pem", in: directory))
        written.append(try Self.save(self.caKey.pemRepresentation, "ca-dev-key.pem", in: directory))
        for leaf in leaves {
            let key = P256.Signing.PrivateKey()
            let certificate = try self.issue(leaf, key: key)
            written.append(try Self.save(try certificate.serializeAsPEM().pemString, "\(leaf.name).pem", in: directory))
            written.append(try Self.save(key.pemRepresentation, "\(leaf.name)-dev-key.pem", in: directory))
        }
        return written
    }

    private func issue(_ leaf: Leaf, key: P256.Signing.PrivateKey) throws -> Certificate {
        var names: [GeneralName] = leaf.dnsNames.map { .dnsName($0) }
        names += leaf.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        names += leaf.uris.map { .uniformResourceIdentifier($0) }
        let alternativeNames = SubjectAlternativeNames(names)
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: self.notBefore, notValidAfter: self.notAfter, issuer: self.caName, subject: leaf.subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(leaf.usages)
                if !names.isEmpty { alternativeNames }
                AuthorityKeyIdentifier(
                    keyIdentifier: try SubjectKeyIdentifier(hash: Certificate.PublicKey(self.caKey.publicKey))
                        .keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(self.caKey))
    }

    /// Writes `text` as `name` in `directory`; private keys (`*-dev-key.pem`) are made owner-only.
    static func save(_ text: String, _ name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data((text.hasSuffix("\n") ? text : text + "\n").utf8).write(to: url)
        if name.hasSuffix("-dev-key.pem") {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        }
        return url.path
    }
}
