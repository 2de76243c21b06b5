import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Host patterns")
struct HostPatternTests {
    @Test(
        "A pattern text parses lower-cased into exact, suffix or any",
        arguments: [
            ("example.gov", HostPattern.exact("example.gov")),
            ("Example.GOV", .exact("example.gov")),
            ("*.example.gov", .suffix("example.gov")),
            ("*.Example.Gov", .suffix("example.gov")),
            ("*", .any),
        ]
    )
    func parses(text: String, expected: HostPattern) {
        #expect(HostPattern(text) == expected)
    }

    @Test(
        "A misplaced '*', an empty name, a slash or a space is refused",
        arguments: ["", "*.", "**", "a*.gov", "*.*.gov", "a.*.gov", "a/b", "a b"])
    func refuses(text: String) {
        #expect(HostPattern(text) == nil)
    }

    @Test(
        "An exact pattern matches only that host; '*.suffix' needs at least one label before it",
        arguments: [
            ("example.gov", "example.gov", true),
            ("example.gov", "www.example.gov", false),
            ("example.gov", "example.gov.evil", false),
            ("*.example.gov", "www.example.gov", true),
            ("*.example.gov", "a.b.example.gov", true),
            ("*.example.gov", "example.gov", false),
            ("*.example.gov", ".example.gov", false),
            ("*.example.gov", "evilexample.gov", false),
            ("*.example.gov", "www.example.gov.evil", false),
            ("*", "anything.example", true),
            ("*", "", true),
        ]
    )
    func matches(pattern: String, host: String, expected: Bool) throws {
        #expect(try Fixture.host(pattern).matches(host) == expected)
    }

    @Test("Hosts compare byte for byte, so a request's host is lower-cased and stripped of its port first")
    func caseAndPort() throws {
        let pattern = try Fixture.host("Registry.Example")
        #expect(!pattern.matches("REGISTRY.EXAMPLE"))
        let request = AuthzRequest(host: "REGISTRY.Example:8443")
        #expect(request.host == "registry.example")
        #expect(request.hostPort == 8443)
        #expect(pattern.matches(request.host))
        #expect(pattern.matches(AuthzRequest(host: "registry.example.").host))
    }
}

@Suite("Path patterns")
struct PathPatternTests {
    @Test(
        "A malformed pattern is refused with the reason",
        arguments: [
            ("/a*", PathPattern.ParseProblem.partialWildcard("a*")),
            ("/a/*b/c", .partialWildcard("*b")),
            ("/a/***", .partialWildcard("***")),
            ("/**/a/**/b/**", .tooManyDoubleStars),
            ("a/b", .notAbsolute),
            ("", .notAbsolute),
            ("*", .notAbsolute),
            ("/a?b", .ambiguous),
            ("/a#b", .ambiguous),
            ("/a%2Fb", .ambiguous),
            ("/a\\b", .ambiguous),
        ]
    )
    func refuses(text: String, problem: PathPattern.ParseProblem) {
        #expect(PathPattern.parse(text) == .failure(problem))
    }

    @Test(
        "Patterns are normalized like request paths",
        arguments: ["/café/*", "/caf%c3%a9/*", "/./café//*", "/x/../café/*"])
    func normalizes(text: String) throws {
        let pattern = try Fixture.path(text)
        #expect(pattern.description == "/caf%C3%A9/*")
        #expect(pattern.segments == [.literal("caf%C3%A9"), .star])
    }

    @Test("Two '**' are allowed; the root pattern has no segments")
    func segments() throws {
        #expect(try Fixture.path("/a/**/b/**").segments == [.literal("a"), .doubleStar, .literal("b"), .doubleStar])
        #expect(try Fixture.path("/").segments == [])
        #expect(try Fixture.path("/a/").segments == [.literal("a"), .literal("")])
    }

    @Test(
        "'*' matches exactly one non-empty segment and '**' zero or more",
        arguments: [
            ("/a/*", "/a/b", true),
            ("/a/*", "/a/", false),
            ("/a/*", "/a", false),
            ("/a/*", "/a/b/c", false),
            ("/*/x", "/a/x", true),
            ("/records/**", "/records", true),
            ("/records/**", "/records/", true),
            ("/records/**", "/records/a/b", true),
            ("/records/**", "/recordsx", false),
            ("/records/**", "/", false),
            ("/a/**/b", "/a/b", true),
            ("/a/**/b", "/a/x/y/b", true),
            ("/a/**/b", "/a/x/b/c", false),
            ("/**/b/**", "/b", true),
            ("/**/b/**", "/x/b/y/z", true),
            ("/**/b/**", "/x/c", false),
            ("/**", "/", true),
            ("/**", "/any/depth/", true),
            ("/", "/", true),
            ("/", "/a", false),
            ("/a/", "/a/", true),
            ("/a/", "/a", false),
            ("/a", "/a/", false),
            ("/A", "/a", false),
            ("/", "*", false),
            ("/**", "*", false),
            ("/**", "", false),
        ]
    )
    func matches(pattern: String, path: String, expected: Bool) throws {
        #expect(try Fixture.path(pattern).matches(path) == expected)
    }

    @Test(
        "A pattern is covered by another when the other matches everything it matches",
        arguments: [
            ("/a/b", "/a/*", true),
            ("/a/*", "/a/**", true),
            ("/a", "/a/**", true),
            ("/a/b/c", "/a/**", true),
            ("/a/**/b", "/a/**", true),
            ("/x/**", "/**", true),
            ("/a/*", "/a/*", true),
            ("/a/**", "/a/*", false),
            ("/a/*", "/a/b", false),
            ("/a/", "/a/*", false),
            ("/a/**", "/a/**/b", false),
            ("/b/c", "/a/**", false),
            ("/a", "/a/", false),
        ]
    )
    func covered(pattern: String, by other: String, expected: Bool) throws {
        #expect(try Fixture.path(pattern).isCovered(by: Fixture.path(other)) == expected)
    }
}

@Suite("Principal patterns")
struct PrincipalPatternTests {
    static let healthPortal = PeerIdentity(spiffeID: "spiffe://gov.example/ns/health/sa/portal")

    @Test("An exact SPIFFE pattern matches only that ID")
    func spiffeExact() throws {
        let pattern = try #require(PrincipalPattern.spiffe("spiffe://gov.example/ns/health/sa/portal"))
        #expect(pattern == .spiffe(prefix: "spiffe://gov.example/ns/health/sa/portal", isWildcard: false))
        #expect(pattern.matches(Self.healthPortal))
        #expect(!pattern.matches(PeerIdentity(spiffeID: "spiffe://gov.example/ns/health/sa/portal2")))
        #expect(!pattern.matches(PeerIdentity(spiffeID: "spiffe://gov.example/ns/health/sa")))
        #expect(!pattern.matches(PeerIdentity()))
    }

    @Test("A SPIFFE pattern ending in '*' matches by prefix")
    func spiffePrefix() throws {
        let pattern = try #require(PrincipalPattern.spiffe("spiffe://gov.example/ns/health/*"))
        #expect(pattern.description == "spiffe://gov.example/ns/health/*")
        #expect(pattern.matches(Self.healthPortal))
        #expect(!pattern.matches(PeerIdentity(spiffeID: "spiffe://gov.example/ns/healthcare/sa/x")))
        #expect(!pattern.matches(PeerIdentity(spiffeID: "spiffe://other.example/ns/health/sa/x")))
        #expect(!pattern.matches(PeerIdentity(xroadClient: XRoadClientID("GOV/COM/1"))))
    }

    @Test(
        "A SPIFFE pattern needs the scheme, a trust domain and at most a trailing '*'",
        arguments: [
            "http://gov.example/x", "spiffe://", "spiffe://*", "spiffe:///ns/x", "spiffe://gov.example/*/sa",
            // A wildcard must follow a '/', or it would reach across the trust-domain boundary.
            "spiffe://gov.example*", "spiffe://gov.example/ns/health*",
        ]
    )
    func spiffeRefused(text: String) {
        #expect(PrincipalPattern.spiffe(text) == nil)
    }

    @Test(
        "X-Road patterns match part by part, '*' any one part, and members never subsystems",
        arguments: [
            ("GOV/COM/12345678", "GOV/COM/12345678", true),
            ("GOV/COM/*", "GOV/COM/12345678", true),
            ("GOV/COM/*", "GOV/COM/12345678/emr", false),
            ("GOV/COM/*/*", "GOV/COM/12345678/emr", true),
            ("GOV/COM/*/*", "GOV/COM/12345678", false),
            ("GOV/COM/*/emr", "GOV/COM/1/emr", true),
            ("GOV/COM/*/emr", "GOV/COM/1/billing", false),
            ("*/*/*", "EE/GOV/70000001", true),
            ("GOV/COM/1", "GOV/GOV/1", false),
            ("GOV/COM/1", "gov/COM/1", false),
        ]
    )
    func xroad(pattern: String, client: String, expected: Bool) throws {
        let compiled = try #require(PrincipalPattern.xroad(pattern))
        #expect(compiled.description == pattern)
        let id: XRoadClientID = try #require(XRoadClientID(client))
        #expect(compiled.matches(PeerIdentity(xroadClient: id)) == expected)
    }

    @Test(
        "An X-Road pattern has three or four non-empty parts, each '*' or without '*'",
        arguments: ["GOV/COM", "GOV//1", "a/b/c/d/e", "GOV/COM/1*", "GOV/COM/*x/y", ""])
    func xroadRefused(text: String) {
        #expect(PrincipalPattern.xroad(text) == nil)
    }

    @Test("An X-Road pattern never matches a peer without an X-Road client")
    func xroadWithoutClient() throws {
        #expect(try #require(PrincipalPattern.xroad("*/*/*")).matches(Self.healthPortal) == false)
    }
}
