import EnvoyAuthAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf

/// A gRPC client for a running `gatehouse serve`.
enum GatehouseClient {
    /// How to reach the server.
    enum Security {
        case plaintext
        /// TLS trusting the dev CA, presenting `certificate` (a certs-dev stem) or none.
        case tls(certificates: String, certificate: String?)
    }

    /// Runs `body` with a client connected to `port`.
    static func with<Result: Sendable>(
        port: Int,
        security: Security = .plaintext,
        _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let transportSecurity: HTTP2ClientTransport.Posix.TransportSecurity
        switch security {
        case .plaintext:
            transportSecurity = .plaintext
        case .tls(let certificates, let certificate?):
            transportSecurity = .mTLS(
                certificateChain: [.file(path: "\(certificates)/\(certificate).pem", format: .pem)],
                privateKey: .file(path: "\(certificates)/\(certificate)-dev-key.pem", format: .pem)
            ) { config in
                config.trustRoots = .certificates([.file(path: "\(certificates)/ca.pem", format: .pem)])
                config.serverCertificateVerification = .noHostnameVerification
            }
        case .tls(let certificates, nil):
            transportSecurity = .tls { config in
                config.trustRoots = .certificates([.file(path: "\(certificates)/ca.pem", format: .pem)])
                config.serverCertificateVerification = .noHostnameVerification
            }
        }
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: transportSecurity,
            config: .defaults { $0.connection.maxIdleTime = nil })
        return try await withGRPCClient(transport: transport) { client in try await body(client) }
    }

    /// A Check with the generated stub.
    static func check(_ client: GRPCClient<HTTP2ClientTransport.Posix>, _ request: Envoy_Service_Auth_V3_CheckRequest)
        async throws
        -> Envoy_Service_Auth_V3_CheckResponse
    {
        try await Envoy_Service_Auth_V3_Authorization.Client(wrapping: client).check(
            request, options: .timeout(.seconds(10)))
    }

    /// A Check whose request body is `bytes` exactly, as a broken or hostile client would send it.
    static func checkRaw(_ client: GRPCClient<HTTP2ClientTransport.Posix>, _ bytes: [UInt8]) async throws
        -> Envoy_Service_Auth_V3_CheckResponse
    {
        try await client.unary(
            request: ClientRequest(message: bytes),
            descriptor: Envoy_Service_Auth_V3_Authorization.Method.Check.descriptor,
            serializer: RawSerializer(), deserializer: ProtobufDeserializer<Envoy_Service_Auth_V3_CheckResponse>(),
            options: .timeout(.seconds(10))
        ) { try $0.message }
    }

    /// A request for a path on the e2e fixture's host.
    static func request(path: String, headers: [String: String] = [:]) -> Envoy_Service_Auth_V3_CheckRequest {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "GET"
        request.attributes.request.http.path = path
        request.attributes.request.http.host = "civil-registry.gov.example"
        request.attributes.request.http.headers = headers
        request.attributes.contextExtensions = ["building_block": "civil-registry"]
        return request
    }
}

/// Sends bytes as they are.
struct RawSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}

extension CallOptions {
    static func timeout(_ duration: Duration) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = duration
        return options
    }
}
