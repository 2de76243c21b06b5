import Crypto
import EnvoyAuthAPI
import Foundation
import GRPCCore
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import SwiftProtobuf
import Testing
import X509

/// The client-certificate catalogue: each case is a certificate (or none) sent as Envoy sends
/// it, through the in-process gRPC server, against a policy directory with `authentication.mtls`.
@Suite("Client certificate catalogue")
struct ClientCertificateCatalogueTests {
    /// What the check must answer.
    enum Expected: Sendable, CustomStringConvertible {
        case allowed(rule: String)
        case denied(status: Int, reason: String, detail: String?)
        /// The policy revision does not load (the authenticator cannot be built): every check is 503.
        case notLoaded(code: IdentityError.Code)

        static func invalid(_ detail: String, status: Int = 401) -> Expected {
            .denied(status: status, reason: "invalid_client_certificate", detail: detail)
        }

        var description: String {
            switch self {
            case .allowed(let rule): "allowed by \(rule)"
            case .denied(let status, let reason, let detail): "\(status) \(reason) \(detail ?? "-")"
            case .notLoaded(let code): "not loaded: \(code)"
            }
        }
    }

    /// One catalogue entry.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var host = "spiffe.gov.example"
        var forgedCRL = false
        var principal: String? = nil
        /// Envoy's `source.certificate` for the case, `nil` for none.
        var certificate: @Sendable (CataloguePKI) throws -> String?
        var expected: Expected

        var testDescription: String { "\(self.name) → \(self.expected)" }
    }

    @Test("Each certificate case is decided with the documented status and reason", arguments: Self.cases)
    func catalogue(_ entry: Case) async throws {
        let pki = try CataloguePKI()
        let certificate = try entry.certificate(pki)
        let files = try pki.files(forgedCRL: entry.forgedCRL)
        // The rule that decided is read from the answers: the full metadata.
        try await CertificateTestServer.with(policy: Self.policy, files: files, metadata: .full) {
            authorization, loaded in
            let response = try await authorization.check(
                CertificateTestServer.request(
                    host: entry.host, path: "/records/42", certificate: certificate, principal: entry.principal))
            let metadata = response.dynamicMetadata.fields
            switch entry.expected {
            case .allowed(let rule):
                #expect(response.status.code == 0, "\(metadata)")
                #expect(metadata["rule"]?.stringValue == rule)
            case .denied(let status, let reason, let detail):
                #expect(response.allowed == nil)
                #expect(response.denied?.status.code.rawValue == status)
                #expect(response.status.code == (status == 401 ? 16 : 7))
                #expect(metadata["reason"]?.stringValue == reason)
                #expect(metadata["reason_detail"]?.stringValue == detail)
            case .notLoaded(let code):
                guard case .failed(let error) = loaded else {
                    Issue.record("the policy loaded")
                    return
                }
                #expect(error.code == code, "\(error)")
                #expect(error.location?.line == 9)
                #expect(response.denied?.status.code == .serviceUnavailable)
                #expect(metadata["reason"]?.stringValue == "policy_not_loaded")
            }
        }
    }

    static let policy = """
        kind: Policy
        name: spiffe
        select: { hosts: [spiffe.gov.example] }
        authentication:
          mtls:
            trustBundle: bundle.pem
            trustDomain: gov.example
            trustEnvoyPrincipal: true
            crls: [issuing.crl.pem]
        rules:
          - name: registry-api
            action: allow
            paths: [/records/**]
            spiffeIds: ["spiffe://gov.example/ns/registry/*"]
        ---
        kind: Policy
        name: xroad
        select: { hosts: [xroad.gov.example] }
        authentication:
          mtls:
            trustBundle: bundle.pem
            trustDomain: gov.example
            xroad:
              - subject: { instance: GOV, memberClass: "${O}", memberCode: "${serialNumber}", subsystem: "${CN}" }
              - uriSAN: "urn:xroad:{instance}:{memberClass}:{memberCode}:{subsystem}"
        rules:
          - { name: companies, action: allow, paths: [/records/**], groups: [companies] }
          - { name: ministry, action: allow, paths: [/records/**], xroadClients: [GOV/GOV/70000001/*] }
        ---
        kind: Policy
        name: strict
        select: { hosts: [strict.gov.example] }
        authentication:
          mtls:
            trustBundle: bundle.pem
            trustDomain: gov.example
            invalidCertificateStatus: 403
        rules:
          - name: registry-api
            action: allow
            paths: [/records/**]
            spiffeIds: ["spiffe://gov.example/ns/registry/*"]
        ---
        kind: Group
        name: companies
        members:
          xroadClients: [GOV/COM/*/*]
        """

    static func leaf(
        _ pki: CataloguePKI, by issuer: KeyPath<CataloguePKI, TestPKI.Authority> = \.intermediate,
        _ configure: (inout TestPKI.Leaf) throws -> Void = { _ in }
    ) throws -> String {
        var leaf = TestPKI.Leaf()
        try configure(&leaf)
        return try TestPKI.envoyEncoded(try TestPKI.issue(leaf, by: pki[keyPath: issuer]))
    }

    static func xroadSubject(organization: String?, serial: String?, common: String) throws -> DistinguishedName {
        var names = [RelativeDistinguishedName(try .init(type: .RDNAttributeType.countryName, printableString: "EE"))]
        if let organization {
            names.append(
                RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: organization)))
        }
        if let serial {
            names.append(RelativeDistinguishedName(try .init(type: [2, 5, 4, 5], printableString: serial)))
        }
        names.append(RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: common)))
        return DistinguishedName(names)
    }

    static let day = TestPKI.day
    static let reference = TestPKI.referenceDate

    static let cases: [Case] = [
        Case(
            name: "SPIFFE leaf issued by the root", certificate: { try leaf($0, by: \.root) },
            expected: .allowed(rule: "registry-api")),
        Case(
            name: "SPIFFE leaf via an intermediate in the bundle", certificate: { try leaf($0) },
            expected: .allowed(rule: "registry-api")),
        Case(
            name: "intermediate missing from the bundle", certificate: { try leaf($0, by: \.unlistedIntermediate) },
            expected: .invalid("certificate_untrusted")),
        Case(
            name: "expired leaf",
            certificate: {
                try leaf($0) {
                    $0.notBefore = reference - 60 * day
                    $0.notAfter = reference - day
                }
            }, expected: .invalid("certificate_expired")),
        Case(
            name: "leaf not yet valid",
            certificate: {
                try leaf($0) {
                    $0.notBefore = reference + day
                    $0.notAfter = reference + 60 * day
                }
            }, expected: .invalid("certificate_not_yet_valid")),
        Case(
            name: "expired intermediate", certificate: { try leaf($0, by: \.expiredIntermediate) },
            expected: .invalid("certificate_chain_expired")),
        Case(
            name: "unknown CA", certificate: { try leaf($0, by: \.stranger) },
            expected: .invalid("certificate_untrusted")),
        Case(
            name: "leaf of a self-signed look-alike of the root (same subject and key id, other key)",
            certificate: { try leaf($0, by: \.lookAlike) }, expected: .invalid("certificate_untrusted")),
        Case(
            name: "the look-alike root itself as the client certificate",
            certificate: { try TestPKI.envoyEncoded($0.lookAlike.certificate) },
            expected: .invalid("certificate_untrusted")),
        Case(
            name: "leaf that is a CA",
            certificate: {
                try leaf($0) {
                    $0.isCA = true
                    $0.keyUsage = KeyUsage(digitalSignature: true, keyCertSign: true)
                }
            }, expected: .invalid("certificate_is_ca")),
        Case(
            name: "serverAuth-only extended key usage",
            certificate: { try leaf($0) { $0.extendedKeyUsage = [.serverAuth] } },
            expected: .invalid("certificate_usage_invalid")),
        Case(
            name: "no extended key usage (accepted)", certificate: { try leaf($0) { $0.extendedKeyUsage = nil } },
            expected: .allowed(rule: "registry-api")),
        Case(
            name: "key usage keyCertSign only",
            certificate: { try leaf($0) { $0.keyUsage = KeyUsage(keyCertSign: true) } },
            expected: .invalid("certificate_usage_invalid")),
        Case(
            name: "unknown critical extension", certificate: { try leaf($0) { $0.unknownCriticalExtension = true } },
            expected: .invalid("certificate_unsupported_critical_extension")),
        Case(
            name: "revoked by the issuing CA's CRL",
            certificate: { try leaf($0) { $0.serialNumber = CataloguePKI.revokedSerial } },
            expected: .invalid("certificate_revoked")),
        Case(
            name: "CRL with a bad signature: the revision does not load", forgedCRL: true,
            certificate: { try leaf($0) { $0.serialNumber = CataloguePKI.revokedSerial } },
            expected: .notLoaded(code: .revocationListUntrusted)),
        Case(
            name: "wrong trust domain",
            certificate: { try leaf($0) { $0.uris = ["spiffe://evil.example/ns/registry/sa/api"] } },
            expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "two SPIFFE IDs",
            certificate: {
                try leaf($0) { $0.uris = ["spiffe://gov.example/ns/registry/a", "spiffe://gov.example/ns/registry/b"] }
            }, expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "a second SPIFFE ID in upper case",
            certificate: {
                try leaf($0) { $0.uris = ["spiffe://gov.example/ns/registry/a", "SPIFFE://gov.example/ns/admin"] }
            }, expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "no SPIFFE ID",
            certificate: {
                try leaf($0) {
                    $0.uris = []
                    $0.dnsNames = ["client.gov.example"]
                }
            }, expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "SPIFFE ID with a query",
            certificate: { try leaf($0) { $0.uris = ["spiffe://gov.example/ns/registry/a?admin=1"] } },
            expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "SPIFFE ID with '..'",
            certificate: { try leaf($0) { $0.uris = ["spiffe://gov.example/ns/registry/../admin"] } },
            expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "SPIFFE ID with an empty path", certificate: { try leaf($0) { $0.uris = ["spiffe://gov.example"] } },
            expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "SPIFFE ID with a port",
            certificate: { try leaf($0) { $0.uris = ["spiffe://gov.example:443/ns/registry/a"] } },
            expected: .invalid("certificate_spiffe_invalid")),
        Case(
            name: "valid identity that no rule allows",
            certificate: { try leaf($0) { $0.uris = ["spiffe://gov.example/ns/other/sa/api"] } },
            expected: .denied(status: 403, reason: "no_matching_rule", detail: nil)),
        Case(
            name: "X-Road client from the subject DN", host: "xroad.gov.example",
            certificate: {
                try leaf($0) {
                    $0.uris = []
                    $0.subject = try xroadSubject(organization: "COM", serial: "11223344", common: "emr")
                }
            }, expected: .allowed(rule: "companies")),
        Case(
            name: "X-Road client from a URI SAN", host: "xroad.gov.example",
            certificate: { try leaf($0) { $0.uris = ["urn:xroad:GOV:GOV:70000001:portal"] } },
            expected: .allowed(rule: "ministry")),
        Case(
            name: "X-Road subject missing serialNumber", host: "xroad.gov.example",
            certificate: {
                try leaf($0) {
                    $0.uris = []
                    $0.subject = try xroadSubject(organization: "COM", serial: nil, common: "emr")
                }
            }, expected: .invalid("certificate_xroad_unmapped")),
        Case(
            name: "X-Road client no rule allows", host: "xroad.gov.example",
            certificate: {
                try leaf($0) {
                    $0.uris = []
                    $0.subject = try xroadSubject(organization: "NGO", serial: "5", common: "web")
                }
            }, expected: .denied(status: 403, reason: "no_matching_rule", detail: nil)),
        Case(
            name: "garbage instead of PEM",
            certificate: { _ in TestPKI.urlEncoded("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
            }, expected: .invalid("certificate_malformed")),
        Case(
            name: "two certificates in the PEM: the first is the leaf, the second an unused candidate",
            certificate: { pki in
                TestPKI.urlEncoded(
                    try TestPKI.pem([try TestPKI.issue(by: pki.intermediate), try TestPKI.issue(by: pki.intermediate)]))
            }, expected: .allowed(rule: "registry-api")),
        Case(
            name: "leaf followed by the intermediate the bundle lacks (a forwarded chain)",
            certificate: { pki in
                TestPKI.urlEncoded(
                    try TestPKI.pem([
                        try TestPKI.issue(by: pki.unlistedIntermediate), pki.unlistedIntermediate.certificate,
                    ]))
            }, expected: .allowed(rule: "registry-api")),
        Case(
            name: "nine certificates in the PEM",
            certificate: { pki in
                TestPKI.urlEncoded(try TestPKI.pem(try (0..<9).map { _ in try TestPKI.issue(by: pki.intermediate) }))
            }, expected: .invalid("certificate_chain_too_long")),
        Case(
            name: "non-CA leaf whose key usage asserts keyCertSign",
            certificate: { try leaf($0) { $0.keyUsage = KeyUsage(digitalSignature: true, keyCertSign: true) } },
            expected: .invalid("certificate_key_cert_sign_not_ca")),
        Case(
            name: "DER instead of PEM",
            certificate: { pki in
                var serializer = DER.Serializer()
                try serializer.serialize(try TestPKI.issue(by: pki.intermediate))
                return serializer.serializedBytes.map { String(format: "%%%02X", $0) }.joined()
            }, expected: .invalid("certificate_malformed")),
        Case(
            name: "PEM over 64 KiB", certificate: { try leaf($0) + String(repeating: "%0A", count: 22_000) },
            expected: .invalid("certificate_too_large")),
        Case(
            name: "invalidCertificateStatus 403 is honoured", host: "strict.gov.example",
            certificate: { try leaf($0) { $0.notAfter = reference - day } },
            expected: .invalid("certificate_expired", status: 403)),
        Case(
            name: "valid certificate under the 403 policy", host: "strict.gov.example", certificate: { try leaf($0) },
            expected: .allowed(rule: "registry-api")),
        Case(
            name: "no certificate at all", certificate: { _ in nil },
            expected: .denied(status: 401, reason: "missing_credentials", detail: nil)),
        Case(
            name: "a principal without certificate from an unpinned caller is ignored",
            principal: "spiffe://gov.example/ns/registry/sa/api", certificate: { _ in nil },
            expected: .denied(status: 401, reason: "missing_credentials", detail: nil)),
    ]
}

/// The catalogue's PKI: a root and an issuing CA in the bundle, and everything an attacker or
/// a misconfiguration might bring.
struct CataloguePKI: Sendable {
    static let revokedSerial = Certificate.SerialNumber(bytes: [0x0B, 0xAD])

    let root: TestPKI.Authority
    let intermediate: TestPKI.Authority
    let expiredIntermediate: TestPKI.Authority
    let unlistedIntermediate: TestPKI.Authority
    let stranger: TestPKI.Authority
    let lookAlike: TestPKI.Authority

    init() throws {
        let reference = TestPKI.referenceDate
        let day = TestPKI.day
        self.root = try TestPKI.root()
        self.intermediate = try TestPKI.intermediate(issuer: self.root)
        self.expiredIntermediate = try TestPKI.intermediate(
            "Expired Issuing CA", issuer: self.root, notBefore: reference - 400 * day, notAfter: reference - day)
        self.unlistedIntermediate = try TestPKI.intermediate("Unlisted Issuing CA", issuer: self.root)
        self.stranger = try TestPKI.root("Stranger Root CA")
        let rootKeyID = try #require(try self.root.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        self.lookAlike = try TestPKI.root(keyIdentifier: Array(rootKeyID))
    }

    /// The policy directory's files: the bundle and the issuing CA's CRL (forged when asked).
    func files(forgedCRL: Bool) throws -> [String: String] {
        let crl = try TestPKI.crl(
            by: self.intermediate, revoking: [Self.revokedSerial],
            signingKey: forgedCRL ? P256.Signing.PrivateKey() : nil)
        return [
            "bundle.pem": try TestPKI.pem([
                self.root.certificate, self.intermediate.certificate, self.expiredIntermediate.certificate,
            ]),
            "issuing.crl.pem": TestPKI.pem(crl, label: "X509 CRL"),
        ]
    }
}
