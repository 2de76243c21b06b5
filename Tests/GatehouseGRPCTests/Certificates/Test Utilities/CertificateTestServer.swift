import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCInProcessTransport
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehousePolicy
import GatehouseTestSupport
import Logging
import SwiftProtobuf
import Testing
import X509

/// Runs the Authorization service over the in-process transport with a policy directory
/// written to a temporary directory, and credentials verified by the server's own composition
/// (``IdentityLoader``), as `gatehouse serve` builds it.
enum CertificateTestServer {
    /// What loading the policy directory produced.
    enum Loaded {
        case active
        /// The authenticator could not be built; no revision was activated.
        case failed(IdentityError)
    }

    /// Writes `files` (name → contents) and `policy` as `policy.yaml` into a fresh directory,
    /// compiles it, and runs `body` with a client; the answers carry `metadata`'s fields (the
    /// server's default, lean, unless the test reads more).
    static func with<Result: Sendable>(
        policy: String,
        files: [String: String],
        metadata: MetadataFields = .lean,
        _ body:
            @Sendable (Envoy_Service_Auth_V3_Authorization.Client<InProcessTransport.Client>, Loaded) async throws
            -> Result
    ) async throws -> Result {
        try await withTemporaryDirectory("grpc-cert") { directory in
            let authorizer = Authorizer()
            let loaded = try Self.load(policy: policy, files: files, in: directory, into: authorizer)
            let transport = InProcessTransport()
            let service = AuthorizationService(
                authorizer: authorizer, logger: Logger(label: "test"), metadata: metadata)
            return try await withGRPCServer(transport: transport.server, services: [service]) { _ in
                try await withGRPCClient(transport: transport.client) { client in
                    try await body(Envoy_Service_Auth_V3_Authorization.Client(wrapping: client), loaded)
                }
            }
        }
    }

    /// Writes the files and the policy into `directory`, compiles them and activates the result.
    private static func load(
        policy: String, files: [String: String], in directory: URL, into authorizer: Authorizer
    ) throws -> Loaded {
        for (name, contents) in files {
            try Data(contents.utf8).write(to: directory.appendingPathComponent(name))
        }
        let result = PolicyCompiler.compile(
            sources: [PolicySource(path: directory.path + "/policy.yaml", text: policy)], checksFiles: true)
        let compiled = try #require(result.compiled, "\(result.diagnostics)")
        do throws(IdentityError) {
            authorizer.activate(compiled.tree, authenticator: try ServerAuthenticators.load(compiled))
            return .active
        } catch {
            return .failed(error.problems[0])
        }
    }

    /// A CheckRequest for `host` and `path` at the reference time, with Envoy's URL-encoded
    /// certificate and principal when given.
    static func request(
        host: String, path: String, certificate: String?, principal: String? = nil
    ) -> Envoy_Service_Auth_V3_CheckRequest {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "GET"
        request.attributes.request.http.path = path
        request.attributes.request.http.host = host
        request.attributes.request.time = Google_Protobuf_Timestamp(
            seconds: TestPKI.referenceTime.seconds, nanos: 0)
        request.attributes.source.address.socketAddress.address = "10.1.2.3"
        if let certificate { request.attributes.source.certificate = certificate }
        if let principal { request.attributes.source.principal = principal }
        return request
    }
}
