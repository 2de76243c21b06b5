import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Decision tree: dot segments and the paths.dotSegments setting")
struct DotSegmentTests {
    static let ambiguousByDefault = ["/a/../secret", "/a/./b", "/a/%2e%2e/secret", "/a/%2E", "/a/b.%2ejson", "/.."]

    @Test(
        "By default a dot segment or an encoded dot is denied 400 ambiguous_path before any policy, detail path_dot_segment",
        arguments: Self.ambiguousByDefault)
    func deniedByDefault(path: String) throws {
        let tree = try Fixture.tree([Fixture.rule("everything", .allow)])
        let request = AuthzRequest(path: path)
        #expect(request.pathProblem == .dotSegment)
        let decision = tree.evaluate(request, identity: Fixture.token())
        #expect(decision.outcome == .deny)
        #expect(decision.status == 400)
        #expect(decision.reason == .ambiguousPath)
        #expect(decision.reasonDetail == .pathDotSegment)
        #expect(decision.policy == nil)
        #expect(decision.rule == nil)
        #expect(decision.dynamicMetadata(decisionID: "d").contains { $0 == ("reason_detail", "path_dot_segment") })
    }

    @Test("Other ambiguous paths carry no reason_detail, as before")
    func otherAmbiguousPathsHaveNoDetail() throws {
        let tree = try Fixture.tree([Fixture.rule("everything", .allow)])
        let decision = tree.evaluate(AuthzRequest(path: "/a%2Fb"), identity: .anonymous)
        #expect(decision.reason == .ambiguousPath)
        #expect(decision.reasonDetail == nil)
    }

    @Test("With paths.dotSegments normalize, a dot segment is resolved and the policy decides on the result")
    func normalizeResolves() throws {
        let tree = try Fixture.tree([
            Fixture.rule("read", .allow, paths: ["/a/**"]),
            Fixture.rule("no-secrets", .deny, paths: ["/secret/**"]),
        ])
        let normalize = PathNormalizer.Configuration(dotSegments: .normalize)
        let escaped = tree.evaluate(AuthzRequest(path: "/a/../secret/x", paths: normalize), identity: .anonymous)
        #expect(escaped.reason == .deniedByRule)
        #expect(escaped.rule == "no-secrets")
        let encoded = tree.evaluate(AuthzRequest(path: "/a/b/%2e%2e/c", paths: normalize), identity: .anonymous)
        #expect(encoded.isAllowed)
        #expect(AuthzRequest(path: "/a/b/%2e%2e/c", paths: normalize).path == "/a/c")
    }

    @Test("A path without dot segments decides the same under either setting")
    func plainPathsAreUnaffected() throws {
        let tree = try Fixture.tree([Fixture.rule("read", .allow, paths: ["/a/*"])])
        for path in ["/a/b", "//a//b", "/a/%7Eb", "/a/.well-known", "/a/b.json?q=/../x"] {
            let strict = tree.evaluate(AuthzRequest(path: path), identity: .anonymous)
            let normalized = tree.evaluate(
                AuthzRequest(path: path, paths: .init(dotSegments: .normalize)), identity: .anonymous)
            #expect(strict == normalized, "\(path)")
            #expect(strict.isAllowed, "\(path)")
        }
    }

    @Test("Policy path patterns keep resolving their dot segments whatever the server setting")
    func patternsResolveDots() throws {
        let pattern = try #require(try? PathPattern.parse("/x/../records/./*").get())
        #expect(pattern.description == "/records/*")
    }

    @Test("--explain names the dot segment and the setting that would accept it")
    func explanation() throws {
        let tree = try Fixture.tree([Fixture.rule("everything", .allow)])
        var tracer = RecordingTracer()
        _ = tree.evaluate(AuthzRequest(path: "/a/../b"), identity: .anonymous, tracer: &tracer)
        let line = try #require(tracer.events.first?.description)
        #expect(line.hasPrefix("path '/a/../b' refused: ambiguous (a '.' or '..' segment"))
        #expect(line.contains("paths.dotSegments: normalize"))
    }

    @Test("The defaults refuse dot segments; defaults(configure:) changes them")
    func configurationDefaults() {
        #expect(PathNormalizer.Configuration.defaults.dotSegments == .reject)
        #expect(PathNormalizer.Configuration.defaults { $0.dotSegments = .normalize }.dotSegments == .normalize)
        #expect(PathNormalizer.DotSegments.allCases.map(\.rawValue) == ["reject", "normalize"])
    }
}
