import EnvoyAuthAPI
import GRPCCore
import GRPCInProcessTransport
import GatehouseCore
import GatehouseGRPC
import GatehousePolicy
import Logging
import Testing

/// Runs the Authorization and health services over the in-process transport.
enum InProcessServer {
    /// Compiles `policy` (one YAML document) and runs `body` with a client for both services.
    ///
    /// - Parameter metadata: The answers' metadata fields; the server's default (lean) unless
    ///   the test reads more than the decision id and the reason.
    static func with<Result: Sendable>(
        policy: String?,
        authenticator: any Authenticator = AnonymousAuthenticator(),
        metadata: MetadataFields = .lean,
        _ body:
            @Sendable (
                Envoy_Service_Auth_V3_Authorization.Client<InProcessTransport.Client>,
                Grpc_Health_V1_Health.Client<InProcessTransport.Client>
            ) async throws -> Result
    ) async throws -> Result {
        let authorizer = Authorizer()
        if let policy {
            let result = PolicyCompiler.compile(sources: [PolicySource(path: "test.yaml", text: policy)])
            authorizer.activate(
                try #require(result.compiled, "\(result.diagnostics)").tree, authenticator: authenticator)
        }
        let logger = Logger(label: "test")
        let transport = InProcessTransport()
        let services: [any RegistrableRPCService] = [
            AuthorizationService(authorizer: authorizer, logger: logger, metadata: metadata),
            HealthService(pollInterval: .milliseconds(10)) { authorizer.isReady },
        ]
        return try await withGRPCServer(transport: transport.server, services: services) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(
                    Envoy_Service_Auth_V3_Authorization.Client(wrapping: client),
                    Grpc_Health_V1_Health.Client(wrapping: client))
            }
        }
    }

    /// A CheckRequest as Envoy's HTTP filter sends it.
    static func request(
        method: String = "GET",
        path: String,
        host: String = "registry.gov.example",
        headers: [String: String] = [:],
        context: [String: String] = [:]
    ) -> Envoy_Service_Auth_V3_CheckRequest {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = method
        request.attributes.request.http.path = path
        request.attributes.request.http.host = host
        request.attributes.request.http.headers = headers
        request.attributes.contextExtensions = context
        request.attributes.source.address.socketAddress.address = "10.1.2.3"
        request.attributes.source.address.socketAddress.portValue = 40_000
        return request
    }
}
