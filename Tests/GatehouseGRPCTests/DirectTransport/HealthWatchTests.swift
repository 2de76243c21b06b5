import EnvoyAuthAPI
import GatehouseCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import SwiftProtobuf
import Synchronization
import Testing

@testable import GatehouseGRPC

/// `grpc.health.v1.Health/Watch` on the direct transport's stream handler, with the embedded
/// event loop's clock standing in for time.
@Suite("Direct transport: health Watch streams the serving status")
struct HealthWatchTests {
    typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    /// Whether the server is serving, as the test sets it.
    final class Serving: Sendable {
        private let value: Atomic<Bool>
        init(_ value: Bool) { self.value = Atomic(value) }
        var isServing: Bool { self.value.load(ordering: .relaxed) }
        func set(_ value: Bool) { self.value.store(value, ordering: .relaxed) }
    }

    /// A stream whose endpoint answers health from `isServing`, re-read every second.
    static func stream(_ serving: Serving) throws -> EmbeddedChannel {
        let authorizer = Authorizer()
        let endpoint = DirectCheckEndpoint(
            service: AuthorizationService(authorizer: authorizer, logger: Logger(label: "test")),
            isServing: { serving.isServing }, maxRequestBytes: 1_024,
            healthPollInterval: .seconds(1))
        return EmbeddedChannel(handler: CheckStreamHandler(endpoint: endpoint))
    }

    /// Sends a Watch for `service`, with `timeout` as its `grpc-timeout`.
    static func watch(_ service: String, timeout: String? = nil, on channel: EmbeddedChannel) throws {
        var headers: HPACKHeaders = [
            ":method": "POST", ":path": "/grpc.health.v1.Health/Watch", "content-type": "application/grpc",
        ]
        if let timeout { headers.add(name: "grpc-timeout", value: timeout) }
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: headers)))
        var request = Grpc_Health_V1_HealthCheckRequest()
        request.service = service
        let body = try GRPCMessageFraming.frame(request, allocator: channel.allocator)
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(body), endStream: true)))
    }

    /// What the handler wrote since the last call: a message's status, or the headers' `grpc-status`
    /// (`"headers"` for response headers without one).
    static func written(_ channel: EmbeddedChannel) throws -> [String] {
        var written: [String] = []
        while let frame = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) {
            switch frame {
            case .headers(let headers):
                let status = headers.headers.first(name: "grpc-status")
                written.append(status.map { "status \($0)\(headers.endStream ? " end" : "")" } ?? "headers")
            case .data(let data):
                guard case .byteBuffer(var buffer) = data.data else { continue }
                let message = try GRPCMessageFraming.message(in: &buffer)
                let response = try Grpc_Health_V1_HealthCheckResponse(serializedBytes: Array(message.readableBytesView))
                written.append("\(response.status)")
            default:
                written.append("other")
            }
        }
        return written
    }

    @Test("Watch sends the current status, then a message each time it changes and nothing while it does not")
    func changes() throws {
        let isServing = Serving(false)
        let channel = try Self.stream(isServing)
        try Self.watch("envoy.service.auth.v3.Authorization", on: channel)
        #expect(try Self.written(channel) == ["headers", "\(Status.notServing)"])
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(try Self.written(channel) == [])
        isServing.set(true)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try Self.written(channel) == ["\(Status.serving)"])
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try Self.written(channel) == [])
        isServing.set(false)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try Self.written(channel) == ["\(Status.notServing)"])
    }

    @Test("An unknown service gets SERVICE_UNKNOWN and the call stays open")
    func unknownService() throws {
        let isServing = Serving(true)
        let channel = try Self.stream(isServing)
        try Self.watch("no.such.Service", on: channel)
        #expect(try Self.written(channel) == ["headers", "\(Status.serviceUnknown)"])
        channel.embeddedEventLoop.advanceTime(by: .minutes(10))
        #expect(try Self.written(channel) == [], "Neither a message nor trailers: the call is open.")
    }

    @Test("Draining ends a Watch with OK trailers; nothing follows")
    func drain() throws {
        let isServing = Serving(true)
        let channel = try Self.stream(isServing)
        try Self.watch("", on: channel)
        #expect(try Self.written(channel) == ["headers", "\(Status.serving)"])
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try Self.written(channel) == ["status 0 end"])
        isServing.set(false)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try Self.written(channel) == [])
    }

    @Test("A Watch's grpc-timeout ends it with DEADLINE_EXCEEDED trailers after its messages")
    func deadline() throws {
        let channel = try Self.stream(Serving(true))
        try Self.watch("", timeout: "2S", on: channel)
        #expect(try Self.written(channel) == ["headers", "\(Status.serving)"])
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try Self.written(channel) == ["status 4 end"])
    }

    @Test("A Watch whose stream the client resets stops polling")
    func reset() throws {
        let isServing = Serving(true)
        let channel = try Self.stream(isServing)
        try Self.watch("", on: channel)
        _ = try Self.written(channel)
        channel.pipeline.fireUserInboundEventTriggered(StreamClosedEvent(streamID: 1, reason: .cancel))
        isServing.set(false)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try Self.written(channel) == [])
    }
}
