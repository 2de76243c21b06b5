import GatehouseCore
import GatehouseIdentity
import Testing

/// SPIFFE ID rules, through `identity(fromPrincipal:)`, which applies the same rules as a certificate's URI SAN.
@Suite("SPIFFE IDs")
struct SPIFFEIDTests {
    static let verifier = ClientCertificateVerifier(trustBundle: [], crls: [], trustDomain: nil, xroad: [])

    @Test(
        "Well-formed SPIFFE IDs are accepted as they are",
        arguments: [
            "spiffe://gov.example/ns/registry/sa/api",
            "spiffe://gov.example/a",
            "spiffe://trust_domain-1.example/Path.With-Mixed_Case/0",
        ])
    func valid(id: String) {
        guard case .verified(let peer) = Self.verifier.identity(fromPrincipal: id) else {
            Issue.record("'\(id)' was rejected")
            return
        }
        #expect(peer.spiffeID == id)
    }

    @Test(
        "Malformed SPIFFE IDs are certificate_spiffe_invalid",
        arguments: [
            "spiffe://gov.example/ns/a?x=1",  // query
            "spiffe://gov.example/ns/a#frag",  // fragment
            "spiffe://gov.example:8443/ns/a",  // port
            "spiffe://user@gov.example/ns/a",  // user info
            "spiffe://gov.example",  // no path
            "spiffe://gov.example/",  // empty segment
            "spiffe://gov.example/ns//a",  // empty segment
            "spiffe://gov.example/ns/a/",  // trailing slash
            "spiffe://gov.example/ns/../admin",  // dot-dot
            "spiffe://gov.example/./a",  // dot
            "spiffe://gov.example/ns/%2e%2e",  // percent-encoding
            "spiffe://Gov.Example/ns/a",  // upper-case trust domain
            "SPIFFE://gov.example/ns/a",  // upper-case scheme
            "spiffe:gov.example/ns/a",  // no authority
            "spiffe:///ns/a",  // empty trust domain
            "spiffe://gov.example/ns/ä",  // non-ASCII
            "spiffe://gov.example/ns/a b",  // space
            "spiffe://gov.example/" + String(repeating: "a", count: 2100),  // too long
        ])
    func invalid(id: String) {
        guard case .rejected(let failure) = Self.verifier.identity(fromPrincipal: id) else {
            Issue.record("'\(id)' was accepted")
            return
        }
        #expect(failure.detail == .certificateSPIFFEInvalid)
        #expect(failure.reason == .invalidClientCertificate)
        #expect(!failure.description.contains("\n"))
    }

    @Test("With a trust domain, IDs outside it are rejected and IDs inside it accepted")
    func trustDomain() {
        let verifier = ClientCertificateVerifier(trustBundle: [], crls: [], trustDomain: "gov.example", xroad: [])
        for (id, accepted) in [
            ("spiffe://gov.example/ns/a", true), ("spiffe://evil.example/ns/a", false),
            ("spiffe://gov.example.evil/ns/a", false), ("spiffe://sub.gov.example/ns/a", false),
        ] {
            let result = verifier.identity(fromPrincipal: id)
            if case .verified = result { #expect(accepted, "\(id)") } else { #expect(!accepted, "\(id)") }
        }
    }

    @Test(
        "A principal that is no DN and no URI is certificate_principal_invalid",
        arguments: [
            "client.gov.example", "", "CN", "CN=a,#x", "CN=\"quoted\"",
        ])
    func notAPrincipal(principal: String) {
        guard case .rejected(let failure) = Self.verifier.identity(fromPrincipal: principal) else {
            Issue.record("'\(principal)' was accepted")
            return
        }
        #expect(failure.detail == .certificatePrincipalInvalid)
    }
}
