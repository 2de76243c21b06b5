import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// How Envoy's `source.certificate` is decoded: strictly, before anything is parsed.
@Suite("URL-encoded PEM")
struct URLEncodedPEMTests {
    static func detail(_ encoded: String, verifier: ClientCertificateVerifier) async -> DecisionReason? {
        guard case .rejected(let failure) = await verifier.verify(urlEncodedPEM: encoded, at: TestPKI.referenceTime)
        else { return nil }
        return failure.detail
    }

    @Test("Envoy's encoding of a valid leaf verifies, with upper- or lower-case escapes")
    func roundTrip() async throws {
        let root = try TestPKI.root()
        let verifier = ClientCertificateVerifier(trustBundle: [root.certificate], crls: [], trustDomain: nil, xroad: [])
        let encoded = try TestPKI.envoyEncoded(try TestPKI.issue(by: root))
        #expect(await Self.detail(encoded, verifier: verifier) == nil)
        #expect(await Self.detail(encoded.lowercasedEscapes(), verifier: verifier) == nil)
    }

    @Test("Malformed input is certificate_malformed", arguments: URLEncodedPEMTests.malformedCases)
    func malformed(name: String, make: @Sendable (Certificate, Certificate) throws -> String) async throws {
        let root = try TestPKI.root()
        let verifier = ClientCertificateVerifier(trustBundle: [root.certificate], crls: [], trustDomain: nil, xroad: [])
        let leaf = try TestPKI.issue(by: root)
        let other = try TestPKI.issue(by: root)
        #expect(await Self.detail(try make(leaf, other), verifier: verifier) == .certificateMalformed, "\(name)")
    }

    static let malformedCases: [(String, @Sendable (Certificate, Certificate) throws -> String)] = [
        ("empty", { _, _ in "" }),
        ("raw PEM, not URL-encoded", { leaf, _ in try leaf.serializeAsPEM().pemString }),
        ("a truncated escape", { leaf, _ in try TestPKI.envoyEncoded(leaf) + "%0" }),
        ("a non-hex escape", { leaf, _ in "%ZZ" + (try TestPKI.envoyEncoded(leaf)) }),
        ("an escaped NUL", { leaf, _ in try TestPKI.envoyEncoded(leaf).replacingFirst("%0A", with: "%00") }),
        ("an escaped non-ASCII byte", { leaf, _ in "%C3%A4" + (try TestPKI.envoyEncoded(leaf)) }),
        ("garbage", { _, _ in TestPKI.urlEncoded("hello, I am a certificate") }),
        (
            "text between two certificates",
            { leaf, other in
                TestPKI.urlEncoded(
                    try leaf.serializeAsPEM().pemString + "\nnext:\n" + other.serializeAsPEM().pemString)
            }
        ),
        (
            "text before the PEM",
            { leaf, _ in TestPKI.urlEncoded("Subject: CN=x\n" + (try leaf.serializeAsPEM().pemString)) }
        ),
        (
            "a private key block",
            { _, _ in TestPKI.urlEncoded(TestPKI.pem([0x30, 0x03, 0x02, 0x01, 0x00], label: "PRIVATE KEY")) }
        ),
        (
            "DER instead of PEM",
            { leaf, _ in
                var serializer = DER.Serializer()
                try serializer.serialize(leaf)
                return serializer.serializedBytes.map { String(format: "%%%02X", $0) }.joined()
            }
        ),
        (
            "a CERTIFICATE block that is not X.509",
            { _, _ in TestPKI.urlEncoded(TestPKI.pem(Array("not DER".utf8), label: "CERTIFICATE")) }
        ),
        (
            "bad base64",
            { _, _ in TestPKI.urlEncoded("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n") }
        ),
    ]

    @Test("More than 64 KiB is certificate_too_large, before any decoding")
    func tooLarge() async throws {
        let root = try TestPKI.root()
        let verifier = ClientCertificateVerifier(trustBundle: [root.certificate], crls: [], trustDomain: nil, xroad: [])
        let padding = String(repeating: "%20", count: 22_000)
        #expect(
            await Self.detail(padding + (try TestPKI.envoyEncoded(try TestPKI.issue(by: root))), verifier: verifier)
                == .certificateTooLarge)
        // Exactly at the limit is decoded (and, being only spaces, is malformed).
        #expect(await Self.detail(String(repeating: "A", count: 65_536), verifier: verifier) == .certificateMalformed)
    }

    @Test("The description never contains the certificate")
    func descriptionOmitsCertificate() async throws {
        let root = try TestPKI.root()
        let stranger = try TestPKI.root("Stranger")
        let verifier = ClientCertificateVerifier(trustBundle: [root.certificate], crls: [], trustDomain: nil, xroad: [])
        let leaf = try TestPKI.issue(by: stranger)
        let pem = try leaf.serializeAsPEM().pemString
        let body = pem.split(separator: "\n")[1]
        guard
            case .rejected(let failure) = await verifier.verify(
                urlEncodedPEM: try TestPKI.envoyEncoded(leaf), at: TestPKI.referenceTime)
        else {
            Issue.record("accepted")
            return
        }
        #expect(failure.detail == .certificateUntrusted)
        #expect(!failure.description.contains(body.prefix(20)))
        #expect(failure.description.contains("CN=client"))
    }
}

extension String {
    func lowercasedEscapes() -> String {
        var result = ""
        var escapeLeft = 0
        for character in self {
            if character == "%" {
                escapeLeft = 2
                result.append(character)
            } else if escapeLeft > 0 {
                escapeLeft -= 1
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = self.firstRange(of: target) else { return self }
        return self.replacingCharacters(in: range, with: replacement)
    }
}
