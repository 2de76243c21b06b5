import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

@Suite("X-Road client mapping")
struct XRoadMappingTests {
    static let subjectMapping = XRoadMapping.subject(
        instance: "GOV", memberClass: "${O}", memberCode: "${serialNumber}", subsystem: "${CN}")
    static let sanMapping = XRoadMapping.uriSAN("urn:xroad:{instance}:{memberClass}:{memberCode}:{subsystem}")

    static func client(principal: String, mappings: [XRoadMapping]) -> String? {
        let verifier = ClientCertificateVerifier(trustBundle: [], crls: [], trustDomain: nil, xroad: mappings)
        guard case .verified(let peer) = verifier.identity(fromPrincipal: principal) else { return nil }
        return peer.xroadClient?.description
    }

    @Test(
        "Subject attributes fill the parts, whatever the order or spelling of the DN",
        arguments: [
            ("CN=emr,serialNumber=70000001,O=COM,C=EE", "GOV/COM/70000001/emr"),
            ("C=EE,O=COM,2.5.4.5=70000001,CN=emr", "GOV/COM/70000001/emr"),
            ("cn=emr+SERIALNUMBER=70000001,o=COM", "GOV/COM/70000001/emr"),
            (#"CN=e\4Dr,serialNumber=7000\,0001,O=COM"#, "GOV/COM/7000,0001/eMr"),
        ])
    func fromSubject(principal: String, expected: String) {
        #expect(Self.client(principal: principal, mappings: [Self.subjectMapping]) == expected)
    }

    @Test(
        "A subject that lacks an attribute, repeats it, or yields a '/' maps to nothing",
        arguments: [
            "CN=emr,O=COM",  // no serialNumber
            "CN=emr,serialNumber=1,serialNumber=2,O=COM",  // serialNumber twice: which one is a guess
            "CN=emr,serialNumber=70000001,O=COM,O=GOV",  // O twice
            "CN=a/b,serialNumber=70000001,O=COM",  // '/' would change the ID's shape
            "CN=,serialNumber=70000001,O=COM",  // empty part
        ])
    func subjectWithoutClient(principal: String) {
        let verifier = ClientCertificateVerifier(
            trustBundle: [], crls: [], trustDomain: nil, xroad: [Self.subjectMapping])
        guard case .rejected(let failure) = verifier.identity(fromPrincipal: principal) else {
            Issue.record("'\(principal)' mapped to a client")
            return
        }
        #expect(failure.detail == .certificateXRoadUnmapped)
    }

    @Test("Literal parts and a member-level mapping without subsystem")
    func literalParts() {
        let mapping = XRoadMapping.subject(
            instance: "EE", memberClass: "GOV", memberCode: "m-${serialNumber}", subsystem: nil)
        #expect(Self.client(principal: "serialNumber=42,CN=x", mappings: [mapping]) == "EE/GOV/m-42")
    }

    @Test(
        "A URI SAN matching the pattern yields the client",
        arguments: [
            ("urn:xroad:GOV:COM:12345678:emr", "GOV/COM/12345678/emr"),
            ("urn:xroad:EE:NGO:9:a.b-c_d", "EE/NGO/9/a.b-c_d"),
        ])
    func fromURI(uri: String, expected: String) {
        #expect(Self.client(principal: uri, mappings: [Self.sanMapping]) == expected)
    }

    @Test(
        "A URI SAN that does not match exactly maps to nothing",
        arguments: [
            "urn:xroad:GOV:COM:12345678",  // part missing
            "urn:xroad:GOV:COM:123:45:emr",  // ':' inside a part: two readings
            "urn:xroad:GOV:COM:12/34:emr",  // '/' inside a part
            "urn:xroad:GOV::12345678:emr",  // empty part
            "URN:XROAD:GOV:COM:12345678:emr",  // literal text is case-sensitive
            "urn:xroad:GOV:COM:12345678:emr:extra",
        ])
    func uriWithoutClient(uri: String) {
        #expect(Self.client(principal: uri, mappings: [Self.sanMapping]) == nil)
    }

    @Test("The first mapping that yields wins")
    func firstMappingWins() {
        let literal = XRoadMapping.subject(
            instance: "FIRST", memberClass: "GOV", memberCode: "${UID}", subsystem: nil)
        let mappings = [literal, Self.subjectMapping]
        #expect(Self.client(principal: "CN=emr,serialNumber=1,O=COM", mappings: mappings) == "GOV/COM/1/emr")
        #expect(Self.client(principal: "UID=7,CN=emr,serialNumber=1,O=COM", mappings: mappings) == "FIRST/GOV/7")
    }

    @Test("A certificate maps from its subject DN and from its URI SANs")
    func fromCertificate() async throws {
        let root = try TestPKI.root()
        var subjectLeaf = TestPKI.Leaf()
        subjectLeaf.uris = []
        subjectLeaf.subject = DistinguishedName([
            RelativeDistinguishedName(try .init(type: .RDNAttributeType.countryName, printableString: "EE")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: "COM")),
            RelativeDistinguishedName(try .init(type: [2, 5, 4, 5], printableString: "11223344")),
            RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: "emr")),
        ])
        var sanLeaf = TestPKI.Leaf()
        sanLeaf.uris = ["https://example.org/other", "urn:xroad:GOV:GOV:70000001:portal"]
        let verifier = ClientCertificateVerifier(
            trustBundle: [root.certificate], crls: [], trustDomain: nil,
            xroad: [Self.subjectMapping, Self.sanMapping])
        for (leaf, expected) in [(subjectLeaf, "GOV/COM/11223344/emr"), (sanLeaf, "GOV/GOV/70000001/portal")] {
            let certificate = try TestPKI.issue(leaf, by: root)
            let result = await verifier.verify(
                urlEncodedPEM: try TestPKI.envoyEncoded(certificate), at: TestPKI.referenceTime)
            guard case .verified(let peer) = result else {
                Issue.record("rejected: \(result)")
                continue
            }
            #expect(peer.xroadClient?.description == expected)
        }
    }

    @Test("Two URI SANs that map to different clients map to nothing; two that agree map to one")
    func ambiguousURIs() async throws {
        let root = try TestPKI.root()
        let verifier = ClientCertificateVerifier(
            trustBundle: [root.certificate], crls: [], trustDomain: nil, xroad: [Self.sanMapping])
        var leaf = TestPKI.Leaf()
        leaf.uris = ["urn:xroad:GOV:COM:1:a", "urn:xroad:GOV:COM:2:a"]
        let ambiguous = await verifier.verify(
            urlEncodedPEM: try TestPKI.envoyEncoded(try TestPKI.issue(leaf, by: root)), at: TestPKI.referenceTime)
        guard case .rejected(let failure) = ambiguous else {
            Issue.record("an ambiguous certificate was accepted")
            return
        }
        #expect(failure.detail == .certificateXRoadUnmapped)
        leaf.uris = ["urn:xroad:GOV:COM:1:a", "urn:xroad:GOV:COM:1:a"]
        let agreeing = await verifier.verify(
            urlEncodedPEM: try TestPKI.envoyEncoded(try TestPKI.issue(leaf, by: root)), at: TestPKI.referenceTime)
        guard case .verified(let peer) = agreeing else {
            Issue.record("rejected: \(agreeing)")
            return
        }
        #expect(peer.xroadClient == XRoadClientID("GOV/COM/1/a"))
    }
}
