import EnvoyAuthAPI
import GRPCCore
import GRPCInProcessTransport
import GatehouseCore
import GatehouseGRPC
import GatehousePolicy
import Logging
import SwiftProtobuf
import Testing

/// Issue #11 item 9 as Envoy sees it: the server's `paths.dotSegments` reaches the request mapping.
@Suite("Authorization service: dot segments in the path")
struct DotSegmentServiceTests {
    static let policy = """
        kind: Policy
        name: records
        rules:
          - { name: read, action: allow, paths: [/records/**] }
          - { name: no-admin, action: deny, paths: [/admin/**] }
        """

    /// Checks `path` against ``policy`` through a service built with `paths`, over the in-process transport.
    static func check(
        _ path: String, paths: PathNormalizer.Configuration? = nil
    ) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        let authorizer = Authorizer()
        let compiled = PolicyCompiler.compile(sources: [PolicySource(path: "records.yaml", text: Self.policy)])
        authorizer.activate(try #require(compiled.compiled).tree, authenticator: AnonymousAuthenticator())
        let logger = Logger(label: "test")
        // The rule that decided (or that none did) is read from the answers: the full metadata.
        let service =
            paths.map { AuthorizationService(decider: authorizer, logger: logger, paths: $0, metadata: .full) }
            ?? AuthorizationService(decider: authorizer, logger: logger, metadata: .full)
        let transport = InProcessTransport()
        return try await withGRPCServer(transport: transport.server, services: [service]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await Envoy_Service_Auth_V3_Authorization.Client(wrapping: client).check(
                    InProcessServer.request(path: path))
            }
        }
    }

    @Test(
        "By default a dot segment or an encoded dot answers INVALID_ARGUMENT, 400 ambiguous_path, detail path_dot_segment",
        arguments: ["/records/a/../b", "/records/./a", "/records/%2e%2e/admin", "/records/a%2Ejson", "/records/.."])
    func deniedByDefault(path: String) async throws {
        let response = try await Self.check(path)
        #expect(response.status.code == 3)
        #expect(response.denied?.status.code == .badRequest)
        let metadata = response.dynamicMetadata.fields
        #expect(metadata["reason"]?.stringValue == "ambiguous_path")
        #expect(metadata["reason_detail"]?.stringValue == "path_dot_segment")
        #expect(metadata["rule"] == nil)
    }

    @Test("Built with the defaults, or with reject spelled out, the service refuses the same path")
    func explicitReject() async throws {
        let response = try await Self.check("/records/a/../b", paths: .init(dotSegments: .reject))
        #expect(response.denied?.status.code == .badRequest)
    }

    @Test("With paths.dotSegments normalize the path is resolved and the policy decides on it")
    func normalize() async throws {
        let normalize = PathNormalizer.Configuration(dotSegments: .normalize)
        let allowed = try await Self.check("/records/a/../b", paths: normalize)
        #expect(allowed.status.code == 0)
        #expect(allowed.dynamicMetadata.fields["rule"]?.stringValue == "read")
        let escaped = try await Self.check("/records/%2e%2e/admin/users", paths: normalize)
        #expect(escaped.status.code == 7)
        #expect(escaped.dynamicMetadata.fields["rule"]?.stringValue == "no-admin")
    }

    @Test("An encoded slash stays ambiguous under normalize, without the dot-segment detail")
    func encodedSlashUnderNormalize() async throws {
        let response = try await Self.check("/records/..%2Fadmin", paths: .init(dotSegments: .normalize))
        #expect(response.denied?.status.code == .badRequest)
        #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "ambiguous_path")
        #expect(response.dynamicMetadata.fields["reason_detail"] == nil)
    }

    @Test("The CheckRequest mapping normalizes as it is told")
    func mapping() {
        let check = InProcessServer.request(path: "/records/a/./b?x=/../")
        let strict = AuthzRequest(check, receivedAt: UnixTime(seconds: 1))
        #expect(strict.pathProblem == .dotSegment)
        let normalized = AuthzRequest(
            check, receivedAt: UnixTime(seconds: 1), paths: .init(dotSegments: .normalize))
        #expect(normalized.pathProblem == nil)
        #expect(normalized.path == "/records/a/b")
        #expect(normalized.query.pairs.first?.value == "/../")
    }
}
