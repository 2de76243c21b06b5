import NIOCore
import NIOHTTP2

/// Closes one HTTP/2 connection of the direct transport the way gRPC expects: never under a
/// stream in flight, and always with GOAWAY first.
///
/// Draining starts on a `ChannelShouldQuiesceEvent` (server shutdown) or when the connection has
/// had no stream for the idle timeout. It sends GOAWAY with the largest stream id and a PING: a
/// client may already have streams on the wire that it opened before it read the GOAWAY, and the
/// PING's ack tells that it has read it. Then a second GOAWAY names the real last stream, the
/// streams in flight finish, and the connection closes when the last of them ends. If that has
/// not happened within the grace period, the connection closes anyway.
///
/// With ``Keepalive``, a connection from which nothing has been read for `time` gets a PING; if
/// still nothing has been read `timeout` later, the peer is taken for gone (a crashed host, a
/// dropped NAT mapping): a GOAWAY naming the last stream opened, and the connection closes. Any
/// bytes read count, not only the PING's ack: the HTTP/2 handler passes streams' frames to the
/// streams, but every read ends with `channelReadComplete`, which this handler sees.
///
/// Place it after the `NIOHTTP2Handler` and pass ``streamDelegate`` to that handler, which tells
/// it of every stream opened and closed.
final class DirectConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// Where the connection stands.
    ///
    /// `active` → `awaitingPingAck` (shutdown or idle) → `draining` (ack read) → `closed` (last
    /// stream ended, or the grace period passed, or the peer went away). Every state may go
    /// straight to `closed`.
    enum State: Equatable {
        /// Serving: `openStreams` streams are in flight and `lastStreamID` is the highest opened so far.
        case active(openStreams: Int, lastStreamID: HTTP2StreamID)
        /// The first GOAWAY (largest stream id) and the PING are sent; streams may still open.
        case awaitingPingAck(openStreams: Int, lastStreamID: HTTP2StreamID)
        /// The final GOAWAY is sent; the connection closes when the last of its `openStreams` ends.
        case draining(openStreams: Int)
        /// Closing or closed; nothing more is written.
        case closed
    }

    /// The payload of the PING that follows the first GOAWAY ("gatehous").
    static let goAwayPingData = HTTP2PingData(withInteger: 0x6761_7465_686F_7573)
    /// The payload of a keepalive PING ("keepaliv").
    static let keepalivePingData = HTTP2PingData(withInteger: 0x6B65_6570_616C_6976)

    /// When to ping a silent peer, and how long to wait for it to answer.
    struct Keepalive {
        /// How long nothing may be read before the server sends a PING.
        var time: TimeAmount
        /// How long after that PING something must have been read, or the connection closes.
        var timeout: TimeAmount
    }

    private(set) var state = State.active(openStreams: 0, lastStreamID: .rootStream)
    private let idleTimeout: TimeAmount?
    private let gracePeriod: TimeAmount
    private let keepalive: Keepalive?
    private var context: ChannelHandlerContext?
    private var idleTimer: Scheduled<Void>?
    private var graceTimer: Scheduled<Void>?
    /// Sends the keepalive PING when it fires; restarted by every read.
    private var keepaliveTimer: Scheduled<Void>?
    /// Closes the connection when it fires; set while a keepalive PING is unanswered.
    private var keepaliveTimeoutTimer: Scheduled<Void>?

    /// - Parameters:
    ///   - idleTimeout: How long the connection may have no stream before it is drained; `nil` never.
    ///   - gracePeriod: How long draining may take before the connection is closed regardless.
    ///   - keepalive: When to ping a silent peer and how long to wait; `nil` never pings.
    init(idleTimeout: TimeAmount?, gracePeriod: TimeAmount, keepalive: Keepalive? = nil) {
        self.idleTimeout = idleTimeout
        self.gracePeriod = gracePeriod
        self.keepalive = keepalive
    }

    /// Whether draining has begun: the connection takes no new work that outlives its streams.
    var isDraining: Bool {
        if case .active = self.state { false } else { true }
    }

    /// Tells this handler of streams; give it to the `NIOHTTP2Handler`.
    var streamDelegate: StreamDelegate { StreamDelegate(handler: self) }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.startIdleTimer()
            self.startKeepaliveTimer()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimers()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startIdleTimer()
        self.startKeepaliveTimer()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelTimers()
        self.state = .closed
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .ping(let ping, ack: true) = self.unwrapInboundIn(data).payload, ping == Self.goAwayPingData {
            self.pingAcknowledged(context: context)
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The peer sent something: it is alive, and the silence starts again.
        self.keepaliveTimeoutTimer?.cancel()
        self.keepaliveTimeoutTimer = nil
        self.startKeepaliveTimer()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.beginDraining()
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Sends GOAWAY and PING, unless draining has already begun.
    func beginDraining() {
        guard let context = self.context, case .active(let open, let last) = self.state else { return }
        self.idleTimer?.cancel()
        self.state = .awaitingPingAck(openStreams: open, lastStreamID: last)
        // swift-nio-http2 takes any GOAWAY it sends as the last word: once it has sent one and no
        // stream is open, it answers every later frame with a connection error, the largest stream
        // id notwithstanding, so the streams a client opened before it read the GOAWAY would be
        // lost (measured through Envoy: 7-16 of 3,000 checks per SIGTERM). This GOAWAY is therefore
        // written beneath the HTTP/2 handler, already encoded; only the final one goes through it.
        if let http2 = try? context.pipeline.syncOperations.context(handlerType: NIOHTTP2Handler.self) {
            http2.write(NIOAny(Self.encodedFirstGoAway(allocator: context.channel.allocator)), promise: nil)
        } else {
            context.write(self.wrapOutboundOut(Self.goAway(lastStreamID: .maxID)), promise: nil)
        }
        context.writeAndFlush(
            self.wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .ping(Self.goAwayPingData, ack: false))),
            promise: nil)
        self.graceTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.gracePeriod) {
            self.state = .closed
            self.context?.close(promise: nil)
        }
    }

    private func pingAcknowledged(context: ChannelHandlerContext) {
        guard case .awaitingPingAck(let open, let last) = self.state else { return }
        context.writeAndFlush(self.wrapOutboundOut(Self.goAway(lastStreamID: last)), promise: nil)
        if open == 0 {
            self.close(context: context)
        } else {
            self.state = .draining(openStreams: open)
        }
    }

    /// GOAWAY(largest stream id, NO_ERROR) as RFC 9113 section 6.8 lays it out: a 9-byte frame
    /// header (length 8, type 0x7, no flags, stream 0), then the last stream id and the error code.
    static func encodedFirstGoAway(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 17)
        buffer.writeInteger(UInt32(8 << 8 | 0x7))
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt32(Int32.max))
        buffer.writeInteger(UInt32(0))
        return buffer
    }

    private static func goAway(lastStreamID: HTTP2StreamID) -> HTTP2Frame {
        HTTP2Frame(
            streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil))
    }

    private func streamOpened(_ id: HTTP2StreamID) {
        switch self.state {
        case .active(let open, let last):
            self.idleTimer?.cancel()
            self.state = .active(openStreams: open + 1, lastStreamID: max(last, id))
        case .awaitingPingAck(let open, let last):
            self.state = .awaitingPingAck(openStreams: open + 1, lastStreamID: max(last, id))
        case .draining(let open):
            // The final GOAWAY named a stream the peer had opened before the GOAWAY reached it.
            self.state = .draining(openStreams: open + 1)
        case .closed:
            break
        }
    }

    private func streamClosed(_ id: HTTP2StreamID) {
        switch self.state {
        case .active(let open, let last):
            self.state = .active(openStreams: open - 1, lastStreamID: last)
            if open == 1 { self.startIdleTimer() }
        case .awaitingPingAck(let open, let last):
            self.state = .awaitingPingAck(openStreams: open - 1, lastStreamID: last)
        case .draining(let open):
            self.state = .draining(openStreams: open - 1)
            if open == 1, let context = self.context {
                // Wait one tick: the stream's last frame is written but may not be flushed yet.
                context.eventLoop.assumeIsolated().execute { self.close(context: context) }
            }
        case .closed:
            break
        }
    }

    /// Half-closes first, so that the bytes still queued (the last stream's trailers, the final
    /// GOAWAY) are written before the socket closes.
    private func close(context: ChannelHandlerContext) {
        guard self.state != .closed else { return }
        self.state = .closed
        self.cancelTimers()
        let flushed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: flushed)
        flushed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func startKeepaliveTimer() {
        guard let keepalive = self.keepalive, let context = self.context, self.state != .closed else { return }
        self.keepaliveTimer?.cancel()
        self.keepaliveTimer = context.eventLoop.assumeIsolated().scheduleTask(in: keepalive.time) {
            self.sendKeepalivePing()
        }
    }

    private func sendKeepalivePing() {
        guard let keepalive = self.keepalive, let context = self.context, self.state != .closed else { return }
        self.keepaliveTimer = nil
        context.writeAndFlush(
            self.wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .ping(Self.keepalivePingData, ack: false))),
            promise: nil)
        self.keepaliveTimeoutTimer = context.eventLoop.assumeIsolated().scheduleTask(in: keepalive.timeout) {
            self.keepaliveTimedOut()
        }
    }

    /// The peer has said nothing since the keepalive PING: GOAWAY naming the last stream opened
    /// (a peer that is only slow may retry the others elsewhere), then close without waiting
    /// for streams a silent peer will never finish reading.
    private func keepaliveTimedOut() {
        guard let context = self.context else { return }
        switch self.state {
        case .active(_, let last), .awaitingPingAck(_, let last):
            context.writeAndFlush(self.wrapOutboundOut(Self.goAway(lastStreamID: last)), promise: nil)
        case .draining, .closed:
            // The final GOAWAY is already sent.
            break
        }
        self.state = .closed
        self.cancelTimers()
        context.close(promise: nil)
    }

    private func startIdleTimer() {
        guard let idleTimeout = self.idleTimeout, let context = self.context else { return }
        self.idleTimer?.cancel()
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { self.beginDraining() }
    }

    private func cancelTimers() {
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.graceTimer?.cancel()
        self.graceTimer = nil
        self.keepaliveTimer?.cancel()
        self.keepaliveTimer = nil
        self.keepaliveTimeoutTimer?.cancel()
        self.keepaliveTimeoutTimer = nil
    }

    /// Forwards stream events to the handler.
    struct StreamDelegate: NIOHTTP2StreamDelegate, @unchecked Sendable {
        // @unchecked: the `NIOHTTP2Handler` calls these on the connection's event loop, the only
        // place `handler` is touched.
        fileprivate let handler: DirectConnectionHandler

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            channel.eventLoop.assertInEventLoop()
            self.handler.streamOpened(id)
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            channel.eventLoop.assertInEventLoop()
            self.handler.streamClosed(id)
        }
    }
}
