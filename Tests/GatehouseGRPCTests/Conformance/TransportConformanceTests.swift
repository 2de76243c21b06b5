import EnvoyAuthAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GatehouseGRPC
import SwiftProtobuf
import Synchronization
import Testing

/// The same calls against the server transport on every kind of listener (plaintext TCP, Unix
/// socket, TLS, mTLS), over real sockets with grpc-swift's client: Envoy must not be able to tell
/// which listener answers.
@Suite("Every kind of listener answers the same calls alike", .timeLimit(.minutes(1)))
struct TransportConformanceTests {
    typealias Listener = LoopbackServer.Setup
    typealias Authorization = Envoy_Service_Auth_V3_Authorization

    static func request(path: String, headers: [String: String] = [:]) -> Envoy_Service_Auth_V3_CheckRequest {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "GET"
        request.attributes.request.http.path = path
        request.attributes.request.http.host = "conformance.example"
        request.attributes.request.http.headers = headers
        return request
    }

    static func check(
        _ client: GRPCClient<HTTP2ClientTransport.Posix>, path: String, headers: [String: String] = [:],
        options: CallOptions = .failFast()
    ) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        try await Authorization.Client(wrapping: client).check(
            Self.request(path: path, headers: headers), options: options)
    }

    /// The gRPC status code the call fails with, or `nil` if it succeeds.
    static func failure(_ call: () async throws -> Void) async -> RPCError.Code? {
        do {
            try await call()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    @Test("An allowed check answers OK with an OkHttpResponse", arguments: Listener.allCases)
    func allow(_ listener: Listener) async throws {
        let response = try await LoopbackServer.with(listener: listener) { server in
            try await server.withClient { try await Self.check($0, path: "/public/a") }
        }
        #expect(response.status.code == 0)
        let isOK = if case .okResponse = response.httpResponse { true } else { false }
        #expect(isOK)
    }

    @Test("A denied check answers PERMISSION_DENIED with a 403 DeniedHttpResponse", arguments: Listener.allCases)
    func deny(_ listener: Listener) async throws {
        let response = try await LoopbackServer.with(listener: listener) { server in
            try await server.withClient { try await Self.check($0, path: "/private/a") }
        }
        #expect(response.status.code == 7)
        #expect(response.deniedResponse.status.code == .forbidden)
    }

    @Test("Health Check answers SERVING for the Authorization service", arguments: Listener.allCases)
    func health(_ listener: Listener) async throws {
        let response = try await LoopbackServer.with(listener: listener) { server in
            try await server.withClient { client in
                var request = Grpc_Health_V1_HealthCheckRequest()
                request.service = "envoy.service.auth.v3.Authorization"
                return try await Grpc_Health_V1_Health.Client(wrapping: client).check(request, options: .failFast())
            }
        }
        #expect(response.status == .serving)
    }

    /// The statuses a Watch for `service` receives; `during` runs after the first one.
    static func watch(
        _ server: LoopbackServer, service: String, options: CallOptions = .failFast(timeout: .seconds(20)),
        during: @escaping @Sendable () async -> Void = {}
    ) async throws -> [Grpc_Health_V1_HealthCheckResponse.ServingStatus] {
        try await server.withClient { client in
            var request = Grpc_Health_V1_HealthCheckRequest()
            request.service = service
            return try await Grpc_Health_V1_Health.Client(wrapping: client).watch(request, options: options) {
                response in
                var statuses: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] = []
                for try await message in response.messages {
                    statuses.append(message.status)
                    if statuses.count == 1 { await during() }
                }
                return statuses
            }
        }
    }

    @Test("Health Watch sends SERVING and ends with OK when the server drains", arguments: Listener.allCases)
    func healthWatch(_ listener: Listener) async throws {
        let statuses = try await LoopbackServer.with(listener: listener) { server in
            try await Self.watch(server, service: "envoy.service.auth.v3.Authorization") {
                await server.beginGracefulShutdown()
            }
        }
        #expect(statuses == [.serving])
    }

    @Test("Health Watch for an unknown service sends SERVICE_UNKNOWN and stays open", arguments: Listener.allCases)
    func healthWatchUnknown(_ listener: Listener) async throws {
        try await LoopbackServer.with(listener: listener) { server in
            let received = Statuses()
            let code = await Self.failure {
                try await server.withClient { client in
                    // Connected first, so that no handshake (TLS, on a loaded machine) eats the deadline.
                    _ = try await Self.check(client, path: "/public/warm-up")
                    var request = Grpc_Health_V1_HealthCheckRequest()
                    request.service = "no.such.Service"
                    try await Grpc_Health_V1_Health.Client(wrapping: client).watch(
                        request, options: .failFast(timeout: .seconds(3))
                    ) { response in
                        for try await message in response.messages { received.append(message.status) }
                    }
                }
            }
            // Only the call's own deadline ends it.
            #expect(code == .deadlineExceeded)
            #expect(received.all == [.serviceUnknown])
        }
    }

    @Test("An unknown method fails UNIMPLEMENTED", arguments: Listener.allCases)
    func unknownMethod(_ listener: Listener) async throws {
        let code = try await LoopbackServer.with(listener: listener) { server in
            try await server.withClient { client in
                await Self.failure {
                    _ = try await client.unary(
                        request: ClientRequest(message: Self.request(path: "/public/a")),
                        descriptor: MethodDescriptor(
                            fullyQualifiedService: "envoy.service.auth.v3.Authorization", method: "Nope"),
                        serializer: ProtobufSerializer<Envoy_Service_Auth_V3_CheckRequest>(),
                        deserializer: ProtobufDeserializer<Envoy_Service_Auth_V3_CheckResponse>(),
                        options: .failFast()
                    ) { try $0.message }
                }
            }
        }
        #expect(code == .unimplemented)
    }

    @Test("A request over the size limit is refused RESOURCE_EXHAUSTED", arguments: Listener.allCases)
    func oversize(_ listener: Listener) async throws {
        let code = try await LoopbackServer.with(listener: listener, maxRequestBytes: 1_024) { server in
            try await server.withClient { client in
                await Self.failure {
                    _ = try await Self.check(
                        client, path: "/public/a", headers: ["x-big": String(repeating: "b", count: 4_096)])
                }
            }
        }
        #expect(code == .resourceExhausted, "An oversized request is never decided.")
    }

    @Test("A message that is not a CheckRequest fails INVALID_ARGUMENT", arguments: Listener.allCases)
    func malformed(_ listener: Listener) async throws {
        let code = try await LoopbackServer.with(listener: listener) { server in
            try await server.withClient { client in
                await Self.failure {
                    // A field tag with no value: protobuf cannot decode it.
                    _ = try await client.unary(
                        request: ClientRequest(message: [0x0B] as [UInt8]),
                        descriptor: Authorization.Method.Check.descriptor, serializer: BytesSerializer(),
                        deserializer: ProtobufDeserializer<Envoy_Service_Auth_V3_CheckResponse>(),
                        options: .failFast()
                    ) { try $0.message }
                }
            }
        }
        #expect(code == .invalidArgument)
    }

    @Test("A check still pending at the call's deadline fails DEADLINE_EXCEEDED", arguments: Listener.allCases)
    func deadline(_ listener: Listener) async throws {
        try await LoopbackServer.with(listener: listener) { server in
            var events = server.gate.events.makeAsyncIterator()
            let code = try await server.withClient { client in
                // Connected first, so that no handshake (TLS, under a loaded machine) eats the deadline;
                // and a deadline of seconds, not milliseconds: in a fresh-clone CI run a 300 ms deadline
                // expired in grpc-swift's client before the request was sent, so the server never held it.
                _ = try await Self.check(client, path: "/public/warm-up")
                return await Self.failure {
                    _ = try await Self.check(client, path: "/slow/a", options: .failFast(timeout: .seconds(2)))
                }
            }
            #expect(code == .deadlineExceeded)
            #expect(await events.next() == .held)
            // The check's work is cancelled too.
            #expect(await events.next() == .cancelled)
        }
    }

    @Test("Graceful shutdown refuses new calls and completes the ones in flight", arguments: Listener.allCases)
    func gracefulShutdown(_ listener: Listener) async throws {
        try await LoopbackServer.with(listener: listener) { server in
            try await server.withClient { client in
                var events = server.gate.events.makeAsyncIterator()
                async let inFlight = Self.check(client, path: "/slow/a", options: .failFast(timeout: .seconds(20)))
                #expect(await events.next() == .held)
                await server.beginGracefulShutdown()
                #expect(try await Self.refusesNewCalls(server))
                server.gate.release()
                let response = try await inFlight
                #expect(response.status.code == 0)
            }
        }
    }

    /// Whether a new client's call fails UNAVAILABLE: shutdown closes the listener soon after
    /// it begins, not at once, so this tries up to 100 times, 10 ms apart.
    static func refusesNewCalls(_ server: LoopbackServer) async throws -> Bool {
        for _ in 0..<100 {
            let code = await Self.failure {
                _ = try await server.withClient { try await Self.check($0, path: "/public/new") }
            }
            if code == .unavailable { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

/// Counts what a streaming call received before it failed.
private final class Statuses: Sendable {
    private let statuses = Mutex<[Grpc_Health_V1_HealthCheckResponse.ServingStatus]>([])
    func append(_ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus) {
        self.statuses.withLock { $0.append(status) }
    }
    var all: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] { self.statuses.withLock { $0 } }
}

/// Sends bytes as they are, as a broken or hostile client would.
private struct BytesSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}
