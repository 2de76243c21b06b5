import GatehouseCore
import GatehouseHTTPAuthz
import NIOHTTP1
import Testing

@Suite("HTTP mode request → AuthzRequest")
struct HTTPAuthzRequestMappingTests {
    static let routes = [
        PathPrefixRoute(prefix: "/authz/civil-registry", contextExtensions: ["building_block": "civil-registry"]),
        PathPrefixRoute(prefix: "/authz", contextExtensions: ["building_block": "any"]),
    ]
    static let now = UnixTime(seconds: 1_796_517_312)

    static func head(_ uri: String, _ headers: [(String, String)], method: NIOHTTP1.HTTPMethod = .GET)
        -> HTTPRequestHead
    {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    static func map(_ head: HTTPRequestHead, trusted: Bool = false) -> AuthzRequest {
        AuthzRequest(httpAuthz: head, routes: Self.routes, trustsForwardedIdentity: trusted, receivedAt: Self.now)
    }

    @Test("The longest path prefix selects the context extensions and is stripped from the path")
    func pathPrefix() {
        let request = Self.map(
            Self.head("/authz/civil-registry/births/1987-0042?x=1", [("Host", "civil-registry.gov.example")]))
        #expect(request.contextExtensions == ["building_block": "civil-registry"])
        #expect(request.path == "/births/1987-0042")
        #expect(request.rawPath == "/births/1987-0042?x=1")
        #expect(request.host == "civil-registry.gov.example")
        #expect(request.time == Self.now)
    }

    @Test("A prefix matches only on a segment boundary; no match keeps the path and no extensions")
    func segmentBoundary() {
        let partial = Self.map(Self.head("/authz/civil-registryX/births", []))
        #expect(partial.contextExtensions == ["building_block": "any"])
        #expect(partial.path == "/civil-registryX/births")
        let none = Self.map(Self.head("/births", []))
        #expect(none.contextExtensions.isEmpty)
        #expect(none.path == "/births")
    }

    @Test("Method, scheme, the last x-forwarded-for address and lower-cased headers; Envoy's own call headers dropped")
    func facts() {
        let request = Self.map(
            Self.head(
                "/x",
                [
                    ("Authorization", "Bearer abc"), ("X-Forwarded-Proto", "https"),
                    ("x-forwarded-for", "10.0.0.9, 192.0.2.7"), ("content-length", "0"),
                    ("x-envoy-expected-rq-timeout-ms", "500"),
                ], method: .POST))
        #expect(request.method == GatehouseCore.HTTPMethod("POST"))
        #expect(request.scheme == "https")
        #expect(request.source.address == IPAddress("192.0.2.7"))
        #expect(request.headers["authorization"] == ["Bearer abc"])
        #expect(request.headers["content-length"] == nil)
        #expect(request.headers["x-envoy-expected-rq-timeout-ms"] == nil)
    }

    @Test("x-forwarded-client-cert becomes the source certificate only on a trusted listener")
    func forwardedCertificate() {
        let xfcc = ("x-forwarded-client-cert", #"Hash=00;Cert="PEM%0A";URI=spiffe://gov.example/clerk"#)
        let trusted = Self.map(Self.head("/x", [xfcc]), trusted: true)
        #expect(trusted.source.certificate == "PEM%0A")
        #expect(trusted.source.principal == nil)
        let untrusted = Self.map(Self.head("/x", [xfcc]), trusted: false)
        #expect(untrusted.source.certificate == nil)
        #expect(untrusted.source.principal == nil)
    }

    @Test("Without Cert, the forwarded name is the principal on a trusted listener")
    func forwardedPrincipal() {
        let xfcc = ("x-forwarded-client-cert", "URI=spiffe://gov.example/clerk")
        #expect(Self.map(Self.head("/x", [xfcc]), trusted: true).source.principal == "spiffe://gov.example/clerk")
    }

    @Test(
        "Valid prefixes",
        arguments: [
            ("/a", true), ("/a/b", true), ("/", false), ("a", false), ("/a/", false),
            ("/a/../b", false), ("/a%2f", false), ("/a?x", false),
        ])
    func prefixes(prefix: String, valid: Bool) {
        #expect(PathPrefixRoute.isValid(prefix: prefix) == valid)
    }
}
