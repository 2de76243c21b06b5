import GatehouseHTTPAuthz
import Testing

@Suite("x-forwarded-client-cert parsing")
struct ForwardedClientCertificateTests {
    @Test("Reads Cert, URI, DNS and a quoted Subject from Envoy's SANITIZE_SET header")
    func readsEnvoyFields() throws {
        let header =
            #"By=spiffe://gov.example/envoy/front;Hash=ab12;Cert="-----BEGIN%20CERTIFICATE-----%0AMIIB%0A-----END%20CERTIFICATE-----%0A";Subject="CN=clerk,O=Registry; Dept";URI=spiffe://gov.example/clerk;DNS=clerk.gov.example"#
        let forwarded = try #require(ForwardedClientCertificate(header: header))
        #expect(forwarded.certificate == "-----BEGIN%20CERTIFICATE-----%0AMIIB%0A-----END%20CERTIFICATE-----%0A")
        #expect(forwarded.subject == "CN=clerk,O=Registry; Dept")
        #expect(forwarded.uri == "spiffe://gov.example/clerk")
        #expect(forwarded.dns == "clerk.gov.example")
        #expect(forwarded.principal == "spiffe://gov.example/clerk")
    }

    @Test("Takes the last element: the client of the Envoy that asks (APPEND_FORWARD)")
    func lastElement() throws {
        let header = #"URI=spiffe://a/first;Subject="CN=a,O=x", URI=spiffe://b/second"#
        let forwarded = try #require(ForwardedClientCertificate(header: header))
        #expect(forwarded.uri == "spiffe://b/second")
        #expect(forwarded.subject == nil)
    }

    @Test("Principal falls back to the DNS SAN, then the subject")
    func principalFallback() throws {
        #expect(ForwardedClientCertificate(header: "DNS=a.example;Subject=\"CN=a\"")?.principal == "a.example")
        #expect(ForwardedClientCertificate(header: "Subject=\"CN=a,O=b\"")?.principal == "CN=a,O=b")
    }

    @Test("Escaped quotes stay in a quoted value")
    func escapedQuote() throws {
        let forwarded = try #require(ForwardedClientCertificate(header: #"Subject="CN=say \"hi\"""#))
        #expect(forwarded.subject == #"CN=say "hi""#)
    }

    @Test(
        "An unterminated quote, or no certificate and no name, gives nothing",
        arguments: [
            #"Subject="CN=a"#, "By=spiffe://x;Hash=00", "", "garbage",
        ])
    func nothing(header: String) {
        #expect(ForwardedClientCertificate(header: header) == nil)
    }
}
