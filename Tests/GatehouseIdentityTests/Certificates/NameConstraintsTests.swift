import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// Name constraints on client-certificate chains, RFC 822 names included (swift-certificates
/// refuses every chain whose CA constrains them), by Gatehouse's own coded policy.
@Suite("Name constraints")
struct NameConstraintsTests {
    /// The detail for a leaf with `names` (and `subject`) issued by an intermediate with `constraints`.
    static func detail(
        constraints: NameConstraints, names: [GeneralName], subject: DistinguishedName = TestPKI.name("client")
    ) async throws -> DecisionReason? {
        let root = try TestPKI.root()
        let intermediate = try ChainPKI.authority(
            TestPKI.name("Constrained CA"), issuer: root, nameConstraints: constraints)
        let leaf = try ChainPKI.leaf(by: intermediate, names: names, subject: subject)
        let verifier = ClientCertificateVerifier(
            trustBundle: [root.certificate, intermediate.certificate], crls: [], trustDomain: nil, xroad: [])
        return ChainPKI.detail(
            await verifier.verify(urlEncodedPEM: try TestPKI.envoyEncoded(leaf), at: TestPKI.referenceTime))
    }

    @Test(
        "RFC 822 constraints admit the leaves they permit and refuse the others",
        arguments: [
            // A host: every mailbox at exactly that host, in any case.
            ("gov.example", "alice@gov.example", true), ("gov.example", "alice@GOV.Example", true),
            ("gov.example", "alice@mail.gov.example", false), ("gov.example", "alice@evil.example", false),
            // A domain: mailboxes at hosts below it, not at the domain itself.
            (".gov.example", "alice@mail.gov.example", true), (".gov.example", "alice@gov.example", false),
            // A mailbox: that address only; the local part is exact.
            ("alice@gov.example", "alice@gov.example", true), ("alice@gov.example", "Alice@gov.example", false),
            ("alice@gov.example", "bob@gov.example", false),
            // Not a mailbox at all.
            ("gov.example", "gov.example", false), ("gov.example", "alice@", false),
        ])
    func permittedEmail(constraint: String, address: String, isAdmitted: Bool) async throws {
        let detail = try await Self.detail(
            constraints: NameConstraints(permittedEmailAddresses: [constraint]), names: [.rfc822Name(address)])
        #expect(detail == (isAdmitted ? nil : .certificateChainInvalid), "\(address) under \(constraint)")
    }

    @Test("An excluded RFC 822 subtree refuses the mailboxes in it and admits the others")
    func excludedEmail() async throws {
        let constraints = NameConstraints(excludedEmailAddresses: [".evil.example"])
        #expect(
            try await Self.detail(constraints: constraints, names: [.rfc822Name("eve@mail.evil.example")])
                == .certificateChainInvalid)
        #expect(try await Self.detail(constraints: constraints, names: [.rfc822Name("alice@gov.example")]) == nil)
    }

    @Test("RFC 822 constraints apply to the subject's emailAddress too, and leave other name forms alone")
    func subjectEmail() async throws {
        let constraints = NameConstraints(permittedEmailAddresses: ["gov.example"])
        let subject = DistinguishedName([
            RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: "client")),
            RelativeDistinguishedName(try .init(type: [1, 2, 840, 113_549, 1, 9, 1], ia5String: "eve@evil.example")),
        ])
        // The SPIFFE URI is not an RFC 822 name, so only the subject's address is constrained.
        #expect(
            try await Self.detail(
                constraints: constraints, names: [.uniformResourceIdentifier("spiffe://gov.example/a")],
                subject: subject)
                == .certificateChainInvalid)
        #expect(
            try await Self.detail(
                constraints: constraints, names: [.uniformResourceIdentifier("spiffe://gov.example/a")])
                == nil)
    }

    @Test(
        "DNS, URI and IP constraints keep their RFC 5280 meaning",
        arguments: [
            ("dns gov.example", GeneralName.dnsName("api.gov.example"), true),
            ("dns gov.example", .dnsName("gov.example"), true),
            ("dns gov.example", .dnsName("evilgov.example"), false),
            ("dns .gov.example", .dnsName("gov.example"), false),
            ("uri gov.example", .uniformResourceIdentifier("spiffe://gov.example/ns/a"), true),
            ("uri gov.example", .uniformResourceIdentifier("spiffe://api.gov.example/ns/a"), false),
            ("uri .gov.example", .uniformResourceIdentifier("spiffe://api.gov.example/ns/a"), true),
            ("uri .gov.example", .uniformResourceIdentifier("spiffe://gov.example/ns/a"), false),
            ("uri gov.example", .uniformResourceIdentifier("urn:xroad:GOV:COM:1:a"), false),
            ("uri gov.example", .uniformResourceIdentifier("https://10.0.0.1/"), false),
            ("ip 10.0.0.0/8", .ipAddress(ASN1OctetString(contentBytes: [10, 1, 2, 3])), true),
            ("ip 10.0.0.0/8", .ipAddress(ASN1OctetString(contentBytes: [11, 1, 2, 3])), false),
        ])
    func otherForms(constraint: String, name: GeneralName, isAdmitted: Bool) async throws {
        let parts = constraint.split(separator: " ")
        let value = String(parts[1])
        let constraints =
            switch parts[0] {
            case "dns": NameConstraints(permittedDNSDomains: [value])
            case "uri": NameConstraints(permittedURIDomains: [value])
            default: NameConstraints(permittedIPRanges: [ASN1OctetString(contentBytes: [10, 0, 0, 0, 255, 0, 0, 0])])
            }
        let detail = try await Self.detail(constraints: constraints, names: [name])
        #expect(detail == (isAdmitted ? nil : .certificateChainInvalid), "\(name) under \(constraint)")
    }

    @Test("An excluded DNS subtree also refuses a wildcard that could name a host in it")
    func excludedWildcard() async throws {
        let constraints = NameConstraints(excludedDNSDomains: ["admin.gov.example"])
        #expect(
            try await Self.detail(constraints: constraints, names: [.dnsName("*.gov.example")])
                == .certificateChainInvalid)
        #expect(try await Self.detail(constraints: constraints, names: [.dnsName("api.gov.example")]) == nil)
    }

    @Test("A directoryName constraint, which Gatehouse does not evaluate, makes the chain invalid")
    func unsupportedForm() async throws {
        let constraints = NameConstraints(permittedSubtrees: [.directoryName(TestPKI.name("x"))])
        #expect(try await Self.detail(constraints: constraints, names: []) == .certificateChainInvalid)
    }
}
