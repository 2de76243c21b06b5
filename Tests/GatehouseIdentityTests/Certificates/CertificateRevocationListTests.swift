import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@Suite("Certificate revocation lists")
struct CertificateRevocationListTests {
    @Test("A CRL signed by its CA parses with its issuer, times and revoked serials")
    func valid() throws {
        let root = try TestPKI.root()
        let revoked: [Certificate.SerialNumber] = [Certificate.SerialNumber(bytes: [0x0A, 0x1B]), .init(7)]
        let der = try TestPKI.crl(by: root, revoking: revoked)
        let crl = try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        #expect(crl.issuer == root.name)
        #expect(crl.signer == root.certificate)
        #expect(crl.thisUpdate == UnixTime(seconds: TestPKI.referenceTime.seconds - 86_400))
        #expect(crl.nextUpdate == UnixTime(seconds: TestPKI.referenceTime.seconds + 7 * 86_400))
        #expect(crl.revokedSerialNumbers == Set(revoked))
        #expect(crl.isRevoked(Certificate.SerialNumber(7)))
        #expect(!crl.isRevoked(Certificate.SerialNumber(8)))
        #expect(crl.isCurrent(at: TestPKI.referenceTime))
    }

    @Test(
        "A CRL is current from thisUpdate to nextUpdate, and forever without nextUpdate",
        arguments: [
            (-2.0, true, false), (-0.5, true, true), (6.0, true, true), (8.0, true, false), (8.0, false, true),
        ])
    func currency(daysFromReference: Double, hasNextUpdate: Bool, isCurrent: Bool) throws {
        let root = try TestPKI.root()
        let der = try TestPKI.crl(
            by: root, revoking: [], nextUpdate: hasNextUpdate ? TestPKI.referenceDate + 7 * TestPKI.day : nil)
        let crl = try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        let time = UnixTime(seconds: TestPKI.referenceTime.seconds + Int64(daysFromReference * 86_400))
        #expect(crl.isCurrent(at: time) == isCurrent)
    }

    @Test("An empty CRL revokes nothing")
    func empty() throws {
        let root = try TestPKI.root()
        let crl = try CertificateRevocationList(
            derEncoded: try TestPKI.crl(by: root, revoking: []), issuers: [root.certificate])
        #expect(crl.revokedSerialNumbers.isEmpty)
    }

    @Test("A CRL whose signature does not verify with its issuer's key is refused", .bug(id: "4"))
    func badSignature() throws {
        let root = try TestPKI.root()
        let der = try TestPKI.crl(by: root, revoking: [.init(1)], signingKey: P256.Signing.PrivateKey())
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListUntrusted)
        // The message names the issuer, so an operator knows which CA's CRL to fetch again.
        #expect(error.message.contains("CN=Test Root CA"))
    }

    @Test("A CRL with a flipped bit in its body is refused")
    func tampered() throws {
        let root = try TestPKI.root()
        let serial: [UInt8] = [0x7E, 0x57, 0xA1, 0x4D]
        var der = try TestPKI.crl(by: root, revoking: [Certificate.SerialNumber(bytes: serial)])
        // The serial sits inside the signed part, before the signature; change one of its bits.
        let range = try #require(der.firstRange(of: serial))
        der[range.lowerBound] ^= 0x01
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListUntrusted)
    }

    @Test("A CRL from an issuer that is in no bundle CA's name loads unverified, for path building to verify")
    func issuerOutsideBundle() throws {
        let root = try TestPKI.root()
        let stranger = try TestPKI.root("Stranger CA")
        let der = try TestPKI.crl(by: stranger, revoking: [.init(1)])
        let crl = try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        #expect(crl.signer == nil)
        #expect(crl.isSigned(by: stranger.certificate))
        #expect(!crl.isSigned(by: root.certificate))
    }

    @Test("A CRL from a same-named CA with another key is refused")
    func sameNameOtherKey() throws {
        let root = try TestPKI.root()
        let impostor = try TestPKI.root()
        let der = try TestPKI.crl(by: impostor, revoking: [.init(1)])
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListUntrusted)
    }

    @Test("A CRL whose CA may not sign CRLs is refused")
    func issuerWithoutCRLSign() throws {
        let key = P256.Signing.PrivateKey()
        let name = TestPKI.name("No CRL CA")
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: TestPKI.referenceDate - 10 * TestPKI.day,
            notValidAfter: TestPKI.referenceDate + 10 * TestPKI.day, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(key))
        let authority = TestPKI.Authority(certificate: certificate, key: key)
        let der = try TestPKI.crl(by: authority, revoking: [])
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [certificate])
        }
        #expect(error.code == .revocationListUntrusted)
    }

    @Test("A delta CRL (a critical extension) is refused rather than half understood")
    func criticalExtension() throws {
        let root = try TestPKI.root()
        let deltaIndicator = Certificate.Extension(oid: [2, 5, 29, 27], critical: true, value: [0x02, 0x01, 0x05])
        let der = try TestPKI.crl(by: root, revoking: [], extensions: [deltaIndicator])
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListUnsupported)
        #expect(error.message.contains("2.5.29.27"), "the message names the extension")
    }

    @Test("The CRL number is an ordinary extension, read whether marked critical or not", arguments: [false, true])
    func crlNumber(critical: Bool) throws {
        let root = try TestPKI.root()
        let number = Certificate.Extension(oid: [2, 5, 29, 20], critical: critical, value: [0x02, 0x01, 0x05])
        let der = try TestPKI.crl(by: root, revoking: [.init(3)], number: nil, extensions: [number])
        let crl = try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        #expect(crl.isRevoked(.init(3)))
        #expect(crl.number.map(Array.init) == [0x05])
    }

    @Test("A v2 CRL without a CRL number is refused, saying so", .bug(id: "11"))
    func missingNumber() throws {
        let root = try TestPKI.root()
        let der = try TestPKI.crl(by: root, revoking: [], number: nil)
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListNumberMissing)
        #expect(error.message.contains("CRL number (extension 2.5.29.20)"))
        #expect(!error.message.contains("delta"))
    }

    @Test("A version 1 CRL, which has no extensions, needs no CRL number")
    func versionOne() throws {
        let root = try TestPKI.root()
        let crl = try CertificateRevocationList(
            derEncoded: try CRLFactory.versionOne(by: root, revoking: [.init(9)]), issuers: [root.certificate])
        #expect(crl.number == nil)
        #expect(crl.isRevoked(.init(9)))
    }

    @Test(
        "Extensions that change what the list means are refused by name, critical or not",
        arguments: [
            ([2, 5, 29, 27], false, false, "delta CRL"),
            ([2, 5, 29, 28], true, false, "issuing distribution point"),
            ([2, 5, 29, 29], true, true, "indirect CRL"),
            ([1, 3, 6, 1, 4, 1, 55_555, 9], true, false, "critical extension 1.3.6.1.4.1.55555.9"),
        ] as [(ASN1ObjectIdentifier, Bool, Bool, String)])
    func meaningfulExtensions(oid: ASN1ObjectIdentifier, critical: Bool, onEntry: Bool, named: String) throws {
        let root = try TestPKI.root()
        let value = Certificate.Extension(oid: oid, critical: critical, value: [0x30, 0x00])
        let der =
            onEntry
            ? try CRLFactory.withEntryExtension(value, by: root)
            : try TestPKI.crl(by: root, revoking: [], extensions: [value])
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListUnsupported)
        #expect(error.message.contains(named), "\(error.message)")
    }

    @Test("A non-critical extension Gatehouse does not know is ignored")
    func unknownNonCritical() throws {
        let root = try TestPKI.root()
        let value = Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 55_555, 9], critical: false, value: [0x05, 0x00])
        _ = try CertificateRevocationList(
            derEncoded: try TestPKI.crl(by: root, revoking: [], extensions: [value]), issuers: [root.certificate])
    }

    @Test("An extension named twice, or a negative CRL number, is malformed", arguments: ["twice", "negative"])
    func malformedExtensions(kind: String) throws {
        let root = try TestPKI.root()
        let negative = Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: [0x02, 0x01, 0xFF])
        let der =
            kind == "twice"
            ? try TestPKI.crl(
                by: root, revoking: [],
                extensions: [Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: [0x02, 0x01, 0x07])])
            : try TestPKI.crl(by: root, revoking: [], number: nil, extensions: [negative])
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: der, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListMalformed, "\(kind): \(error)")
    }

    @Test("A CRL without a number in a policy's crls is an error at the line naming the file")
    func missingNumberAtPolicyLine() async throws {
        let root = try TestPKI.root()
        try await ClientCertificateVerifierLoadingTests.withDirectory { directory in
            try ClientCertificateVerifierLoadingTests.write(
                try TestPKI.pem([root.certificate]), "root.pem", in: directory)
            try ClientCertificateVerifierLoadingTests.write(
                TestPKI.pem(try TestPKI.crl(by: root, revoking: [], number: nil), label: "X509 CRL"), "old.crl.pem",
                in: directory)
            let error = try #require(throws: IdentityError.self) {
                try ClientCertificateVerifier(
                    settings: ClientCertificateVerifierLoadingTests.settings(
                        bundle: "root.pem", crls: ["old.crl.pem"], in: directory))
            }
            #expect(error.code == .revocationListNumberMissing)
            #expect(error.location?.line == 8)
            #expect(
                error.errorDescription.hasPrefix(
                    "\(directory)/policy.yaml:8:12: error: crl_number_missing: The CRL file"))
        }
    }

    @Test(
        "Garbage, truncated and trailing-byte CRLs are refused",
        arguments: [
            "empty", "garbage", "truncated", "trailing", "certificate",
        ])
    func garbage(kind: String) throws {
        let root = try TestPKI.root()
        let valid = try TestPKI.crl(by: root, revoking: [.init(1)])
        let bytes: [UInt8] =
            switch kind {
            case "empty": []
            case "garbage": Array("this is not a CRL".utf8)
            case "truncated": Array(valid.dropLast(10))
            case "trailing": valid + [0x00]
            default:
                try {
                    var s = DER.Serializer(); try s.serialize(root.certificate); return s.serializedBytes
                }()
            }
        let error = try #require(throws: IdentityError.self) {
            try CertificateRevocationList(derEncoded: bytes, issuers: [root.certificate])
        }
        #expect(error.code == .revocationListMalformed, "\(error)")
    }

    @Test("An RSA-signed CRL verifies with the RSA CA's key")
    func rsaSignature() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = TestPKI.name("RSA Root CA")
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: TestPKI.referenceDate - 10 * TestPKI.day,
            notValidAfter: TestPKI.referenceDate + 10 * TestPKI.day, issuer: name, subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            },
            issuerPrivateKey: .init(key))
        // The tbsCertList of a P-256 CRL, re-signed with RSA: algorithm fields say RSA.
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try Self.rsaAlgorithm(&coder)
            try coder.serialize(name)
            try coder.serialize(try TestPKI.utcTime(TestPKI.referenceDate - TestPKI.day))
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { tagged in
                try tagged.serializeSequenceOf([
                    Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: [0x02, 0x01, 0x01])
                ])
            }
        }
        let signature = try key.signature(for: tbs.serializedBytes, padding: .insecurePKCS1v1_5)
        var outer = DER.Serializer()
        try outer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(ASN1Any(derEncoded: try DER.parse(tbs.serializedBytes)))
            try Self.rsaAlgorithm(&coder)
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature.rawRepresentation)))
        }
        let crl = try CertificateRevocationList(derEncoded: outer.serializedBytes, issuers: [certificate])
        #expect(crl.nextUpdate == nil)
        #expect(crl.isCurrent(at: TestPKI.referenceTime))
    }

    private static func rsaAlgorithm(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { algorithm in
            try algorithm.serialize([1, 2, 840, 113_549, 1, 1, 11] as ASN1ObjectIdentifier)
            try algorithm.serialize(ASN1Null())
        }
    }
}
