import EnvoyAuthAPI
import GatehouseCache
import GatehouseCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP2
import SwiftProtobuf
import Testing

@testable import GatehouseGRPC

/// The direct transport reports every check it answers to the service's observer once, and
/// nothing for a call that never became a check.
@Suite("Direct transport: the check observer", .bug(id: "12"))
struct CheckStreamObserverTests {
    @Test("Computed, cached and denied checks are observed once each; a malformed call is not a check")
    func oncePerCheck() async throws {
        let observer = AuthorizationServiceObserverTests.RecordingObserver()
        let authorizer = try AuthorizationServiceDeciderTests.authorizer()
        let endpoint = DirectCheckEndpoint(
            service: AuthorizationService(
                decider: CachingAuthorizer(authorizer: authorizer), logger: Logger(label: "test"), observer: observer),
            isServing: { authorizer.isReady }, maxRequestBytes: 64 * 1024)
        for path in ["/public/a", "/public/a", "/private/a"] {
            // Envoy's request time, the same for all three: a loaded test run once took over a minute
            // between the first two checks, past the cache's 60 s TTL, and the repeat missed.
            var request = CheckStreamHandlerTests.checkRequest(path: path)
            request.attributes.request.time = .init(seconds: 1_800_000_000, nanos: 0)
            let channel = try await CheckStreamHandlerTests.channel(endpoint)
            try await channel.writeInbound(CheckStreamHandlerTests.headers())
            try await channel.writeInbound(try CheckStreamHandlerTests.body(request))
            _ = try await CheckStreamHandlerTests.written(channel, count: 3)
        }
        let malformed = try await CheckStreamHandlerTests.channel(endpoint)
        try await malformed.writeInbound(CheckStreamHandlerTests.headers())
        var body = ByteBuffer()
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt32(1))
        body.writeInteger(UInt8(0x0B))
        try await malformed.writeInbound(
            HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(body), endStream: true)))
        _ = try await malformed.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self)
        #expect(observer.seen == ["allow allowed miss", "allow allowed hit", "deny no_matching_rule miss"])
    }
}
