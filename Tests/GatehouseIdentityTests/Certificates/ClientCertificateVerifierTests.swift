import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

@Suite("Client certificate verifier")
struct ClientCertificateVerifierTests {
    static func verify(
        _ leaf: Certificate, bundle: [Certificate], crls: [CertificateRevocationList] = [],
        trustDomain: String? = "gov.example", at time: UnixTime = TestPKI.referenceTime
    ) async throws -> CertificateVerification {
        let verifier = ClientCertificateVerifier(trustBundle: bundle, crls: crls, trustDomain: trustDomain, xroad: [])
        return await verifier.verify(urlEncodedPEM: try TestPKI.envoyEncoded(leaf), at: time)
    }

    static func detail(_ result: CertificateVerification) -> DecisionReason? {
        guard case .rejected(let failure) = result else { return nil }
        #expect(failure.reason == .invalidClientCertificate)
        #expect(failure.kind == .clientCertificate)
        return failure.detail
    }

    @Test("A verified leaf yields its SPIFFE ID, RFC 4514 subject, hex serial and notAfter")
    func peerIdentity() async throws {
        let root = try TestPKI.root()
        var leaf = TestPKI.Leaf()
        leaf.serialNumber = Certificate.SerialNumber(bytes: [0x00, 0xAB, 0x01])
        leaf.subject = DistinguishedName([
            RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: "Gov, Inc.")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: " api+1")),
        ])
        let certificate = try TestPKI.issue(leaf, by: root)
        guard case .verified(let peer) = try await Self.verify(certificate, bundle: [root.certificate]) else {
            Issue.record("rejected")
            return
        }
        #expect(peer.spiffeID == "spiffe://gov.example/ns/registry/sa/api")
        #expect(peer.subject == #"CN=\ api\+1,O=Gov\, Inc."#)
        #expect(peer.serialNumber == "ab01")
        #expect(peer.notAfter == UnixTime(seconds: TestPKI.referenceTime.seconds + 30 * 86_400))
        #expect(peer.xroadClient == nil)
    }

    @Test("Validity is judged at the request time, never the wall clock")
    func requestTime() async throws {
        let root = try TestPKI.root()
        let certificate = try TestPKI.issue(by: root)
        let early = UnixTime(seconds: TestPKI.referenceTime.seconds - 2 * 86_400)
        let late = UnixTime(seconds: TestPKI.referenceTime.seconds + 31 * 86_400)
        #expect(
            Self.detail(try await Self.verify(certificate, bundle: [root.certificate], at: early))
                == .certificateNotYetValid)
        #expect(
            Self.detail(try await Self.verify(certificate, bundle: [root.certificate], at: late)) == .certificateExpired
        )
        #expect(Self.detail(try await Self.verify(certificate, bundle: [root.certificate])) == nil)
    }

    @Test("A critical extension Gatehouse does not enforce is rejected before path building")
    func unknownCriticalExtension() async throws {
        let root = try TestPKI.root()
        var leaf = TestPKI.Leaf()
        leaf.unknownCriticalExtension = true
        let result = try await Self.verify(try TestPKI.issue(leaf, by: root), bundle: [root.certificate])
        #expect(Self.detail(result) == .certificateUnsupportedCriticalExtension)
    }

    @Test("An intermediate revoked by the root's CRL makes its leaves revoked")
    func revokedIntermediate() async throws {
        let root = try TestPKI.root()
        let intermediate = try TestPKI.intermediate(issuer: root)
        let crl = try CertificateRevocationList(
            derEncoded: try TestPKI.crl(by: root, revoking: [intermediate.certificate.serialNumber]),
            issuers: [root.certificate])
        let result = try await Self.verify(
            try TestPKI.issue(by: intermediate), bundle: [root.certificate, intermediate.certificate], crls: [crl])
        #expect(Self.detail(result) == .certificateRevoked)
    }

    @Test("A stale CRL makes revocation unknown: certificate_revocation_unknown, fail closed")
    func staleCRL() async throws {
        let root = try TestPKI.root()
        let crl = try CertificateRevocationList(
            derEncoded: try TestPKI.crl(
                by: root, revoking: [], thisUpdate: TestPKI.referenceDate - 10 * TestPKI.day,
                nextUpdate: TestPKI.referenceDate - TestPKI.day),
            issuers: [root.certificate])
        let result = try await Self.verify(try TestPKI.issue(by: root), bundle: [root.certificate], crls: [crl])
        #expect(Self.detail(result) == .certificateRevocationUnknown)
    }

    @Test("A CRL of another CA does not affect a leaf with the same serial")
    func crlOfAnotherIssuer() async throws {
        let root = try TestPKI.root()
        let other = try TestPKI.root("Other Root CA")
        var leaf = TestPKI.Leaf()
        leaf.serialNumber = Certificate.SerialNumber(99)
        let crl = try CertificateRevocationList(
            derEncoded: try TestPKI.crl(by: other, revoking: [leaf.serialNumber]), issuers: [other.certificate])
        let result = try await Self.verify(
            try TestPKI.issue(leaf, by: root), bundle: [root.certificate, other.certificate], crls: [crl])
        #expect(Self.detail(result) == nil)
    }

    @Test("An issuer whose certificate is not a CA does not make a chain")
    func nonCAIssuer() async throws {
        let root = try TestPKI.root()
        // A leaf certificate (cA false) used to sign another certificate.
        var middle = TestPKI.Leaf()
        middle.subject = TestPKI.name("Not A CA")
        let middleCertificate = try TestPKI.issue(middle, by: root)
        let fake = TestPKI.Authority(certificate: middleCertificate, key: middle.key)
        let result = try await Self.verify(
            try TestPKI.issue(by: fake), bundle: [root.certificate, middleCertificate])
        #expect(Self.detail(result) == .certificateChainInvalid)
    }

    @Test("Without a trust bundle every certificate is untrusted")
    func noBundle() async throws {
        let root = try TestPKI.root()
        #expect(Self.detail(try await Self.verify(try TestPKI.issue(by: root), bundle: [])) == .certificateUntrusted)
    }

    @Test("A DN principal maps the subject; a SPIFFE principal maps the SPIFFE ID")
    func principals() {
        let verifier = ClientCertificateVerifier(
            trustBundle: [], crls: [], trustDomain: "gov.example",
            xroad: [.subject(instance: "GOV", memberClass: "${O}", memberCode: "${serialNumber}", subsystem: nil)])
        guard case .verified(let byDN) = verifier.identity(fromPrincipal: "CN=x,serialNumber=7,O=GOV,C=EE"),
            case .verified(let bySPIFFE) = verifier.identity(fromPrincipal: "spiffe://gov.example/envoy/front")
        else {
            Issue.record("a principal was rejected")
            return
        }
        #expect(byDN.xroadClient?.description == "GOV/GOV/7")
        #expect(byDN.subject == "CN=x,serialNumber=7,O=GOV,C=EE")
        #expect(byDN.spiffeID == nil)
        #expect(bySPIFFE.spiffeID == "spiffe://gov.example/envoy/front")
        guard case .rejected(let failure) = verifier.identity(fromPrincipal: "spiffe://other.example/envoy/front")
        else {
            Issue.record("a principal outside the trust domain was accepted")
            return
        }
        #expect(failure.detail == .certificateSPIFFEInvalid)
    }
}

@Suite("Client certificate verifier: loading files")
struct ClientCertificateVerifierLoadingTests {
    /// A temporary directory, removed after `body`.
    static func withDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let path = NSTemporaryDirectory() + "gatehouse-cert-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    /// The `mtls` settings of a policy `directory/policy.yaml` naming `bundle` (line 7) and `crls`
    /// (line 8), paths resolved against `directory` as the policy compiler resolves them.
    static func settings(bundle: String?, crls: [String] = [], in directory: String) -> MutualTLSSettings {
        let file = directory + "/policy.yaml"
        return MutualTLSSettings(
            trustBundle: bundle.map {
                Located(directory + "/" + $0, at: SourceLocation(file: file, line: 7, column: 18))
            },
            trustDomain: "gov.example",
            crls: crls.map { Located(directory + "/" + $0, at: SourceLocation(file: file, line: 8, column: 12)) },
            location: SourceLocation(file: file, line: 5, column: 5))
    }

    static func write(_ text: String, _ name: String, in directory: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
    }

    @Test("A PEM bundle of root and intermediate and a PEM CRL load; the CRL applies")
    func loadsPEM() async throws {
        let root = try TestPKI.root()
        let intermediate = try TestPKI.intermediate(issuer: root)
        var leaf = TestPKI.Leaf()
        leaf.serialNumber = Certificate.SerialNumber(1234)
        let revoked = try TestPKI.issue(leaf, by: intermediate)
        let good = try TestPKI.issue(by: intermediate)
        try await Self.withDirectory { directory in
            try Self.write(try TestPKI.pem([root.certificate, intermediate.certificate]), "bundle.pem", in: directory)
            try Self.write(
                TestPKI.pem(try TestPKI.crl(by: intermediate, revoking: [leaf.serialNumber]), label: "X509 CRL"),
                "revoked.crl.pem", in: directory)
            let verifier = try ClientCertificateVerifier(
                settings: Self.settings(bundle: "bundle.pem", crls: ["revoked.crl.pem"], in: directory))
            let rejected = await verifier.verify(
                urlEncodedPEM: try TestPKI.envoyEncoded(revoked), at: TestPKI.referenceTime)
            let accepted = await verifier.verify(
                urlEncodedPEM: try TestPKI.envoyEncoded(good), at: TestPKI.referenceTime)
            #expect(ClientCertificateVerifierTests.detail(rejected) == .certificateRevoked)
            #expect(ClientCertificateVerifierTests.detail(accepted) == nil)
        }
    }

    @Test("A DER bundle and a DER CRL load; the root anchors leaves and the CRL applies")
    func loadsDER() async throws {
        let root = try TestPKI.root()
        var leaf = TestPKI.Leaf()
        leaf.serialNumber = Certificate.SerialNumber(4321)
        let revoked = try TestPKI.issue(leaf, by: root)
        let good = try TestPKI.issue(by: root)
        try await Self.withDirectory { directory in
            var serializer = DER.Serializer()
            try serializer.serialize(root.certificate)
            try Data(serializer.serializedBytes).write(to: URL(fileURLWithPath: directory + "/root.der"))
            try Data(try TestPKI.crl(by: root, revoking: [leaf.serialNumber]))
                .write(to: URL(fileURLWithPath: directory + "/root.crl"))
            let verifier = try ClientCertificateVerifier(
                settings: Self.settings(bundle: "root.der", crls: ["root.crl"], in: directory))
            let rejected = await verifier.verify(
                urlEncodedPEM: try TestPKI.envoyEncoded(revoked), at: TestPKI.referenceTime)
            let accepted = await verifier.verify(
                urlEncodedPEM: try TestPKI.envoyEncoded(good), at: TestPKI.referenceTime)
            #expect(ClientCertificateVerifierTests.detail(rejected) == .certificateRevoked)
            guard case .verified(let peer) = accepted else {
                Issue.record("a leaf of the DER root was rejected: \(accepted)")
                return
            }
            #expect(peer.spiffeID == "spiffe://gov.example/ns/registry/sa/api")
        }
    }

    @Test(
        "Unusable files are errors at the policy line that names them, saying how to fix them",
        arguments: ClientCertificateVerifierLoadingTests.badFiles)
    func badFile(name: String, bundle: String?, crl: String?, expected: IdentityError.Code, line: Int) async throws {
        try await Self.withDirectory { directory in
            if let bundle { try Self.write(bundle, "bundle.pem", in: directory) }
            if let crl { try Self.write(crl, "crl.pem", in: directory) }
            let settings = Self.settings(
                bundle: name == "missing bundle" ? "absent.pem" : "bundle.pem", crls: crl == nil ? [] : ["crl.pem"],
                in: directory)
            let error = try #require(throws: IdentityError.self, "\(name)") {
                try ClientCertificateVerifier(settings: settings)
            }
            #expect(error.code == expected, "\(name): \(error)")
            #expect(error.location?.line == line, "\(name)")
            // `gatehouse policy lint` prints this line; editors jump to `file:line:col`.
            let column = line == 7 ? 18 : 12
            #expect(
                error.errorDescription
                    == "\(directory)/policy.yaml:\(line):\(column): error: \(expected): \(error.message)",
                "\(name)")
        }
    }

    static let badFiles: [(String, String?, String?, IdentityError.Code, Int)] = {
        do {
            let root = try TestPKI.root()
            let rootPEM = try TestPKI.pem([root.certificate])
            let intermediate = try TestPKI.intermediate(issuer: root)
            let leaf = try TestPKI.issue(by: root)
            let forged = try TestPKI.crl(by: root, revoking: [.init(1)], signingKey: .init())
            return [
                ("missing bundle", nil, nil, .fileUnreadable, 7),
                ("empty bundle", "", nil, .fileMalformed, 7),
                ("text bundle", "hello", nil, .fileMalformed, 7),
                ("key in bundle", rootPEM + TestPKI.pem([0x30, 0x00], label: "PRIVATE KEY"), nil, .fileMalformed, 7),
                ("bad block", TestPKI.pem([0x30, 0x00], label: "CERTIFICATE"), nil, .trustBundleInvalid, 7),
                ("leaf in bundle", rootPEM + (try TestPKI.pem([leaf])), nil, .trustBundleInvalid, 7),
                ("no root", try TestPKI.pem([intermediate.certificate]), nil, .trustBundleInvalid, 7),
                ("forged CRL", rootPEM, TestPKI.pem(forged, label: "X509 CRL"), .revocationListUntrusted, 8),
                ("CRL file with a certificate", rootPEM, rootPEM, .fileMalformed, 8),
                (
                    "garbage CRL", rootPEM, TestPKI.pem([0x30, 0x03, 0x02, 0x01, 0x01], label: "X509 CRL"),
                    .revocationListMalformed, 8
                ),
            ]
        } catch {
            Issue.record("could not make the PKI: \(error)")
            return []
        }
    }()
}
