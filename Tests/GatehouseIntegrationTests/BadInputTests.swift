import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GatehouseTestSupport
import SwiftProtobuf
import Testing

/// Hostile and broken input against the real server: each gets an answer, and the server keeps serving.
@Suite("Bad input to gatehouse serve", .serialized, .timeLimit(.minutes(3)))
struct BadInputTests {
    /// Asserts the server still answers a normal check correctly.
    private static func stillServes(_ client: GRPCClient<HTTP2ClientTransport.Posix>) async throws {
        let response = try await GatehouseClient.check(client, GatehouseClient.request(path: "/public/ok"))
        #expect(response.status.code == 0, "the server must keep serving")
    }

    @Test("Malformed protobuf and invalid UTF-8 are refused with a gRPC error, never an allow")
    func malformed() async throws {
        try await GatehouseServer.with { server in
            try await GatehouseClient.with(port: server.port) { client in
                for bytes in Self.malformedBodies {
                    await #expect(throws: RPCError.self) { _ = try await GatehouseClient.checkRaw(client, bytes) }
                }
                try await Self.stillServes(client)
            }
            #expect(await server.process.terminate() == 0)
        }
    }

    /// A truncated field, a wrong wire type, and strings holding invalid UTF-8 in the path and a header.
    static let malformedBodies: [[UInt8]] = {
        func lengthDelimited(_ field: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [field << 3 | 2] + varint(payload.count) + payload
        }
        func varint(_ value: Int) -> [UInt8] {
            var value = value
            var bytes: [UInt8] = []
            repeat {
                bytes.append(UInt8(value & 0x7F) | (value > 0x7F ? 0x80 : 0))
                value >>= 7
            } while value > 0
            return bytes
        }
        func check(http: [UInt8]) -> [UInt8] {
            lengthDelimited(1, lengthDelimited(4, lengthDelimited(2, http)))  // attributes.request.http
        }
        let invalidUTF8: [UInt8] = [0x2F, 0xC3, 0x28]
        let header = lengthDelimited(1, [0x78]) + lengthDelimited(2, [0xFF, 0xFE])  // map entry x → invalid
        return [
            [0x0A, 0xFF, 0xFF, 0xFF],  // a length running past the end
            [0x0B],  // start-group wire type where a message is expected
            check(http: lengthDelimited(4, invalidUTF8)),  // path
            check(http: lengthDelimited(3, header)),  // headers map value
        ]
    }()

    @Test("Oversized, empty and attribute-less requests and huge headers and paths each get an answer")
    func sizes() async throws {
        try await GatehouseServer.with { server in
            try await GatehouseClient.with(port: server.port) { client in
                // Over the 4 MiB limit: RESOURCE_EXHAUSTED.
                let oversized = GatehouseClient.request(
                    path: "/public/a", headers: ["x-big": String(repeating: "a", count: 5 << 20)])
                do {
                    _ = try await GatehouseClient.check(client, oversized)
                    Issue.record("an oversized request must fail")
                } catch let error as RPCError {
                    // The transport resets the stream as soon as the length prefix announces too much,
                    // without reading the body: clients see UNAVAILABLE (RST_STREAM) or RESOURCE_EXHAUSTED.
                    #expect([.resourceExhausted, .unavailable].contains(error.code), "\(error)")
                }
                // Empty: no policy selects it.
                let empty = try await GatehouseClient.check(client, Envoy_Service_Auth_V3_CheckRequest())
                #expect(empty.dynamicMetadata.fields["reason"]?.stringValue == "no_policy")
                // No HTTP attributes (Envoy's network filter): decided on source and destination, denied here.
                var network = Envoy_Service_Auth_V3_CheckRequest()
                network.attributes.source.address.socketAddress.address = "10.0.0.1"
                network.attributes.contextExtensions = ["building_block": "civil-registry"]
                #expect(try await GatehouseClient.check(client, network).status.code != 0)
                // 10,000 headers, one 1 MB header value, a 64 KB path.
                let manyHeaders = Dictionary(uniqueKeysWithValues: (0..<10_000).map { ("x-h\($0)", "v") })
                #expect(
                    try await GatehouseClient.check(
                        client, GatehouseClient.request(path: "/public/a", headers: manyHeaders)
                    ).status.code == 0)
                let bigHeader = ["x-big": String(repeating: "b", count: 1 << 20)]
                #expect(
                    try await GatehouseClient.check(
                        client, GatehouseClient.request(path: "/public/a", headers: bigHeader)
                    )
                    .status.code == 0)
                let longPath = "/public/" + String(repeating: "p", count: 64 << 10)
                let long = try await GatehouseClient.check(client, GatehouseClient.request(path: longPath))
                #expect(long.dynamicMetadata.fields["reason"]?.stringValue == "path_too_long")
                try await Self.stillServes(client)
            }
            #expect(await server.process.terminate() == 0)
        }
    }

    @Test("A client that opens a stream and never sends, and one that disconnects mid-call, do not disturb others")
    func stalledAndVanishingClients() async throws {
        try await GatehouseServer.with { server in
            try await GatehouseClient.with(port: server.port) { client in
                // Each hanging call is a child task: a failing check cancels and awaits it rather than leaking it.
                try await withThrowingDiscardingTaskGroup { stalledCall in
                    // A Check stream whose request never comes: the producer waits until cancelled.
                    stalledCall.addTask { try? await Self.hangingCheck(client, sending: nil) }
                    try await withThrowingDiscardingTaskGroup { vanishingCall in
                        // Half a message, then the caller goes away.
                        vanishingCall.addTask { try? await Self.hangingCheck(client, sending: [0x0A, 0x40, 0x22]) }
                        for _ in 0..<20 { try await Self.stillServes(client) }
                        vanishingCall.cancelAll()
                    }
                    for _ in 0..<20 { try await Self.stillServes(client) }
                    stalledCall.cancelAll()
                }
            }
            // A second connection works too, and shutdown is still graceful with the stalled stream gone.
            try await GatehouseClient.with(port: server.port) { try await Self.stillServes($0) }
            #expect(await server.process.terminate() == 0)
        }
    }

    /// A Check stream that sends `bytes` (nothing when `nil`) and then waits, until cancelled,
    /// without ever finishing its request.
    private static func hangingCheck(
        _ client: GRPCClient<HTTP2ClientTransport.Posix>, sending bytes: [UInt8]?
    ) async throws {
        try await client.clientStreaming(
            request: StreamingClientRequest<[UInt8]> { writer in
                if let bytes { try await writer.write(bytes) }
                try await Task.sleep(for: .seconds(600))
            },
            descriptor: Envoy_Service_Auth_V3_Authorization.Method.Check.descriptor,
            serializer: RawSerializer(),
            deserializer: ProtobufDeserializer<Envoy_Service_Auth_V3_CheckResponse>(), options: .defaults
        ) { _ in () }
    }

    @Test(
        "The mTLS listener refuses a client without a certificate and one from another CA, and denies an unpinned one")
    func mutualTLS() async throws {
        try await GatehouseServer.with { server in
            let ours = server.certificates.path
            await #expect(throws: (any Error).self, "a client without a certificate must be refused") {
                try await GatehouseClient.with(
                    port: server.tlsPort, security: .tls(certificates: ours, certificate: nil)
                ) {
                    client in
                    _ = try await GatehouseClient.check(client, GatehouseClient.request(path: "/public/a"))
                }
            }
            try await withTemporaryDirectory("e2e-foreign") { foreign in
                let made = try await ProcessRunner.run(
                    Repository.gatehouse.path, ["certs", "dev", "--out", foreign.path])
                #expect(made.status == 0, "\(made.combined)")
                await #expect(throws: (any Error).self, "a certificate from another CA must be refused") {
                    try await Self.foreignCheck(port: server.tlsPort, ours: ours, foreign: foreign.path)
                }
            }
            // A caller that is not the pinned Envoy gets a denial, not an error `failure_mode_allow` could turn into an allow.
            let unpinned = try await GatehouseClient.with(
                port: server.tlsPort, security: .tls(certificates: ours, certificate: "civil-registry")
            ) { client in
                try await GatehouseClient.check(client, GatehouseClient.request(path: "/public/a"))
            }
            #expect(unpinned.status.code == 7)
            #expect(unpinned.deniedResponse.status.code == .forbidden)
            #expect(unpinned.dynamicMetadata.fields["reason"]?.stringValue == "caller_not_allowed")
            try await GatehouseClient.with(
                port: server.tlsPort, security: .tls(certificates: ours, certificate: "envoy")
            ) {
                client in
                try await Self.stillServes(client)
            }
            #expect(await server.process.terminate() == 0)
        }
    }

    private static func foreignCheck(port: Int, ours: String, foreign: String) async throws {
        let security = HTTP2ClientTransport.Posix.TransportSecurity.mTLS(
            certificateChain: [.file(path: "\(foreign)/envoy.pem", format: .pem)],
            privateKey: .file(path: "\(foreign)/envoy-dev-key.pem", format: .pem)
        ) { config in
            config.trustRoots = .certificates([.file(path: "\(ours)/ca.pem", format: .pem)])
            config.serverCertificateVerification = .noHostnameVerification
        }
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: security)
        try await withGRPCClient(transport: transport) { client in
            _ = try await GatehouseClient.check(client, GatehouseClient.request(path: "/public/a"))
        }
    }
}
