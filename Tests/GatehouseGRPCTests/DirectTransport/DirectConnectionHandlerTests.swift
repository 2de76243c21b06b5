import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing

@testable import GatehouseGRPC

/// The direct transport's connection handler, driven as the HTTP/2 handler would drive it, with
/// the embedded event loop's clock standing in for time.
@Suite("Direct transport: a connection drains with GOAWAY, PING and a final GOAWAY")
struct DirectConnectionHandlerTests {
    /// A connected channel with the handler, and the delegate the HTTP/2 handler would call.
    static func connection(
        idleTimeout: TimeAmount? = nil, gracePeriod: TimeAmount = .seconds(10),
        keepalive: DirectConnectionHandler.Keepalive? = nil
    ) throws -> (EmbeddedChannel, DirectConnectionHandler.StreamDelegate) {
        let handler = DirectConnectionHandler(idleTimeout: idleTimeout, gracePeriod: gracePeriod, keepalive: keepalive)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9191)).wait()
        return (channel, handler.streamDelegate)
    }

    static func id(_ value: Int) -> HTTP2StreamID { HTTP2StreamID(value) }

    /// The last-stream id of the GOAWAY `channel` wrote next, `nil` if it wrote something else or nothing.
    static func goAway(_ channel: EmbeddedChannel) throws -> HTTP2StreamID? {
        guard let frame = try channel.readOutbound(as: HTTP2Frame.self),
            case .goAway(let last, .noError, _) = frame.payload
        else { return nil }
        return last
    }

    static func ping(_ channel: EmbeddedChannel) throws -> HTTP2PingData? {
        guard let frame = try channel.readOutbound(as: HTTP2Frame.self),
            case .ping(let data, ack: false) = frame.payload
        else { return nil }
        return data
    }

    static func ack(_ data: HTTP2PingData, on channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTP2Frame(streamID: .rootStream, payload: .ping(data, ack: true)))
    }

    @Test("Shutdown sends GOAWAY(max id) and PING; the ack brings the final GOAWAY; the last stream's end closes")
    func drainSequence() throws {
        let (channel, streams) = try Self.connection()
        streams.streamCreated(Self.id(1), channel: channel)
        streams.streamCreated(Self.id(3), channel: channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try Self.goAway(channel) == .maxID)
        let ping = try #require(try Self.ping(channel))
        // A stream the client opened before it read the GOAWAY is still served.
        streams.streamCreated(Self.id(5), channel: channel)
        try Self.ack(ping, on: channel)
        #expect(try Self.goAway(channel) == Self.id(5))
        streams.streamClosed(Self.id(1), channel: channel)
        streams.streamClosed(Self.id(5), channel: channel)
        channel.embeddedEventLoop.run()
        #expect(channel.isActive, "A stream is still in flight.")
        streams.streamClosed(Self.id(3), channel: channel)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test("A connection with no stream closes as soon as the PING is acknowledged")
    func drainWithoutStreams() throws {
        let (channel, _) = try Self.connection()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try Self.goAway(channel) == .maxID)
        try Self.ack(try #require(try Self.ping(channel)), on: channel)
        #expect(try Self.goAway(channel) == .rootStream)
        #expect(!channel.isActive)
    }

    @Test("A second shutdown request sends nothing more; an unrelated PING ack changes nothing")
    func idempotent() throws {
        let (channel, streams) = try Self.connection()
        streams.streamCreated(Self.id(1), channel: channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try Self.goAway(channel) == .maxID)
        #expect(try Self.ping(channel) != nil)
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil)
        try Self.ack(HTTP2PingData(withInteger: 42), on: channel)
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil)
    }

    @Test("A connection still draining when the grace period ends is closed, streams or not")
    func graceDeadline() throws {
        let (channel, streams) = try Self.connection(gracePeriod: .seconds(2))
        streams.streamCreated(Self.id(1), channel: channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try Self.goAway(channel) == .maxID)
        try Self.ack(try #require(try Self.ping(channel)), on: channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test("A connection without streams for the idle timeout is drained with GOAWAY; a stream restarts the clock")
    func idleTimeout() throws {
        let (channel, streams) = try Self.connection(idleTimeout: .seconds(5))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        streams.streamCreated(Self.id(1), channel: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil, "A stream is open: not idle.")
        streams.streamClosed(Self.id(1), channel: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try Self.goAway(channel) == .maxID)
        try Self.ack(try #require(try Self.ping(channel)), on: channel)
        #expect(try Self.goAway(channel) == Self.id(1))
        #expect(!channel.isActive)
    }

    static let keepalive = DirectConnectionHandler.Keepalive(time: .seconds(30), timeout: .seconds(10))

    @Test("A connection silent for keepaliveTime gets a PING; anything read restarts the clock")
    func keepalivePing() throws {
        let (channel, _) = try Self.connection(keepalive: Self.keepalive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil)
        // Bytes for a stream: the HTTP/2 handler passes the frames to the stream, only the read's end here.
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try Self.ping(channel) == DirectConnectionHandler.keepalivePingData)
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil, "One PING until the peer answers.")
    }

    @Test("An acknowledged keepalive PING keeps the connection; the next comes keepaliveTime after the ack")
    func keepaliveAcknowledged() throws {
        let (channel, _) = try Self.connection(keepalive: Self.keepalive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        try Self.ack(try #require(try Self.ping(channel)), on: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try Self.ping(channel) == DirectConnectionHandler.keepalivePingData)
    }

    @Test("A keepalive PING unanswered for keepaliveTimeout brings GOAWAY(last stream) and closes, streams or not")
    func keepaliveTimeout() throws {
        let (channel, streams) = try Self.connection(keepalive: Self.keepalive)
        streams.streamCreated(Self.id(7), channel: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(try Self.ping(channel) == DirectConnectionHandler.keepalivePingData)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try Self.goAway(channel) == Self.id(7))
        #expect(!channel.isActive)
    }

    @Test("Without keepalive configured, a silent connection is never pinged")
    func keepaliveOff() throws {
        let (channel, _) = try Self.connection()
        channel.embeddedEventLoop.advanceTime(by: .hours(3))
        #expect(try channel.readOutbound(as: HTTP2Frame.self) == nil)
        #expect(channel.isActive)
    }
}
