import EnvoyAuthAPI
import GatehouseCore
import GatehousePolicy
import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import SwiftProtobuf
import Testing

@testable import GatehouseGRPC

/// The direct transport's stream handler, fed HTTP/2 frame payloads as the multiplexer would.
@Suite("Direct transport: one gRPC call per HTTP/2 stream")
struct CheckStreamHandlerTests {
    static let policy = """
        kind: Policy
        name: open
        rules:
          - { name: public, action: allow, paths: [/public/**] }
          - { name: slow, action: allow, paths: [/slow/**] }
        """

    static func endpoint(
        policy: String? = Self.policy, maxRequestBytes: Int = 64 * 1024,
        authenticator: any Authenticator = AnonymousAuthenticator(), metadata: MetadataFields = .lean
    ) throws -> DirectCheckEndpoint {
        let authorizer = Authorizer()
        if let policy {
            let result = PolicyCompiler.compile(sources: [PolicySource(path: "t.yaml", text: policy)])
            authorizer.activate(try #require(result.compiled).tree, authenticator: authenticator)
        }
        return DirectCheckEndpoint(
            service: AuthorizationService(authorizer: authorizer, logger: Logger(label: "test"), metadata: metadata),
            isServing: { authorizer.isReady }, maxRequestBytes: maxRequestBytes)
    }

    /// One stream's channel; streams of one endpoint share its cache.
    static func channel(_ endpoint: DirectCheckEndpoint) async throws -> NIOAsyncTestingChannel {
        try await NIOAsyncTestingChannel(handler: CheckStreamHandler(endpoint: endpoint))
    }

    static func channel(policy: String? = Self.policy, maxRequestBytes: Int = 64 * 1024) async throws
        -> NIOAsyncTestingChannel
    {
        try await Self.channel(try Self.endpoint(policy: policy, maxRequestBytes: maxRequestBytes))
    }

    static func headers(
        path: String = "/envoy.service.auth.v3.Authorization/Check", method: String = "POST", timeout: String? = nil
    ) -> HTTP2Frame.FramePayload {
        var headers: HPACKHeaders = [
            ":method": method, ":path": path, "content-type": "application/grpc", "te": "trailers",
        ]
        if let timeout { headers.add(name: "grpc-timeout", value: timeout) }
        return .headers(.init(headers: headers))
    }

    static func body(_ message: some SwiftProtobuf.Message, compressed: Bool = false) throws -> HTTP2Frame.FramePayload
    {
        var buffer = try GRPCMessageFraming.frame(message, allocator: ByteBufferAllocator())
        if compressed { buffer.setInteger(UInt8(1), at: buffer.readerIndex) }
        return .data(.init(data: .byteBuffer(buffer), endStream: true))
    }

    static func checkRequest(path: String) -> Envoy_Service_Auth_V3_CheckRequest {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "GET"
        request.attributes.request.http.path = path
        request.attributes.request.http.host = "x.example"
        return request
    }

    /// The frames the handler wrote, waiting for a task-computed answer when there is one.
    static func written(_ channel: NIOAsyncTestingChannel, count: Int) async throws -> [HTTP2Frame.FramePayload] {
        var frames: [HTTP2Frame.FramePayload] = []
        for _ in 0..<count { frames.append(try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)) }
        return frames
    }

    static func headerBlock(_ frame: HTTP2Frame.FramePayload) -> HPACKHeaders? {
        if case .headers(let headers) = frame { return headers.headers }
        return nil
    }

    static func message<Message: SwiftProtobuf.Message>(_ frame: HTTP2Frame.FramePayload, as: Message.Type) throws
        -> Message
    {
        guard case .data(let data) = frame, case .byteBuffer(var buffer) = data.data else {
            throw GRPCMessageFraming.FramingError.truncated
        }
        let message = try GRPCMessageFraming.message(in: &buffer)
        return try Message(serializedBytes: Array(message.readableBytesView))
    }

    @Test("A check is answered with headers, one message and grpc-status 0 trailers; a repeat is a cache hit")
    func check() async throws {
        // The answers' cache use is read: the full metadata.
        let endpoint = try Self.endpoint(metadata: .full)
        var uses: [String?] = []
        for _ in 0..<2 {
            let channel = try await Self.channel(endpoint)
            try await channel.writeInbound(Self.headers())
            try await channel.writeInbound(try Self.body(Self.checkRequest(path: "/public/a")))
            let frames = try await Self.written(channel, count: 3)
            #expect(Self.headerBlock(frames[0])?.first(name: ":status") == "200")
            #expect(Self.headerBlock(frames[0])?.first(name: "content-type") == "application/grpc")
            let response = try Self.message(frames[1], as: Envoy_Service_Auth_V3_CheckResponse.self)
            #expect(response.status.code == 0 && response.okResponse.headers.isEmpty)
            uses.append(response.dynamicMetadata.fields["cache"]?.stringValue)
            guard case .headers(let trailers) = frames[2] else { throw GRPCMessageFraming.FramingError.truncated }
            #expect(trailers.endStream && trailers.headers.first(name: "grpc-status") == "0")
        }
        #expect(uses == ["miss", "hit"])
    }

    @Test(
        "Every refusal is a trailers-only response with the right gRPC status",
        arguments: [
            ("unknown method", "/envoy.service.auth.v3.Authorization/Nope", "POST", false, "12"),
            ("not a POST", "/envoy.service.auth.v3.Authorization/Check", "GET", false, "3"),
            ("compressed message", "/envoy.service.auth.v3.Authorization/Check", "POST", true, "12"),
        ])
    func refusals(_ name: String, _ path: String, _ method: String, _ compressed: Bool, _ status: String)
        async throws
    {
        let channel = try await Self.channel()
        try await channel.writeInbound(Self.headers(path: path, method: method))
        try? await channel.writeInbound(try Self.body(Self.checkRequest(path: "/public/a"), compressed: compressed))
        let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)
        guard case .headers(let headers) = frame else { throw GRPCMessageFraming.FramingError.truncated }
        #expect(headers.endStream, "\(name)")
        #expect(headers.headers.first(name: "grpc-status") == status, "\(name)")
        #expect(headers.headers.first(name: ":status") == "200", "\(name)")
    }

    @Test("A message announcing more than maxRequestBytes is refused RESOURCE_EXHAUSTED before it arrives")
    func oversized() async throws {
        let channel = try await Self.channel(maxRequestBytes: 1_024)
        try await channel.writeInbound(Self.headers())
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt8(0))
        prefix.writeInteger(UInt32(1 << 20))
        try await channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(prefix))))
        let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)
        #expect(Self.headerBlock(frame)?.first(name: "grpc-status") == "8")
    }

    @Test("Malformed protobuf is refused INVALID_ARGUMENT, never answered with a decision")
    func malformed() async throws {
        let channel = try await Self.channel()
        try await channel.writeInbound(Self.headers())
        var body = ByteBuffer()
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt32(1))
        body.writeInteger(UInt8(0x0B))
        try await channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(body), endStream: true)))
        let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)
        #expect(Self.headerBlock(frame)?.first(name: "grpc-status") == "3")
    }

    @Test("Health Check says SERVING with a policy active, NOT_SERVING without, NOT_FOUND for other services")
    func health() async throws {
        typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus
        for (policy, service, expected) in [
            (Self.policy, "", Status.serving), (nil, "", .notServing), (Self.policy, "other", nil),
        ] as [(String?, String, Status?)] {
            let channel = try await Self.channel(policy: policy)
            try await channel.writeInbound(Self.headers(path: "/grpc.health.v1.Health/Check"))
            var request = Grpc_Health_V1_HealthCheckRequest()
            request.service = service
            try await channel.writeInbound(try Self.body(request))
            let first = try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)
            guard let expected else {
                #expect(Self.headerBlock(first)?.first(name: "grpc-status") == "5")
                continue
            }
            let message = try Self.message(
                try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self),
                as: Grpc_Health_V1_HealthCheckResponse.self)
            #expect(message.status == expected)
        }
    }

    @Test(
        "grpc-timeout values parse as the gRPC protocol defines them: 1-8 digits and one unit",
        arguments: [
            ("1S", TimeAmount?.some(.seconds(1))), ("250m", .milliseconds(250)), ("7u", .microseconds(7)),
            ("9n", .nanoseconds(9)), ("2M", .minutes(2)), ("99999999H", .hours(99_999_999)), ("", nil), ("S", nil),
            ("123456789S", nil), ("1s", nil), ("-1S", nil), ("1.5S", nil), ("12", nil),
        ])
    func timeoutParsing(_ text: String, _ expected: TimeAmount?) {
        #expect(GRPCMessageFraming.timeout(text) == expected)
    }

    @Test("A malformed grpc-timeout is refused INVALID_ARGUMENT")
    func malformedTimeout() async throws {
        let channel = try await Self.channel()
        try await channel.writeInbound(Self.headers(timeout: "soon"))
        let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)
        #expect(Self.headerBlock(frame)?.first(name: "grpc-status") == "3")
    }

    @Test("A compressed message is refused UNIMPLEMENTED with grpc-accept-encoding: identity")
    func compressed() async throws {
        let channel = try await Self.channel()
        try await channel.writeInbound(Self.headers())
        try await channel.writeInbound(try Self.body(Self.checkRequest(path: "/public/a"), compressed: true))
        let headers = Self.headerBlock(try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self))
        #expect(headers?.first(name: "grpc-status") == "12")
        #expect(headers?.first(name: "grpc-accept-encoding") == "identity")
    }

    @Test("A check still pending at its grpc-timeout is answered DEADLINE_EXCEEDED and its work cancelled")
    func deadline() async throws {
        let gate = GatedAuthenticator()
        let channel = try await Self.channel(try Self.endpoint(authenticator: gate))
        var events = gate.events.makeAsyncIterator()
        try await channel.writeInbound(Self.headers(timeout: "100m"))
        try await channel.writeInbound(try Self.body(Self.checkRequest(path: "/slow/a")))
        #expect(await events.next() == .held)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(99))
        #expect(try await channel.readOutbound(as: HTTP2Frame.FramePayload.self) == nil)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(1))
        let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)
        #expect(Self.headerBlock(frame)?.first(name: "grpc-status") == "4")
        #expect(await events.next() == .cancelled)
    }

    @Test(
        "A check pending when its stream is reset or closes is cancelled",
        arguments: ["RST_STREAM", "stream closed"])
    func reset(_ how: String) async throws {
        let gate = GatedAuthenticator()
        let channel = try await Self.channel(try Self.endpoint(authenticator: gate))
        var events = gate.events.makeAsyncIterator()
        try await channel.writeInbound(Self.headers())
        try await channel.writeInbound(try Self.body(Self.checkRequest(path: "/slow/a")))
        #expect(await events.next() == .held)
        if how == "RST_STREAM" {
            channel.pipeline.fireUserInboundEventTriggered(
                StreamClosedEvent(streamID: HTTP2StreamID(1), reason: .cancel))
        } else {
            try await channel.close()
        }
        #expect(await events.next() == .cancelled)
    }
}
