import AsyncHTTPClient
import GatehouseAdmin
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// The two listeners that answer the AuthZEN API with the same handler; the AuthZEN tests run
/// against both.
enum AuthZENListener: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// The admin listener's router (Hummingbird), in process.
    case admin
    /// The AuthZEN listener of its own (SwiftNIO), over a socket on 127.0.0.1.
    case authzen

    var testDescription: String { self.rawValue }

    /// Runs `body` with a client of this listener serving `api`.
    func withClient<Value: Sendable>(
        api: AdminAPI, configure: (inout AuthZENServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (any AuthZENTestClient) async throws -> Value
    ) async throws -> Value {
        switch self {
        case .admin:
            return try await Application(router: api.makeRouter()).test(.router) { client in
                try await body(RouterClient(client: client))
            }
        case .authzen:
            var configuration = AuthZENServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext)
            configure(&configuration)
            return try await Self.withServer(api: api, configuration: configuration) { port in
                try await body(AuthZENListenerClient(port: port))
            }
        }
    }

    /// Runs `body` with the port of an ``AuthZENServer`` serving `api`, stopped afterwards.
    static func withServer<Value: Sendable>(
        api: AdminAPI, configuration: AuthZENServerConfiguration,
        _ body: @Sendable (Int) async throws -> Value
    ) async throws -> Value {
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        let server = AuthZENServer(
            api: api, configuration: configuration, logger: Logger(label: "authzen-listener-test"),
            onListening: { port in
                announce.yield(port)
                announce.finish()
            })
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask {
                try await server.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let value = try await body(port)
            group.cancelAll()
            return value
        }
    }
}

/// An answer of either listener.
struct AuthZENResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer
}

/// A client of either listener.
protocol AuthZENTestClient: Sendable {
    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws
        -> AuthZENResponse
}

extension AuthZENTestClient {
    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:]) async throws -> AuthZENResponse {
        try await self.execute(uri: uri, method: method, headers: headers, body: nil)
    }
}

/// The admin listener's router, through HummingbirdTesting.
struct RouterClient: AuthZENTestClient {
    let client: any TestClientProtocol

    func execute(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?
    ) async throws -> AuthZENResponse {
        let response = try await self.client.execute(uri: uri, method: method, headers: headers, body: body)
        return AuthZENResponse(status: response.status, headers: response.headers, body: response.body)
    }
}

/// The AuthZEN listener, over AsyncHTTPClient.
struct AuthZENListenerClient: AuthZENTestClient {
    let port: Int

    func execute(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?
    ) async throws -> AuthZENResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.port)\(uri)")
        request.method = NIOHTTP1.HTTPMethod(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var fields = HTTPFields()
        for header in response.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return AuthZENResponse(
            status: HTTPResponse.Status(code: Int(response.status.code)), headers: fields, body: bytes)
    }
}
